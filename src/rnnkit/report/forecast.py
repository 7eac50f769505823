"""Forecast plots: forecasts against actuals with intervals, and the error by horizon step."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rnnkit.report.plots import plt, save


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


def forecast_plots(history, actual, forecast, ids, quantiles, folder: Path, series=None):
    """The two report plots of a forecaster as ``(title, path)`` pairs: forecasts against the
    actuals (``series`` indices, default the first four) and the error by horizon step."""
    point = int(np.argmin([abs(q - 0.5) for q in quantiles])) if quantiles else 0
    folder = Path(folder)
    return [
        (
            "Forecasts against actuals (test part)",
            forecast_vs_actual(
                history, actual, forecast, ids, quantiles, folder / "forecasts.png", series
            ),
        ),
        (
            "Error by horizon step (test part)",
            error_by_step(actual, forecast[..., point], folder / "error_by_step.png"),
        ),
    ]


def compare_report(rows: list[dict], out: Path, title: str) -> tuple[Path, Path]:
    """``compare.csv`` and ``report.html`` in ``out`` for the test scores of several models
    (``rows``: ``model``, ``smape``, ``mase``, ``owa``, ``mae``, ``rmse``, ``train_seconds``)."""
    import pandas as pd

    from rnnkit.io import atomic_write_text
    from rnnkit.report.html import table, write_html

    keys = ("smape", "mase", "owa", "mae", "rmse", "train_seconds")
    frame = pd.DataFrame([{"model": r["model"], **{k: r.get(k) for k in keys}} for r in rows])
    csv = atomic_write_text(Path(out) / "compare.csv", frame.to_csv(index=False))
    cells = [[r["model"]] + [f"{r.get(k, float('nan')):.4g}" for k in keys] for r in rows]
    header = ("model", "sMAPE", "MASE", "OWA", "MAE", "RMSE", "train s")
    heading = "Test scores (last H points of each series, or --test)"
    report = write_html(Path(out) / "report.html", title, [(heading, table(cells, header))])
    return csv, report
