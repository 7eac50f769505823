"""A confusion-matrix figure for any set of labels (classification, tags)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rnnkit.metrics.classification import confusion_counts
from rnnkit.report.plots import plt, save

__all__ = ["confusion_counts", "plot_confusion"]


def plot_confusion(
    counts: np.ndarray,
    labels: list[str],
    path: Path,
    title: str = "confusion matrix (rows: true, normalised)",
) -> Path:
    """Row-normalised heat map with the labels on both axes; the counts in small print."""
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros(counts.shape, dtype=float), where=rows > 0)
    size = max(4.0, 0.42 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(labels) <= 25:
        for i in range(len(labels)):
            for j in range(len(labels)):
                if counts[i, j]:
                    color = "white" if share[i, j] > 0.5 else "black"
                    ax.text(
                        j, i, str(counts[i, j]), ha="center", va="center", fontsize=6, color=color
                    )
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046)
    return save(fig, path)
