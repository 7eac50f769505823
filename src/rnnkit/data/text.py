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
import sys
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


def char_tokenize(text: str, lower: bool = False, reverse: bool = False) -> list[str]:
    """Every character, NFC-normalised: ``"Ana" -> ['A', 'n', 'a']``; with ``reverse``, last
    first (``['a', 'n', 'A']``: what a backward language model reads)."""
    text = unicodedata.normalize("NFC", text)
    chars = list(text.lower() if lower else text)
    return chars[::-1] if reverse else chars


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


SNIFF_BYTES = 8192  # the start of a file checked for binary content before reading the rest
# (first bytes, what they are): formats a user may hand in by mistake, named in the refusal
_MAGIC = (
    (b"\x1f\x8b", "a gzip file"),
    (b"PK\x03\x04", "a zip archive (or a PyTorch .pt file)"),
    (b"\xfd7zXZ\x00", "an xz file"),
    (b"\x28\xb5\x2f\xfd", "a zstd file"),
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\x93NUMPY", "a NumPy array"),
    (b"\x80\x04\x95", "a Python pickle"),
    (b"\x80\x05\x95", "a Python pickle"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_BOMS = (  # UTF-32 before UTF-16: ff fe 00 00 starts with ff fe
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def byte_position(raw: bytes, index: int) -> tuple[int, int]:
    """1-based line and column (counted in characters, not bytes) of ``raw[index]``.

    >>> byte_position(b"ab\\ncaf\\xc3\\xa9 x", 9)  # the x: line 2, after "café "
    (2, 6)
    """
    start = raw.rfind(b"\n", 0, index) + 1
    line = raw.count(b"\n", 0, index) + 1
    return line, len(raw[start:index].decode("utf-8", errors="replace")) + 1


def check_not_binary(head: bytes, name: str | Path) -> None:
    """Refuse bytes that start like a known binary format, a UTF-16/32 byte-order mark, or
    hold a NUL byte (no text file does): a :class:`DataError` naming ``name`` and what was
    found."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            raise DataError(
                f"{name} is {kind}, not text: it starts with the bytes {magic[:4].hex(' ')}"
            )
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            raise DataError(
                f"{name} is {encoding} text (it starts with the byte-order mark "
                f"{bom.hex(' ')}): save it as UTF-8"
            )
    nul = head.find(b"\x00")
    if nul >= 0:
        line, column = byte_position(head, nul)
        raise DataError(
            f"{name} is a binary file, not UTF-8 text: a NUL byte (0x00) on line {line}, "
            f"column {column}"
        )


def decode_text(raw: bytes, name: str | Path) -> str:
    """``raw`` as UTF-8 text without a leading byte-order mark. Binary content
    (:func:`check_not_binary`) or a byte that is not UTF-8 is a :class:`DataError` naming
    ``name``, the line and column (in characters) and the byte."""
    check_not_binary(raw[:SNIFF_BYTES], name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line, column = byte_position(raw, err.start)
        raise DataError(
            f"{name}, line {line}, column {column}: expected UTF-8 text, found the byte "
            f"{raw[err.start]:#04x}"
        ) from None
    check_not_binary(raw, name)  # a NUL byte after the first SNIFF_BYTES
    return text.removeprefix("\ufeff")


def read_text_file(path: str | Path) -> str:
    """A whole UTF-8 file (without a byte-order mark). Its first :data:`SNIFF_BYTES` are
    checked before the rest is read, so a large binary file is refused at once; errors name
    the file, and the line and column of a byte that is not UTF-8 (:func:`decode_text`)."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path} is a folder; expected a text file")
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
            check_not_binary(head, path)
            raw = head + f.read()
    except OSError as err:
        raise DataError(f"cannot read {path}: {err.strerror or err}") from None
    return decode_text(raw, path)


def text_lines(text: str) -> list[str]:
    """The lines of ``text`` split at ``\\n`` only (a ``\\r`` before it is dropped), so
    that line ``i`` is the file's line ``i + 1`` as an editor and the UTF-8 check count them
    (``str.splitlines`` also splits at form feeds, U+2028 and others)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def note(message: str) -> None:
    """A remark about the data (texts left out, cut or split) on standard error, so that it
    never mixes with results printed on standard output."""
    print(message, file=sys.stderr, flush=True)
