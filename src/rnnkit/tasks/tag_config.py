"""Task ``tag``'s ``[data]`` and ``[train]`` sections, their checks, and the automatic
validation part.

The defaults are those of a BiLSTM-CRF for named entities and parts of speech (Lample et al.
2016): words lower-cased with digits as 0 (the characters and the casing feature keep what
that loses), words seen once replaced by ``<unk>`` half of the time so that ``<unk>`` learns,
a gradient clipped at 5, Adam at 2e-3; training stops when the validation score stops rising
or the time budget is spent, keeping the best epoch. The file format is recognised from its
lines, and without ``data.validation`` whole documents of the training file are held out
(sentences, when it has fewer than ten documents) so that no document is on both sides.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import torch

from rnnkit.config import DataConfig, TrainConfig
from rnnkit.data import schemes
from rnnkit.data.batching import generator
from rnnkit.data.conll import Sentence, detect_format
from rnnkit.errors import ConfigError, DataError

OUTPUTS = ("conll", "json")
MIN_DOCUMENTS = 10  # fewer documents than this: the validation part is drawn by sentence


@dataclass
class TagData(DataConfig):
    format: str = "auto"  # conll (CoNLL-2003 columns) | conllu (Universal Dependencies) | auto
    # (conllu when the file's token lines have ten tab-separated fields)
    tag_column: int = -1  # conll: the column of the tags (0-based; negative counts from the end)
    tag_field: str = "upos"  # conllu: upos | xpos
    scheme: str = "auto"  # learned tags: bioes | bio | iob1 | none (atomic labels) | auto
    file_scheme: str = "auto"  # the files' scheme: iob1 | bio | bioes | none | auto (detected)
    lower: bool = True  # lower-case words for the word vocabulary (characters keep case)
    zero_digits: bool = True  # every digit becomes 0 for the word vocabulary (Lample et al.)
    min_freq: int = 1  # training words seen fewer times are <unk>
    singleton_unk: float = 0.5  # training: a word seen once in train becomes <unk> with this p
    # (Lample et al.), so that <unk> is learned from words like the unseen ones
    word_dropout: float = 0.0  # training: any word becomes <unk> with this probability
    max_word_length: int = 40  # characters of a word seen by the character encoder
    max_length: int = 1000  # longer sentences are cut into pieces of this many tokens (0 = off)
    eval_batch_size: int = 128  # sentences per batch when evaluating and predicting
    predict_output: str = "conll"  # rnnkit predict: conll (token TAB tag) | json (spans)


@dataclass
class TagTrain(TrainConfig):
    """Tagging's training defaults (the tuned CoNLL-2003 and EWT runs: Adam 2e-3, clip 5)."""

    lr: float = 2e-3  # Adam, as the tuned NER and POS runs
    clip_grad_norm: float = 5.0  # Lample et al.'s clipping; 1.0 slows the CRF's first epochs
    schedule: str = "plateau"  # halve the rate when the validation score stalls...
    plateau_patience: int = 2  # ...for two epochs (F1 moves by +-0.2 from epoch to epoch)
    early_stopping: int = 5  # stop after 5 epochs without a better score; keep the best
    time_budget: float = 1500.0  # 25 minutes at most, evaluations included (0 = no limit)
    default_epochs = 40  # a ceiling: early stopping or the time budget end training first


def check_data_config(cfg: TagData) -> None:
    """Refuse bad ``[data]`` values before reading anything."""
    if cfg.format not in ("auto", "conll", "conllu"):
        raise ConfigError(f"data.format must be auto, conll or conllu, received {cfg.format!r}")
    for key in ("scheme", "file_scheme"):
        value, choices = getattr(cfg, key), ("auto", *schemes.SCHEMES)
        if value not in choices:
            close = difflib.get_close_matches(str(value), choices, n=1)
            raise ConfigError(
                f"data.{key} must be one of {', '.join(choices)}, received {value!r}"
                + (f" (did you mean {close[0]!r}?)" if close else "")
            )
    if cfg.predict_output not in OUTPUTS:
        raise ConfigError(
            f"data.predict_output must be conll or json, received {cfg.predict_output!r}"
        )
    for key in ("singleton_unk", "word_dropout"):
        if not 0.0 <= getattr(cfg, key) < 1.0:
            raise ConfigError(f"data.{key} must be in [0, 1), received {getattr(cfg, key)}")
    for key in ("min_freq", "max_word_length", "eval_batch_size"):
        if getattr(cfg, key) < 1:
            raise ConfigError(f"data.{key} must be positive, received {getattr(cfg, key)}")
    if cfg.max_length < 0:
        raise ConfigError(f"data.max_length must be >= 0 (0 = no limit), received {cfg.max_length}")
    if not cfg.train:
        raise ConfigError("data.train must name a CoNLL or CoNLL-U file")


def resolve_format(cfg: TagData) -> None:
    """``data.format = "auto"`` becomes conll or conllu from the training file's lines."""
    if cfg.format == "auto":  # written to the run's config.toml
        cfg.format = detect_format(cfg.train)


def hold_out(
    train: list[Sentence], fraction: float, seed: int, path: str
) -> tuple[list[Sentence], list[Sentence]]:
    """``(train, validation)``: a seeded ``fraction`` of the documents of ``train`` (of its
    sentences when it has fewer than :data:`MIN_DOCUMENTS` documents), order kept."""
    documents = sorted({s.document for s in train})
    by_document = len(documents) >= MIN_DOCUMENTS
    units = documents if by_document else list(range(len(train)))
    order = torch.randperm(len(units), generator=generator(seed, -1)).tolist()
    n_val = max(1, int(len(units) * fraction))
    if n_val >= len(units):
        raise DataError(f"{path} has {len(train)} sentences: too few to hold out")
    held = {units[i] for i in order[:n_val]}
    key = (lambda i: train[i].document) if by_document else (lambda i: i)
    validation = [s for i, s in enumerate(train) if key(i) in held]
    kept = [s for i, s in enumerate(train) if key(i) not in held]
    return kept, validation
