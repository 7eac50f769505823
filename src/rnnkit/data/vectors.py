"""Pretrained word vectors from a local file: GloVe, word2vec text and fastText ``.vec``.

All three are text, one word per line followed by its numbers; word2vec and fastText start
with a header line ``<count> <dim>``. Plain or gzip (``.gz``). Nothing is downloaded.

:func:`embedding_matrix` builds the rows for a :class:`~rnnkit.data.text.Vocab`: the exact
token's vector, else its lower-cased form's, else a small random vector (``<pad>`` gets
zeros), and reports the coverage by vocabulary entry and by token occurrence.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnkit.data.text import PAD, Vocab
from rnnkit.errors import DataError


def _open(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="strict")
    return path.open("r", encoding="utf-8")


def load_vectors(
    path: str | Path,
    wanted: set[str] | None = None,
) -> tuple[dict[str, torch.Tensor], int]:
    """Read ``word -> vector``; with ``wanted``, keep only those words (and their lower-case
    forms) to save memory. Returns the mapping and the dimension."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"vectors file not found: {path}")
    keep = None if wanted is None else wanted | {w.lower() for w in wanted}
    vectors: dict[str, torch.Tensor] = {}
    dim = 0
    try:
        with _open(path) as f:
            for number, line in enumerate(f, 1):
                parts = line.rstrip("\n").rstrip().split(" ")
                if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                    dim = int(parts[1])  # word2vec / fastText header
                    continue
                if len(parts) < 2:
                    continue
                word, numbers = parts[0], parts[1:]
                if dim == 0:
                    dim = len(numbers)
                if len(numbers) != dim:
                    raise DataError(
                        f"{path}, line {number}: {len(numbers)} numbers where {dim} were expected"
                    )
                if keep is not None and word not in keep:
                    continue
                try:
                    vectors[word] = torch.tensor([float(v) for v in numbers])
                except ValueError:
                    raise DataError(f"{path}, line {number}: not a vector of numbers") from None
    except UnicodeDecodeError:
        raise DataError(f"{path} is not UTF-8 text") from None
    except (OSError, EOFError) as err:
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
