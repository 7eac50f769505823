"""Pretrained word vectors from a local file: GloVe, word2vec text and fastText ``.vec``.

All three are text, one word per line followed by its numbers; word2vec and fastText start
with a header line ``<count> <dim>``. Plain or gzip (``.gz``). Nothing is downloaded.

:func:`embedding_matrix` builds the rows for a :class:`~rnnkit.data.text.Vocab`: the exact
token's vector, else its lower-cased form's, else a small random vector (``<pad>`` gets
zeros), and reports the coverage by vocabulary entry and by token occurrence.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.data.text import PAD, SNIFF_BYTES, Vocab, byte_position, check_not_binary
from rnnkit.errors import DataError


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def _decode_line(raw: bytes, path: Path, number: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        _, column = byte_position(raw, err.start)
        raise DataError(
            f"{path}, line {number}, column {column}: expected UTF-8 text, found the byte "
            f"{raw[err.start]:#04x}"
        ) from None


def _parse(parts: list[str], path: Path, number: int) -> torch.Tensor:
    """The numbers after the word ``parts[0]``; non-numbers and non-finite values are
    refused."""
    try:
        vector = torch.tensor([float(v) for v in parts[1:]])
    except ValueError:
        raise DataError(f"{path}, line {number}: not a vector of numbers") from None
    bad = (~torch.isfinite(vector)).nonzero().flatten()
    if len(bad):
        raise DataError(
            f"{path}, line {number}: the vector of {parts[0]!r} holds the non-finite number "
            f"{parts[1 + int(bad[0])]!r}"
        )
    return vector


def load_vectors(
    path: str | Path,
    wanted: set[str] | None = None,
) -> tuple[dict[str, torch.Tensor], int]:
    """Read ``word -> vector``; with ``wanted``, keep only those words (and their lower-case
    forms) to save memory. Returns the mapping and the dimension. A binary file, a byte that
    is not UTF-8 (named by line and column), a short line or a non-finite number is refused."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"vectors file not found: {path}")
    keep = None if wanted is None else wanted | {w.lower() for w in wanted}
    vectors: dict[str, torch.Tensor] = {}
    dim = 0
    try:
        with _open(path) as f:
            check_not_binary(f.read(SNIFF_BYTES), path)
            f.seek(0)
            for number, raw in enumerate(f, 1):
                line = _decode_line(raw, path, number).removeprefix("\ufeff")
                parts = line.rstrip("\n").rstrip().split(" ")
                if (
                    number == 1
                    and len(parts) == 2
                    and all(p.isascii() and p.isdigit() for p in parts)
                ):
                    dim = int(parts[1])  # word2vec / fastText header
                    continue
                if len(parts) < 2:
                    continue
                if dim == 0:
                    dim = len(parts) - 1
                if len(parts) - 1 != dim:
                    raise DataError(
                        f"{path}, line {number}: {len(parts) - 1} numbers where {dim} were expected"
                    )
                if keep is None or parts[0] in keep:
                    vectors[parts[0]] = _parse(parts, path, number)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"cannot read {path}: {err}") from None
    if dim == 0:
        raise DataError(f"{path} holds no vectors")
    return vectors, dim


@dataclass
class Coverage:
    vocab_found: int  # vocabulary entries (besides specials) with a vector
    vocab_size: int
    tokens_found: int  # token occurrences (from Vocab.counts) with a vector
    tokens_total: int

    @property
    def vocab_percent(self) -> float:
        return 100.0 * self.vocab_found / max(1, self.vocab_size)

    @property
    def tokens_percent(self) -> float:
        return 100.0 * self.tokens_found / max(1, self.tokens_total)

    def __str__(self) -> str:
        return (
            f"vectors cover {self.vocab_percent:.1f}% of the vocabulary "
            f"({self.vocab_found}/{self.vocab_size}) and {self.tokens_percent:.1f}% of "
            f"the tokens"
        )


def embedding_matrix(
    vocab: Vocab, vectors: dict[str, torch.Tensor], dim: int, seed: int = 0
) -> tuple[torch.Tensor, Coverage]:
    """Rows for every vocabulary id: exact, then lower-case, then N(0, 0.1) random."""
    g = torch.Generator().manual_seed(seed)
    weight = torch.randn(len(vocab), dim, generator=g) * 0.1
    counts = getattr(vocab, "counts", {})
    found = tokens_found = tokens_total = 0
    for index, token in enumerate(vocab.itos):
        if token == PAD:
            weight[index] = 0
            continue
        if token in vocab.specials:
            continue
        vector = vectors.get(token)
        if vector is None:
            vector = vectors.get(token.lower())
        tokens_total += counts.get(token, 0)
        if vector is not None:
            weight[index] = vector
            found += 1
            tokens_found += counts.get(token, 0)
    size = len(vocab) - len(vocab.specials)
    return weight, Coverage(found, size, tokens_found, tokens_total)
