"""conlleval-rule scores on hand-made cases and against seqeval on random sequences."""

from __future__ import annotations

import doctest
import random

import pytest
from seqeval.metrics import classification_report
from seqeval.metrics.sequence_labeling import precision_recall_fscore_support

import rnnkit.metrics.conlleval as conlleval_module
from rnnkit.metrics.conlleval import evaluate


def test_module_example():
    assert doctest.testmod(conlleval_module).failed == 0


def test_boundary_error_counts_as_one_false_positive_and_one_miss():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    pred = [["B-PER", "O", "O", "B-LOC"]]  # PER one token short
    s = evaluate(gold, pred)
    assert (s.overall.correct, s.overall.predicted, s.overall.gold) == (1, 2, 2)
    assert s.f1 == 0.5 and s.per_type["PER"].f1 == 0.0 and s.per_type["LOC"].f1 == 1.0
    assert s.accuracy == 0.75


def test_type_error():
    s = evaluate([["B-ORG", "I-ORG"]], [["B-LOC", "I-LOC"]])
    assert s.f1 == 0.0
    assert (s.per_type["ORG"].gold, s.per_type["ORG"].predicted) == (1, 0)
    assert (s.per_type["LOC"].gold, s.per_type["LOC"].predicted) == (0, 1)


def test_i_without_b_starts_an_entity():
    gold = [["O", "B-MISC", "I-MISC", "O"]]
    assert evaluate(gold, [["O", "I-MISC", "I-MISC", "O"]]).f1 == 1.0  # IOB1 reading
    s = evaluate(gold, [["O", "I-MISC", "B-MISC", "O"]])  # split in two
    assert (s.overall.correct, s.overall.predicted) == (0, 2)


def test_schemes_mix_and_sentences_do_not_join():
    gold = [["I-PER"], ["I-PER"]]  # two one-token entities, one per sentence
    assert evaluate(gold, [["S-PER"], ["B-PER"]]).f1 == 1.0
    assert evaluate(gold, [["O"], ["O"]]).recall == 0.0


def test_atomic_labels_give_accuracy():
    s = evaluate([["NN", "VB", "NN"]], [["NN", "NN", "NN"]], scheme="none")
    assert s.f1 == pytest.approx(2 / 3) and s.accuracy == pytest.approx(2 / 3)
    assert s.per_type["NN"].precision == pytest.approx(2 / 3)


def test_empty_and_mismatched_input():
    assert evaluate([["O"]], [["O"]]).as_dict() == {
        "f1": 0.0,
        "precision": 0.0,
        "recall": 0.0,
        "accuracy": 1.0,
    }
    with pytest.raises(ValueError, match=r"^sentence 0 has 2 gold tags but 1 predicted tags$"):
        evaluate([["O", "O"]], [["O"]])


TAGS = ["O", "O", "O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "I-ORG", "E-ORG"]


@pytest.mark.parametrize("seed", range(5))
def test_equals_seqeval_on_random_sequences(seed):
    rng = random.Random(seed)
    gold, pred = [], []
    for _ in range(60):
        length = rng.randint(1, 15)
        gold.append([rng.choice(TAGS) for _ in range(length)])
        pred.append([t if rng.random() < 0.7 else rng.choice(TAGS) for t in gold[-1]])
    mine = evaluate(gold, pred)
    p, r, f, _ = precision_recall_fscore_support(gold, pred, average="micro")
    assert (mine.precision, mine.recall, mine.f1) == pytest.approx((p, r, f))
    report = classification_report(gold, pred, output_dict=True)
    for kind, counts in mine.per_type.items():
        theirs = report[kind]
        assert counts.gold == theirs["support"]
        assert counts.precision == pytest.approx(theirs["precision"])
        assert counts.recall == pytest.approx(theirs["recall"])
        assert counts.f1 == pytest.approx(theirs["f1-score"])
