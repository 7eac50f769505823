"""What task ``tag`` shows: JSON spans for ``rnnkit predict``, the per-type table and the tag
confusion plot of the report."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from rnnkit.data.schemes import Span
from rnnkit.metrics.conlleval import Scores
from rnnkit.report.confusion import confusion_counts, plot_confusion
from rnnkit.report.html import table


def token_offsets(text: str, tokens: list[str]) -> list[tuple[int, int]]:
    """Character offsets ``(start, end)`` of each token in ``text`` after NFC normalisation
    (the tokens must occur in order, as :func:`~rnnkit.data.text.word_tokenize` returns them).

    >>> token_offsets("Hi, Ann!", ["Hi", ",", "Ann", "!"])
    [(0, 2), (2, 3), (4, 7), (7, 8)]
    """
    text = unicodedata.normalize("NFC", text)
    offsets, cursor = [], 0
    for token in tokens:
        start = text.find(token, cursor)
        if start < 0:
            raise ValueError(f"token {token!r} does not occur in {text!r} after offset {cursor}")
        cursor = start + len(token)
        offsets.append((start, cursor))
    return offsets


def json_line(text: str, tokens: list[str], tags: list[str], spans: list[Span]) -> str:
    """One JSON object: the tokens, their tags and the spans, each span with its token range
    ``[start, end)``, its character range in the (NFC) line and its text.

    >>> json_line("Ann met Bob", ["Ann", "met", "Bob"], ["B-PER", "O", "B-PER"],
    ...           [Span("PER", 0, 1), Span("PER", 2, 3)])[:60]
    '{"text": "Ann met Bob", "tokens": ["Ann", "met", "Bob"], "tags"'
    """
    offsets = token_offsets(text, tokens)
    norm = unicodedata.normalize("NFC", text)
    entities = []
    for span in spans:
        first, last = offsets[span.start][0], offsets[span.end - 1][1]
        entities.append(
            {
                "type": span.type,
                "start": span.start,
                "end": span.end,
                "start_char": first,
                "end_char": last,
                "text": norm[first:last],
            }
        )
    record = {"text": text, "tokens": tokens, "tags": tags, "spans": entities}
    return json.dumps(record, ensure_ascii=False)


def report_table(scores: Scores) -> str:
    """HTML table: precision, recall, F1 (0-1), gold and predicted counts per type."""
    rows = [
        (kind, round(p, 4), round(r, 4), round(f, 4), gold, pred)
        for kind, p, r, f, gold, pred in scores.table()
    ]
    rows.append(("token accuracy", round(scores.accuracy, 4), "", "", scores.tokens, ""))
    return table(rows, ("type", "precision", "recall", "F1", "gold", "predicted"))


def tag_confusion(
    gold: list[list[str]], predicted: list[list[str]], labels: list[str], path: Path
) -> Path:
    """Row-normalised confusion of gold tags (rows) and predicted tags (columns)."""
    index = {tag: i for i, tag in enumerate(labels)}
    flat_gold = [index[t] for sentence in gold for t in sentence]
    flat_pred = [index[t] for sentence in predicted for t in sentence]
    counts = confusion_counts(flat_gold, flat_pred, len(labels))
    return plot_confusion(counts, labels, path, "tag confusion (rows: gold, normalised)")
