"""Entity-level precision, recall and F1 under the conlleval rules, and token accuracy.

conlleval (the CoNLL-2000/2003 shared-task script) reads the entities of the gold and of the
predicted tags with the same rules (:func:`rnnkit.data.schemes.spans`: an ``I-`` without a
``B-`` starts an entity, any scheme is accepted). A predicted entity is correct when an entity
of the same type has exactly the same first and last token. Per type and over all types
(micro average)::

    precision = correct / predicted,  recall = correct / gold,
    F1 = 2 * precision * recall / (precision + recall)

as fractions in [0, 1] (conlleval prints them as percentages), 0 when a denominator is 0.
Sentences are separate: no entity crosses a sentence boundary. Token accuracy is the share
of tokens whose predicted tag string equals the gold one (in one scheme, so convert first
when the two differ).

    >>> s = evaluate([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-ORG"]])
    >>> round(s.f1, 4), s.per_type["PER"].f1, s.accuracy
    (0.5, 1.0, 0.75)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rnnkit.data.schemes import Span, scheme_spans
from rnnkit.errors import DataError


@dataclass
class Counts:
    """Entity counts of one type (or of all types) and the scores they give."""

    correct: int = 0
    predicted: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Scores:
    """The result of :func:`evaluate`: micro counts, per-type counts, token accuracy."""

    overall: Counts
    per_type: dict[str, Counts] = field(default_factory=dict)
    tokens: int = 0
    tokens_correct: int = 0

    precision = property(lambda self: self.overall.precision)
    recall = property(lambda self: self.overall.recall)
    f1 = property(lambda self: self.overall.f1)

    @property
    def accuracy(self) -> float:
        return self.tokens_correct / self.tokens if self.tokens else 0.0

    def as_dict(self) -> dict[str, float]:
        """``{"f1", "precision", "recall", "accuracy"}``, each in [0, 1]."""
        return {
            "f1": self.f1,
            "precision": self.precision,
            "recall": self.recall,
            "accuracy": self.accuracy,
        }

    def table(self) -> list[tuple[str, float, float, float, int, int]]:
        """Rows ``(type, precision, recall, f1, gold, predicted)``, types sorted, then all."""
        rows = [
            (kind, c.precision, c.recall, c.f1, c.gold, c.predicted)
            for kind, c in sorted(self.per_type.items())
        ]
        o = self.overall
        return rows + [("all (micro)", o.precision, o.recall, o.f1, o.gold, o.predicted)]


def evaluate(gold: list[list[str]], predicted: list[list[str]], scheme: str = "bio") -> Scores:
    """conlleval scores of ``predicted`` against ``gold`` (lists of sentences of tags).

    ``scheme`` only matters for ``"none"`` (atomic labels such as POS tags: every token is an
    entity of its tag's type, so micro F1 equals the accuracy); the span schemes are all read
    with the conlleval rules.
    """
    if len(gold) != len(predicted):
        raise DataError(
            f"gold and predicted must hold the same number of sentences, received "
            f"{len(gold)} and {len(predicted)}"
        )
    per_type: dict[str, Counts] = {}
    counts = Counter()
    tokens = tokens_correct = 0
    for i, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise DataError(f"sentence {i} has {len(g)} gold tags but {len(p)} predicted tags")
        tokens += len(g)
        tokens_correct += sum(a == b for a, b in zip(g, p))
        gold_spans: set[Span] = set(scheme_spans(g, scheme))
        pred_spans: set[Span] = set(scheme_spans(p, scheme))
        for span in gold_spans:
            counts[(span.type, "gold")] += 1
        for span in pred_spans:
            counts[(span.type, "predicted")] += 1
        for span in gold_spans & pred_spans:
            counts[(span.type, "correct")] += 1
    for (kind, what), n in counts.items():
        setattr(per_type.setdefault(kind, Counts()), what, n)
    overall = Counts(
        sum(c.correct for c in per_type.values()),
        sum(c.predicted for c in per_type.values()),
        sum(c.gold for c in per_type.values()),
    )
    return Scores(overall, per_type, tokens, tokens_correct)
