"""The validation loss against training wall time, from a run's ``metrics.csv``."""

from __future__ import annotations

from pathlib import Path

from rnnkit.report.plots import loss_curves
from rnnkit.train.run import read_metrics


def val_loss_by_time(metrics_csv: Path, column: str = "val_loss") -> list[tuple[int, float, float]]:
    """``(step, elapsed seconds, value)`` at every evaluation. The engine logs a training row
    (with ``elapsed_s``, evaluations included) at every evaluation step."""
    log = read_metrics(metrics_csv)
    seconds = dict(zip(*log.series("elapsed_s")))
    steps, values = log.series(column)
    return [(s, seconds[s], v) for s, v in zip(steps, values) if s in seconds]


def plot_val_loss_by_time(metrics_csv: Path, path: Path, ylabel: str) -> Path | None:
    """The curve in minutes, or None before the first evaluation."""
    points = val_loss_by_time(metrics_csv)
    if not points:
        return None
    minutes = [t / 60 for _, t, _ in points]
    values = [v for _, _, v in points]
    return loss_curves(
        {"validation": (minutes, values)}, path, ylabel, xlabel="training wall time (minutes)"
    )
