"""Text into integers: tokenizers and a vocabulary that saves itself as JSON.

- :func:`word_tokenize`: Unicode-aware words, numbers and single punctuation marks; HTML line
  breaks (``<br />``) become spaces. ``lower=True`` folds case.
- :func:`char_tokenize`: every character (after Unicode NFC normalisation).
- :func:`get_tokenizer`: ``"word"``, ``"char"`` or ``"spacy"`` (spaCy's English tokenizer when
  the user has spaCy installed; a clear error otherwise).
- :class:`Vocab`: tokens to ids with ``<pad>`` = 0 and ``<unk>`` = 1, built with ``min_freq``
  and ``max_size``; ``encode``/``decode``; ``save``/``load`` as JSON.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from rnnkit.errors import ConfigError, DataError

PAD, UNK = "<pad>", "<unk>"
_WORD = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def word_tokenize(text: str, lower: bool = False) -> list[str]:
    """Words (letters/digits of any script, with inner ``-``/``'``) and punctuation marks.

    >>> word_tokenize("Don't stop-me now!<br />It's 4.5 stars.")
    ["Don't", 'stop-me', 'now', '!', "It's", '4', '.', '5', 'stars', '.']
    """
    text = _BR.sub(" ", unicodedata.normalize("NFC", text))
    tokens = _WORD.findall(text)
    return [t.lower() for t in tokens] if lower else tokens


def char_tokenize(text: str, lower: bool = False) -> list[str]:
    """Every character, NFC-normalised: ``"Ana" -> ['A', 'n', 'a']``."""
    text = unicodedata.normalize("NFC", text)
    return list(text.lower() if lower else text)


def _spacy_tokenizer(lower: bool) -> Callable[[str], list[str]]:
    try:
        import spacy
    except ImportError:
        raise ConfigError(
            "tokenizer 'spacy' needs spaCy: pip install spacy (or use 'word' or 'char')"
        ) from None
    nlp = spacy.blank("en")

    def tokenize(text: str) -> list[str]:
        tokens = [t.text for t in nlp(_BR.sub(" ", text)) if not t.is_space]
        return [t.lower() for t in tokens] if lower else tokens

    return tokenize


TOKENIZERS = ("word", "char", "spacy")


def get_tokenizer(name: str, lower: bool = False) -> Callable[[str], list[str]]:
    """A function text -> tokens for ``name`` in ``word | char | spacy``."""
    if name == "word":
        return lambda text: word_tokenize(text, lower)
    if name == "char":
        return lambda text: char_tokenize(text, lower)
    if name == "spacy":
        return _spacy_tokenizer(lower)
    raise ConfigError(f"tokenizer must be one of {', '.join(TOKENIZERS)}, received {name!r}")


class Vocab:
    """A token <-> id mapping. Ids 0 and 1 are ``<pad>`` and ``<unk>`` unless ``specials``
    says otherwise; the other tokens follow by decreasing frequency (ties alphabetical)."""

    def __init__(self, tokens: Iterable[str], specials: tuple[str, ...] = (PAD, UNK)) -> None:
        self.itos: list[str] = list(specials)
        for token in tokens:
            if token not in specials:
                self.itos.append(token)
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("Vocab tokens must be unique")
        self.specials = tuple(specials)
        self.unk_index = self.stoi.get(UNK)
        self.pad_index = self.stoi.get(PAD)

    @classmethod
    def build(
        cls,
        texts: Iterable[list[str]],
        min_freq: int = 1,
        max_size: int = 0,
        specials: tuple[str, ...] = (PAD, UNK),
    ) -> Vocab:
        """From tokenised texts: keep tokens seen ``min_freq`` times, at most ``max_size``
        of them (0 = no limit) besides the specials."""
        counts = Counter(t for text in texts for t in text)
        kept = sorted(
            (t for t, c in counts.items() if c >= min_freq and t not in specials),
            key=lambda t: (-counts[t], t),
        )
        if max_size:
            kept = kept[:max_size]
        vocab = cls(kept, specials)
        vocab.counts = {t: counts[t] for t in kept}
        return vocab

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __getitem__(self, token: str) -> int:
        if token in self.stoi:
            return self.stoi[token]
        if self.unk_index is None:
            raise KeyError(f"token {token!r} is not in the vocabulary (which has no <unk>)")
        return self.unk_index

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self[t] for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    def unknown(self, tokens: Iterable[str]) -> list[str]:
        """The tokens that are not in the vocabulary (in order, without repeats)."""
        return list(dict.fromkeys(t for t in tokens if t not in self.stoi))

    def to_dict(self) -> dict:
        return {"itos": self.itos, "specials": list(self.specials)}

    @classmethod
    def from_dict(cls, data: dict) -> Vocab:
        specials = tuple(data["specials"])
        return cls(data["itos"][len(specials) :], specials)

    def save(self, path: str | Path) -> None:
        from rnnkit.io import atomic_write_text

        atomic_write_text(Path(path), json.dumps(self.to_dict(), ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        """A vocabulary saved by :meth:`save`; a missing or broken file is a
        :class:`~rnnkit.errors.CheckpointError` naming it."""
        from rnnkit.io import malformed, read_json

        data = read_json(path, "vocabulary", {"itos": list, "specials": list})
        with malformed(path, "vocabulary"):
            if not all(isinstance(t, str) for t in data["itos"] + data["specials"]):
                raise ValueError("its tokens must all be strings")
            return cls.from_dict(data)


def read_text_file(path: str | Path) -> str:
    """A whole UTF-8 file; a non-UTF-8 byte is an error naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise DataError(
            f"{path} is not UTF-8 text: byte {raw[err.start]:#04x} on line {line}"
        ) from None
