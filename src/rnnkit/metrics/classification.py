"""Classification metrics from a confusion matrix.

``counts[i, j]`` is the number of examples of true class i predicted as class j (see
:func:`confusion_counts`). For class c:

- precision_c = counts[c, c] / (column c sum), recall_c = counts[c, c] / (row c sum),
  F1_c = 2 P R / (P + R); a 0/0 is 0 (as scikit-learn's ``zero_division=0``).
- accuracy = trace / total.
- balanced accuracy = mean of recall_c over the classes that occur in the gold labels.
- macro-F1 = mean of F1_c over the classes that occur in the gold labels *or* the
  predictions (scikit-learn's default label set).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def confusion_counts(gold: list[int], pred: list[int], n: int) -> np.ndarray:
    """``counts[i, j]`` = number of examples of true class i predicted as class j, ``(n, n)``."""
    counts = np.zeros((n, n), dtype=np.int64)
    np.add.at(counts, (np.asarray(gold, dtype=np.int64), np.asarray(pred, dtype=np.int64)), 1)
    return counts


@dataclass
class ClassScores:
    """Per-class figures, each an array of shape ``(C,)``."""

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray  # true examples of each class
    predicted: np.ndarray  # examples predicted as each class


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def per_class(counts: np.ndarray) -> ClassScores:
    """Precision, recall, F1, support and predicted count of every class."""
    counts = np.asarray(counts)
    tp = np.diag(counts).astype(float)
    support, predicted = counts.sum(axis=1), counts.sum(axis=0)
    precision, recall = _ratio(tp, predicted), _ratio(tp, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return ClassScores(precision, recall, f1, support, predicted)


def accuracy(counts: np.ndarray) -> float:
    total = counts.sum()
    return float(np.trace(counts) / total) if total else 0.0


def balanced_accuracy(counts: np.ndarray) -> float:
    scores = per_class(counts)
    present = scores.support > 0
    return float(scores.recall[present].mean()) if present.any() else 0.0


def macro_f1(counts: np.ndarray) -> float:
    scores = per_class(counts)
    present = (scores.support > 0) | (scores.predicted > 0)
    return float(scores.f1[present].mean()) if present.any() else 0.0


def summary(gold: list[int], pred: list[int], num_classes: int) -> dict[str, float]:
    """``accuracy``, ``balanced_accuracy`` and ``macro_f1`` of integer labels in [0, C).

    >>> summary([0, 0, 1, 1], [0, 1, 1, 1], 2)
    {'accuracy': 0.75, 'balanced_accuracy': 0.75, 'macro_f1': 0.7333333333333334}
    """
    counts = confusion_counts(gold, pred, num_classes)
    return {
        "accuracy": accuracy(counts),
        "balanced_accuracy": balanced_accuracy(counts),
        "macro_f1": macro_f1(counts),
    }
