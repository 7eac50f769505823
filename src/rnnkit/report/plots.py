"""Matplotlib figures shared by every run: loss curves and the gradient norm."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from rnnkit.io import atomic_write_bytes  # noqa: E402


def save(fig, path: Path) -> Path:
    """Save a figure as PNG atomically and close it."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path


def spans_decades(values) -> bool:
    positive = [v for v in values if v > 0]
    return bool(positive) and max(positive) / min(positive) > 10


def loss_curves(
    series: dict[str, tuple[list, list]], path: Path, title: str = "loss", xlabel: str = "step"
) -> Path:
    """One line per named series (x, y); log scale when the values span decades."""
    fig, ax = plt.subplots(figsize=(7, 4))
    values = []
    for label, (x, y) in series.items():
        if x:
            ax.plot(x, y, label=label, marker="o" if len(x) < 30 else None, markersize=3)
            values += list(y)
    if spans_decades(values):
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(title)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return save(fig, path)


def run_plots(log, plots_dir: Path) -> list[tuple[str, Path]]:
    """Loss curves (train and validation) and the gradient-norm curve of a run."""
    out = []
    series = {"train": log.series("train_loss"), "validation": log.series("val_loss")}
    if any(s[0] for s in series.values()):
        out.append(("Loss", loss_curves(series, plots_dir / "loss.png", "loss")))
    norms = {"mean per row": log.series("grad_norm"), "max per row": log.series("grad_norm_max")}
    if norms["mean per row"][0]:
        out.append(
            (
                "Gradient norm (before clipping)",
                loss_curves(norms, plots_dir / "grad_norm.png", "global gradient norm"),
            )
        )
    return out
