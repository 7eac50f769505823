"""What task ``classify`` writes after training: ``predictions.csv``, the confusion-matrix plot,
and the report's per-class table, most confidently wrong examples and data summary.

Everything is computed on the test part when there is one, else on the validation part.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from rnnkit.metrics.classification import per_class
from rnnkit.report.confusion import confusion_counts, plot_confusion
from rnnkit.report.html import table

SHOWN_WRONG = 12  # most confidently wrong examples in the report
TEXT_CHARS = 300  # characters of a text shown in the report and in predictions.csv


def _short(text: str, limit: int = TEXT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ReportMixin:
    """Needs ``self.splits``, ``self.labels``, ``self.log_probs(model, encoded)``."""

    def report_split(self) -> str:
        return "test" if "test" in self.splits else "validation"

    def _outcome(self, model) -> pd.DataFrame:
        """One row per example of the report split: text, where, label, predicted, p."""
        split = self.report_split()
        part = self.splits[split]
        probs = self.log_probs(model, part.encoded).exp()
        p_pred, pred = probs.max(dim=-1)
        gold = part.targets
        return pd.DataFrame(
            {
                "where": part.examples.where,
                "text": [_short(t) for t in part.examples.texts],
                "label": [self.labels[i] for i in gold.tolist()],
                "predicted": [self.labels[i] for i in pred.tolist()],
                "probability": p_pred.numpy().round(4),
                "p_label": probs[range(len(gold)), gold].numpy().round(4),
                "length": part.encoded.lengths.numpy(),
            }
        )

    def _counts(self, frame: pd.DataFrame):
        index = {label: i for i, label in enumerate(self.labels)}
        return confusion_counts(
            [index[x] for x in frame["label"]], [index[x] for x in frame["predicted"]], len(index)
        )

    def predictions(self, model, state=None) -> pd.DataFrame:
        return self._outcome(model)

    def plots(self, model, plots_dir: Path, state=None):
        split = self.report_split()
        counts = self._counts(self._outcome(model))
        path = plot_confusion(
            counts,
            self.labels,
            Path(plots_dir) / "confusion.png",
            f"{split} confusion matrix (rows: true label, normalised)",
        )
        return [(f"Confusion matrix ({split}, {int(counts.sum())} examples)", path)]

    def report_sections(self, model) -> list[tuple[str, str]]:
        split = self.report_split()
        frame = self._outcome(model)
        scores = per_class(self._counts(frame))
        rows = [
            (label, scores.precision[i], scores.recall[i], scores.f1[i], int(scores.support[i]))
            for i, label in enumerate(self.labels)
        ]
        sections = [
            (
                f"Per-class scores ({split})",
                table(rows, ("label", "precision", "recall", "F1", "support")),
            )
        ]
        wrong = frame[frame["label"] != frame["predicted"]]
        wrong = wrong.sort_values("probability", ascending=False).head(SHOWN_WRONG)
        sections.append(
            (
                f"Most confidently wrong ({split}, {len(frame[frame.label != frame.predicted])} "
                "wrong in all)",
                table(
                    [
                        (r.text, r.label, r.predicted, float(r.probability), r.where)
                        for r in wrong.itertuples()
                    ],
                    ("text", "label", "predicted", "p(predicted)", "where"),
                )
                if len(wrong)
                else "<p>none: every example is right</p>",
            )
        )
        sections.append(("Data", table(self.data_rows(), ("", "value"))))
        return sections

    def data_rows(self) -> list[tuple]:
        d = self.config.data
        enc = self.encoder
        rows = [(f"{name} examples", len(part.targets)) for name, part in self.splits.items()]
        rows += [
            ("classes", len(self.labels)),
            ("level / tokenizer", f"{d.level} / {d.tokenizer or d.level}"),
            ("vocabulary (with <pad>, <unk>)", len(enc.vocab)),
        ]
        if enc.ngram_vocab is not None:
            rows.append((f"n-gram vocabulary (2..{d.ngrams})", len(enc.ngram_vocab)))
        train = self.splits["train"].encoded
        rows += [
            (
                "mean / max training length (tokens, after truncation)",
                f"{float(train.lengths.float().mean()):.1f} / {int(train.lengths.max())}",
            ),
            (f"training texts cut to max_length={d.max_length} ({d.truncate})", train.truncated),
        ]
        padding = self.padding()
        rows += [
            ("padding fraction, length-bucketed batches", round(padding["bucketed"], 4)),
            ("padding fraction, random batches (for comparison)", round(padding["unbucketed"], 4)),
        ]
        if self.coverage is not None:
            rows.append(("pretrained vectors", html.escape(str(self.coverage))))
        return rows
