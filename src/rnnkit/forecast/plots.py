"""Forecast plots: forecasts against actuals with intervals, and the error by horizon step."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def forecast_vs_actual(
    history,
    actual: np.ndarray,
    forecast: np.ndarray,
    ids: list[str],
    quantiles: list[float],
    path: Path,
    series: list[int] | None = None,
    context: int = 0,
) -> Path:
    """Up to 4 series (``series`` indices, default the first ones): the last ``context``
    history points (default 3 H), the actuals ``(S, H)`` and the forecast ``(S, H, Q)`` with
    the band between the outer quantiles when there are at least two."""
    import matplotlib.pyplot as plt

    from rnnkit.report.plots import save

    H = actual.shape[1]
    chosen = (series or list(range(len(ids))))[:4]
    context = context or 3 * H
    fig, axes = plt.subplots(len(chosen), 1, figsize=(8, 2.4 * len(chosen)), squeeze=False)
    point = int(np.argmin([abs(q - 0.5) for q in quantiles])) if quantiles else 0
    for ax, i in zip(axes[:, 0], chosen):
        past = np.asarray(history[i])[-context:]
        t0 = np.arange(-len(past), 0)
        t1 = np.arange(H)
        ax.plot(t0, past, color="0.4", lw=1, label="history")
        ax.plot(t1, actual[i], color="k", lw=1.2, label="actual")
        ax.plot(t1, forecast[i, :, point], color="C3", lw=1.2, label="forecast")
        if len(quantiles) >= 2:
            lo, hi = int(np.argmin(quantiles)), int(np.argmax(quantiles))
            ax.fill_between(
                t1,
                forecast[i, :, lo],
                forecast[i, :, hi],
                color="C3",
                alpha=0.2,
                label=f"{quantiles[lo]:g}-{quantiles[hi]:g} interval",
            )
        ax.set_title(f"series {ids[i]}", fontsize=9)
        ax.axvline(-0.5, color="0.7", ls=":")
    axes[0, 0].legend(fontsize=7, loc="upper left")
    axes[-1, 0].set_xlabel("step (0 = first forecast step)")
    return save(fig, path)


def error_by_step(actual: np.ndarray, forecast: np.ndarray, path: Path) -> Path:
    """Mean absolute error and sMAPE at each horizon step, averaged over series."""
    import matplotlib.pyplot as plt

    from rnnkit.report.plots import save

    err = np.abs(actual - forecast)
    den = np.abs(actual) + np.abs(forecast)
    smape = np.where(den == 0, 0.0, 200 * err / np.where(den == 0, 1, den)).mean(0)
    steps = np.arange(1, actual.shape[1] + 1)
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(steps, smape, "o-", ms=3, color="C0")
    ax.set_xlabel("horizon step")
    ax.set_ylabel("sMAPE (%)", color="C0")
    ax2 = ax.twinx()
    ax2.plot(steps, err.mean(0), "s--", ms=3, color="C1")
    ax2.set_ylabel("MAE", color="C1")
    return save(fig, path)
