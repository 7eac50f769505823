"""Task ``lm``'s ``[data]``, ``[model]`` and ``[train]`` sections, their checks, and the
defaults that depend on ``data.level``.

A model setting left unset (``None``) is resolved by :func:`resolve_level_defaults` when the
task is built, and written resolved into the run's ``config.toml``: characters keep the tuned
Tiny Shakespeare model (plain dropout ``model.dropout`` on the input and output, no other
regulariser), words get AWD-LSTM's regularisers (Merity et al. 2018) at the milder strengths
of fastai's ULMFiT language model (``WORD_DEFAULTS``): a CPU budget trains for minutes, not
the hundreds of epochs for which AWD-LSTM's own PTB strengths (0.5/0.65/0.4/0.1) were set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

from rnnkit.config import FRACTION, NON_NEGATIVE, DataConfig, ModelConfig, TrainConfig
from rnnkit.errors import ConfigError

FORMATS = ("text", "folder", "lines")
LEVELS = ("char", "word")


@dataclass
class LMData(DataConfig):
    format: str = "text"  # text: one stream, TBPTT | lines: one text a row (a .csv/.tsv/.jsonl
    # column, or a line of any other file), <eos> after each, one stream | folder: one file
    # per category, one per line (characters only)
    level: str = "char"  # char | word: what one step reads (word: task classify's tokenizer,
    # <br /> as a space; each line or row ends in <eos>)
    text_column: str = "text"  # lines: the column (jsonl: the key) holding the text
    validation_fraction: float = 0.0  # 0 = auto: 2% of a text (its tail, which is often
    # another work that a larger share would hide from training; 2% of Tiny Shakespeare
    # still scores the loss to about 0.01) or of the rows of `lines` (seeded), 10% of a
    # folder's lines
    bptt: int = 128  # text, lines: tokens per truncated-BPTT window
    eval_rows: int = 32  # text, lines: parallel rows when scoring a validation text
    lower: bool = False  # fold case before building the vocabulary
    max_length: int = 1000  # folder: longer lines are cut to this many characters (0 = keep)
    reverse: bool = False  # read every text last token first: a backward LM (flair)
    min_freq: int = 2  # word level: keep words seen at least twice (the rest become <unk>)
    max_vocab: int = 30000  # word level: keep at most this many words, the most frequent (0 =
    # no limit): the output layer's cost grows with it (IMDB's reviews have 75k words seen twice)


@dataclass
class LMModel(ModelConfig):
    hidden_size: int = 512  # the tuned Tiny Shakespeare model: 2 x 512 reached 1.48 nats/char
    num_layers: int = 2
    dropout: float = 0.1  # between the layers (and, for characters, on the input and output)
    input: str = "embedding"  # embedding | onehot
    embedding_dim: int = 64  # E, the character (or word) embedding (embedding input)
    tie_weights: bool = False  # share the input embedding with the output layer
    condition_dim: int = 16  # size of the category embedding (folder format)
    # Unset (None) below: the level's default (characters: model.dropout / 0 / off; words:
    # WORD_DEFAULTS), written resolved into config.toml.
    input_dropout: float | None = None  # on the embedded input (words: 0.25)
    output_dropout: float | None = None  # on the last layer's output (words: 0.1)
    locked_dropout: bool | None = None  # input and output masks shared over time (words: true)
    embedding_dropout: float | None = None  # drop whole words of the embedding (words: 0.02)
    weight_drop: float | None = None  # DropConnect on hidden-to-hidden weights (words: 0.2)
    ar_alpha: float | None = None  # AR: + alpha * mean(dropped output^2) (words: 2.0)
    tar_beta: float | None = None  # TAR: + beta * mean((h_t - h_{t-1})^2) (words: 1.0)
    adaptive_softmax: list[int] = field(default_factory=list)  # cutoffs of an adaptive
    # softmax over the vocabulary, e.g. [2000, 10000] ([] = a full softmax; no tie_weights)

    ranges: ClassVar[dict] = {
        **dict.fromkeys(
            ("input_dropout", "output_dropout", "embedding_dropout", "weight_drop"), FRACTION
        ),
        **dict.fromkeys(("ar_alpha", "tar_beta"), NON_NEGATIVE),
    }


# words: fastai's AWD_LSTM defaults for ULMFiT (output_p 0.1, hidden_p 0.15, input_p 0.25,
# embed_p 0.02, weight_p 0.2) with AWD-LSTM's AR/TAR (alpha 2, beta 1)
WORD_DEFAULTS = {
    "input_dropout": 0.25,
    "output_dropout": 0.1,
    "locked_dropout": True,
    "embedding_dropout": 0.02,
    "weight_drop": 0.2,
    "ar_alpha": 2.0,
    "tar_beta": 1.0,
}


def resolve_level_defaults(config) -> None:
    """Fill the unset ``[model]`` regularisers with the defaults of ``data.level``."""
    m = config.model
    if config.data.level == "word":
        defaults = WORD_DEFAULTS
    else:
        defaults = dict.fromkeys(WORD_DEFAULTS, 0.0)
        defaults.update(input_dropout=m.dropout, output_dropout=m.dropout, locked_dropout=False)
    for key, value in defaults.items():
        if getattr(m, key) is None:
            setattr(m, key, value)


def check_config(config) -> None:
    """Refuse ``[data]`` values that the types and ranges alone do not catch."""
    cfg = config.data
    if cfg.format not in FORMATS:
        raise ConfigError(
            f"data.format must be text, lines or folder for task lm, received {cfg.format!r}"
        )
    if cfg.level not in LEVELS:
        raise ConfigError(f"data.level must be char or word, received {cfg.level!r}")
    if cfg.level == "word" and cfg.format == "folder":
        raise ConfigError(
            "data.level 'word' needs data.format = 'text' or 'lines' (a category folder holds "
            "names, read by character), received format 'folder'"
        )
    for key in ("bptt", "eval_rows", "min_freq"):
        if getattr(cfg, key) < 1:
            raise ConfigError(f"data.{key} must be positive, received {getattr(cfg, key)}")
    for key in ("max_length", "max_vocab"):
        if getattr(cfg, key) < 0:
            raise ConfigError(
                f"data.{key} must be >= 0 (0 = no limit), received {getattr(cfg, key)}"
            )


@dataclass
class LMTrain(TrainConfig):
    """Language models' training defaults: those of the tuned Tiny Shakespeare run, with a
    budget in steps (an epoch of a small text is one or two steps) and in time."""

    batch_size: int = 64  # parallel streams of bptt characters (folder format: lines)
    lr: float = 3e-3  # Adam, warmed up and decayed by a cosine...
    schedule: str = "cosine"  # ...that ends at the last step, or where the time budget ends
    warmup_steps: int = 50  # linear warm-up: the first steps of a 2-layer LSTM are unstable
    min_lr: float = 1e-4  # the cosine's floor
    max_steps: int = 1500  # the step budget (epochs unset): 13 passes over Tiny Shakespeare,
    # where the time budget ends it first on a CPU (near step 1200) and the cosine with it
    early_stopping: int = 3  # stop after 3 evaluations without a lower validation loss
    time_budget: float = 1500.0  # 25 minutes at most, evaluations included (0 = no limit)


def nats_metrics(total_nats: float, count: int, per_char: bool = True) -> dict:
    """``loss``/``loss_nats``, ``perplexity`` (``e^loss``) and, per character, ``bpc``
    (``loss / ln 2``) from a summed cross-entropy over ``count`` predicted tokens."""
    loss = total_nats / max(1, count)
    out = {"loss": loss, "loss_nats": loss}
    if per_char:
        out["bpc"] = loss / math.log(2)
    out["perplexity"] = math.exp(min(loss, 700.0))
    return out


__all__ = [
    "FORMATS",
    "LEVELS",
    "LMData",
    "LMModel",
    "LMTrain",
    "WORD_DEFAULTS",
    "check_config",
    "nats_metrics",
    "resolve_level_defaults",
]
