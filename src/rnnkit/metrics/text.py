r"""Metrics of generated sequences against references: exact match, character accuracy, BLEU.

- :func:`exact_match`: share of outputs equal to their reference.
- :func:`char_accuracy`: characters right at their position, over the longer of the two
  strings, summed over the corpus: :math:`\sum_i \#\{j : p_{ij} = r_{ij}\} / \sum_i
  \max(|p_i|, |r_i|)`. 1 exactly when every output is right; a missing or extra character
  costs one position.
- :func:`corpus_bleu`: corpus BLEU on 0-100 computed by sacreBLEU (Post, 2018), the
  implementation published figures use (an optional extra: ``pip install 'rnnkit[bleu]'``).
"""

from __future__ import annotations

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


def bleu_available() -> bool:
    """True when sacrebleu (the optional extra ``rnnkit[bleu]``) is installed."""
    import importlib.util

    return importlib.util.find_spec("sacrebleu") is not None


def corpus_bleu(
    outputs: Sequence[str],
    references: Sequence[str] | Sequence[Sequence[str]],
    *,
    tokenize: str = "13a",
    smooth: str = "exp",
    max_order: int = 4,
) -> float:
    """sacreBLEU's corpus BLEU on 0-100 of ``outputs`` (plain strings) against one reference
    each (``references[i]`` a str) or several (a list of str, as many as there are).

    ``tokenize`` and ``smooth`` are sacreBLEU's (``13a`` and ``exp`` by default, its standard
    signature; ``char`` for character-level outputs; ``none`` with ``smooth="none"`` is the
    unsmoothed BLEU of Papineni et al. on space-separated tokens).

    >>> round(corpus_bleu(["the cat sat on the mat"], ["the cat sat on the mat"]), 6)
    100.0
    """
    _check_same_length(outputs, references)
    if max_order < 1:
        raise ConfigError(f"max_order must be >= 1, received {max_order}")
    try:
        from sacrebleu.metrics import BLEU
    except ImportError:
        raise ConfigError("BLEU needs sacrebleu: pip install 'rnnkit[bleu]'") from None
    refs = [[r] if isinstance(r, str) else list(r) for r in references]
    if any(not r for r in refs):
        raise DataError("every output needs at least one reference, received none")
    width = max((len(r) for r in refs), default=1)
    streams = [[r[k] if k < len(r) else None for r in refs] for k in range(width)]
    bleu = BLEU(max_ngram_order=max_order, smooth_method=smooth, tokenize=tokenize)
    return float(bleu.corpus_score(list(outputs), streams).score)


__all__ = ["exact_match", "char_accuracy", "corpus_bleu", "bleu_available"]
