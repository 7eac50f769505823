r"""Metrics of generated sequences against references: exact match, character accuracy, BLEU.

- :func:`exact_match`: share of outputs equal to their reference.
- :func:`char_accuracy`: characters right at their position, over the longer of the two
  strings, summed over the corpus: :math:`\sum_i \#\{j : p_{ij} = r_{ij}\} / \sum_i
  \max(|p_i|, |r_i|)`. 1 exactly when every output is right; a missing or extra character
  costs one position.
- :func:`corpus_bleu`: Papineni et al. (2002) corpus BLEU, on 0-100: clipped n-gram counts
  summed over the corpus, for n = 1..``max_order`` (uniform weights, no smoothing), times the
  brevity penalty :math:`\min(1, e^{1 - r/c})` with :math:`c` the total output length and
  :math:`r` the total length of the reference closest in length to each output (the shorter
  one on a tie). Any order without a match gives 0.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from rnnkit.errors import ConfigError, DataError


def _check_same_length(outputs: Sequence, references: Sequence) -> None:
    if len(outputs) != len(references):
        raise DataError(
            f"outputs and references must have the same length, received {len(outputs)} "
            f"outputs and {len(references)} references"
        )


def exact_match(outputs: Sequence[str], references: Sequence[str]) -> float:
    """Share of ``outputs[i] == references[i]`` (0 for an empty corpus)."""
    _check_same_length(outputs, references)
    if not outputs:
        return 0.0
    return sum(o == r for o, r in zip(outputs, references)) / len(outputs)


def char_accuracy(outputs: Sequence[str], references: Sequence[str]) -> float:
    """Position-wise character accuracy over the corpus (see the module docstring)."""
    _check_same_length(outputs, references)
    right = sum(sum(a == b for a, b in zip(o, r)) for o, r in zip(outputs, references))
    positions = sum(max(len(o), len(r)) for o, r in zip(outputs, references))
    return right / positions if positions else 1.0


def ngrams(tokens: Sequence[str], n: int) -> Counter:
    """Counts of the n-grams (as tuples) of a token sequence."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def corpus_bleu(
    outputs: Sequence[Sequence[str]],
    references: Sequence[Sequence[Sequence[str]]],
    max_order: int = 4,
) -> float:
    """Corpus BLEU on 0-100 of tokenised ``outputs`` against one or more tokenised
    references each (``references[i]`` is the list of references of ``outputs[i]``).

    >>> corpus_bleu([["a", "b", "c", "d"]], [[["a", "b", "c", "d"]]])
    100.0
    """
    _check_same_length(outputs, references)
    if max_order < 1:
        raise ConfigError(f"max_order must be >= 1, received {max_order}")
    matches, totals = [0] * max_order, [0] * max_order
    out_length = ref_length = 0
    for output, refs in zip(outputs, references):
        if not refs:
            raise DataError("every output needs at least one reference, received none")
        out_length += len(output)
        ref_length += min((abs(len(r) - len(output)), len(r)) for r in refs)[1]
        for n in range(1, max_order + 1):
            counts = ngrams(output, n)
            best: Counter = Counter()
            for ref in refs:
                best |= ngrams(ref, n)  # the most times each n-gram occurs in one reference
            matches[n - 1] += sum(min(c, best[g]) for g, c in counts.items())
            totals[n - 1] += sum(counts.values())
    if min(matches) == 0 or out_length == 0:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_order
    brevity = min(0.0, 1 - ref_length / out_length)
    return 100 * math.exp(log_precision + brevity)


__all__ = ["exact_match", "char_accuracy", "corpus_bleu", "ngrams"]
