"""Classification metrics against figures worked out by hand."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import rnnkit.metrics.classification as classification_module
from rnnkit.metrics.classification import (
    accuracy,
    balanced_accuracy,
    macro_f1,
    per_class,
    summary,
)
from rnnkit.report.confusion import confusion_counts

# true:      0 0 0 0 1 1 2 2 2 2
# predicted: 0 0 1 2 1 1 2 2 0 1
GOLD = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2]
PRED = [0, 0, 1, 2, 1, 1, 2, 2, 0, 1]


def test_per_class_known_answers():
    counts = confusion_counts(GOLD, PRED, 3)
    assert counts.tolist() == [[2, 1, 1], [0, 2, 0], [1, 1, 2]]
    s = per_class(counts)
    np.testing.assert_allclose(s.precision, [2 / 3, 2 / 4, 2 / 3])
    np.testing.assert_allclose(s.recall, [2 / 4, 2 / 2, 2 / 4])
    # F1 = 2PR/(P+R): class 0: 2*(2/3)(1/2)/(7/6) = 4/7; class 1: 2/3; class 2: 4/7
    np.testing.assert_allclose(s.f1, [4 / 7, 2 / 3, 4 / 7])
    assert s.support.tolist() == [4, 2, 4] and s.predicted.tolist() == [3, 4, 3]
    assert accuracy(counts) == pytest.approx(0.6)
    assert balanced_accuracy(counts) == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert macro_f1(counts) == pytest.approx((4 / 7 + 2 / 3 + 4 / 7) / 3)


def test_absent_classes_follow_scikit_learn():
    # class 2 never occurs and is never predicted: left out of both averages;
    # class 1 never occurs but is predicted once: in macro-F1 (F1 0), not in balanced accuracy
    counts = confusion_counts([0, 0, 0], [0, 0, 1], 3)
    assert balanced_accuracy(counts) == pytest.approx(2 / 3)
    assert macro_f1(counts) == pytest.approx((0.8 + 0.0) / 2)
    assert summary([], [], 2) == {"accuracy": 0.0, "balanced_accuracy": 0.0, "macro_f1": 0.0}


def test_doctest():
    assert doctest.testmod(classification_module).failed == 0
