"""The plot of the learning-rate range test (``rnnkit lr-find``)."""

from __future__ import annotations

from pathlib import Path

from rnnkit.report.plots import plt, save
from rnnkit.train.lr_find import RangeResult

STOPPED = {
    "end_lr": "up to the last rate",
    "diverged": "stopped where the loss diverged",
    "not finite": "stopped at a loss that was not finite",
}


def plot_range_test(result: RangeResult, path: Path) -> Path:
    """Loss (raw and smoothed) against the learning rate on a log axis, with the minimum,
    the steepest descent and the suggestion marked."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(result.lrs, result.losses, color="0.75", linewidth=0.8, label="loss")
    ax.plot(result.lrs, result.smoothed, color="C0", label="smoothed loss")
    marks = (
        (result.minimum, "C3", "lowest smoothed loss"),
        (result.steepest, "C2", "steepest descent"),
        (result.suggestion, "C1", "suggested lr (minimum / 10)"),
    )
    for lr, color, label in marks:
        ax.axvline(lr, color=color, linestyle="--", linewidth=1, label=f"{label}: {lr:.2g}")
    ax.set_xscale("log")
    low, high = min(result.smoothed), max(result.smoothed[: max(1, len(result.smoothed) // 10)])
    ax.set_ylim(low - 0.1 * (high - low), high + 0.2 * (high - low) + 1e-12)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.set_title(f"learning-rate range test: {len(result.lrs)} steps, {STOPPED[result.stopped]}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, path)
