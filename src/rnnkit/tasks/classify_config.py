"""Task ``classify``'s ``[data]`` and ``[train]`` sections, their checks, and the automatic
choices of ``format`` and ``level``.

The defaults are for a user who writes three lines (``task``, ``data.train``, ``data.test``)
about data rnnkit was never tuned on: the reader and the unit of the sequence are chosen from
the data (and written into the run's ``config.toml``), a stratified validation part is held
out of the training file, and training stops when the validation accuracy stops improving or
the time budget is spent, keeping the best epoch. What each default was measured against is
in benchmarks/RESULTS.md (section ``defaults``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rnnkit.config import DataConfig, TrainConfig
from rnnkit.data.encoding import TRUNCATE
from rnnkit.data.text import note
from rnnkit.data.textdata import FORMATS, detect_format, detect_level
from rnnkit.errors import ConfigError

LEVELS = ("word", "char")


@dataclass
class ClassifyData(DataConfig):
    format: str = "auto"  # auto (from the path) | imdb (aclImdb folders) | csv (.csv, .tsv,
    # .jsonl) | folder (one <label>.txt a class)
    text_column: str = "text"  # csv: the column (jsonl: the key) holding the text
    label_column: str = "label"  # csv: the column (jsonl: the key) holding the label
    level: str = "auto"  # word | char: what one step reads; auto: word when the median text
    # has two or more words, else char
    tokenizer: str = ""  # "" = the level's (word | char); "spacy" for level word if installed
    lower: bool = False  # fold case before everything else
    min_freq: int = 2  # keep tokens seen at least twice: one sighting teaches nothing, and
    # <unk> then learns from the rare ones
    max_size: int = 0  # keep at most this many tokens, the most frequent (0 = no limit)
    max_length: int = 5000  # cut longer texts to this many tokens (0 = keep everything)
    truncate: str = "head"  # head | tail | both: which end(s) of a long text to keep
    ngrams: int = 1  # n > 1: the 2..n-grams ending at each step are extra input features
    ngram_min_freq: int = 2  # keep n-grams seen at least this often
    ngram_max_size: int = 0  # keep at most this many n-grams (0 = no limit)
    test_fraction: float = 0.0  # with `test` empty: share of the training file held out
    split_seed: int = 0  # seeds the stratified validation and test splits
    bucket_batches: int = 50  # sort by length within groups of this many batches (0 = off)


@dataclass
class ClassifyTrain(TrainConfig):
    """Classification's training defaults: stop when the validation accuracy stops rising."""

    lr: float = 2e-3  # Adam; the tuned IMDB and names models used 2e-3 and 3e-3
    schedule: str = "plateau"  # halve the rate after an evaluation without a better accuracy...
    plateau_patience: int = 1  # ...at once: an epoch that did not help is a signal
    early_stopping: int = 3  # stop after 3 epochs without a better accuracy; keep the best
    time_budget: float = 1500.0  # 25 minutes at most, evaluations included (0 = no limit)
    default_epochs = 30  # a ceiling: early stopping or the time budget end training first


def check_config(config) -> None:
    """Refuse bad ``[data]`` values (``auto`` passes until it is resolved)."""
    d, m = config.data, config.model
    for key, value, choices in (
        ("data.format", d.format, ("auto", *FORMATS)),
        ("data.level", d.level, ("auto", *LEVELS)),
        ("data.truncate", d.truncate, TRUNCATE),
    ):
        if value not in choices:
            raise ConfigError(f"{key} must be one of {', '.join(choices)}, received {value!r}")
    if d.level != "auto" and d.tokenizer not in ("", d.level):
        if not (d.level == "word" and d.tokenizer == "spacy"):
            raise ConfigError(
                f"data.tokenizer {d.tokenizer!r} does not fit data.level {d.level!r}: use '' or "
                f"{d.level!r}" + (" or 'spacy'" if d.level == "word" else "")
            )
    for key in ("min_freq", "ngrams", "ngram_min_freq"):
        if getattr(d, key) < 1:
            raise ConfigError(f"data.{key} must be >= 1, received {getattr(d, key)}")
    for key in ("max_size", "max_length", "ngram_max_size", "bucket_batches"):
        if getattr(d, key) < 0:
            raise ConfigError(f"data.{key} must be >= 0, received {getattr(d, key)}")
    if not 0.0 <= d.test_fraction < 1.0 or d.test_fraction + d.validation_fraction >= 1.0:
        raise ConfigError(
            f"data.test_fraction and data.validation_fraction must be >= 0 and sum to less "
            f"than 1, received {d.test_fraction} and {d.validation_fraction}"
        )
    if m.kind == "scratch003" and d.level not in ("char", "auto"):
        raise ConfigError(
            f"model.kind 'scratch003' reads one-hot characters: set data.level = 'char' "
            f"(received {d.level!r})"
        )


def resolve_format(config, train_path) -> None:
    """``data.format = "auto"`` becomes the reader that fits ``train_path``."""
    if config.data.format == "auto":
        config.data.format = detect_format(train_path)
        note(f"classify: data.format = {config.data.format!r} (auto, from {train_path})")


def resolve_level(config, texts: list[str]) -> None:
    """``data.level = "auto"`` becomes word or char from the training texts (char for the
    one-hot ``scratch003`` model), said on standard error; then the tokenizer is checked.
    ``model.embedding_std = 0`` becomes 0.1 for words and 1.0 for characters: a character is
    seen thousands of times an epoch and learns from any start, while small rows let the
    embeddings of rare words move (benchmarks/short_texts.py: the better validation accuracy,
    0.705 and 0.708 against 0.693 and 0.694, but not the better test accuracy, within seed
    noise; on names, characters with 1.0 scored 84.2% against 82.8% with 0.1)."""
    d, m = config.data, config.model
    if d.level == "auto":
        d.level = "char" if m.kind == "scratch003" else detect_level(texts)
        words = sorted(len(t.split()) for t in texts)[len(texts) // 2] if texts else 0
        note(f"classify: data.level = {d.level!r} (auto: the median text has {words} word(s))")
        check_config(config)
    if getattr(m, "embedding_std", 1.0) == 0:
        m.embedding_std = 0.1 if d.level == "word" else 1.0
