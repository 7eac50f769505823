"""Forecast plots: forecasts against actuals with intervals, the error by horizon step, and the
report of ``rnnkit forecast compare`` (a ranked table and every model on one plot)."""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np

from rnnkit.report.plots import plt, save

COMPARE_KEYS = ("smape", "mase", "owa", "mae", "rmse", "train_seconds")
COMPARE_HEADER = ("sMAPE", "MASE", "OWA", "MAE", "RMSE", "train s")


def _axis(stamps, n_history: int, past: int, horizon: int):
    """x values of the last ``past`` history points and of the ``horizon`` forecast steps:
    dates when the series has them (``stamps`` covers history and forecast), else steps."""
    if stamps is None or len(stamps) < n_history + horizon:
        return np.arange(-past, 0), np.arange(horizon), False
    return stamps[n_history - past : n_history], stamps[n_history : n_history + horizon], True


def forecast_vs_actual(
    history,
    actual: np.ndarray,
    forecast: np.ndarray,
    ids: list[str],
    quantiles: list[float],
    path: Path,
    series: list[int] | None = None,
    context: int = 0,
    stamps: list | None = None,
) -> Path:
    """Up to 4 series (``series`` indices, default the first ones): the last ``context``
    history points (default 3 H), the actuals ``(S, H)`` and the forecast ``(S, H, Q)`` with
    the band between the outer quantiles when there are at least two. ``stamps[i]``: the
    dates of series i's history and forecast (x-axis of dates), or None (steps)."""
    H = actual.shape[1]
    chosen = (series or list(range(len(ids))))[:4]
    context = context or 3 * H
    fig, axes = plt.subplots(len(chosen), 1, figsize=(8, 2.6 * len(chosen)), squeeze=False)
    point = int(np.argmin([abs(q - 0.5) for q in quantiles])) if quantiles else 0
    dated = False
    for ax, i in zip(axes[:, 0], chosen):
        past = np.asarray(history[i])[-context:]
        t0, t1, dated = _axis(stamps[i] if stamps else None, len(history[i]), len(past), H)
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
        ax.set_title(f"series {ids[i]}: {H} steps forecast", fontsize=9)
        ax.set_ylabel(f"{ids[i]} (data units)", fontsize=8)
        ax.axvline(t1[0] if dated else -0.5, color="0.7", ls=":")
        ax.grid(True, alpha=0.3)
    axes[0, 0].legend(fontsize=7, loc="upper left")
    axes[-1, 0].set_xlabel("date" if dated else "step (0 = first forecast step)")
    if dated:
        fig.autofmt_xdate()
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
    ax2.set_ylabel("MAE (data units)", color="C1")
    return save(fig, path)


def forecast_plots(
    history, actual, forecast, ids, quantiles, folder: Path, series=None, stamps=None
):
    """The two report plots of a forecaster as ``(title, path)`` pairs: forecasts against the
    actuals (``series`` indices, default the first four; dates from ``stamps``) and the
    error by horizon step."""
    point = int(np.argmin([abs(q - 0.5) for q in quantiles])) if quantiles else 0
    folder = Path(folder)
    vs = forecast_vs_actual(
        history, actual, forecast, ids, quantiles, folder / "forecasts.png", series, 0, stamps
    )
    return [
        ("Forecasts against actuals (test part)", vs),
        (
            "Error by horizon step (test part)",
            error_by_step(actual, forecast[..., point], folder / "error_by_step.png"),
        ),
    ]


def overlay(models: dict[str, np.ndarray], test: dict, path: Path) -> Path:
    """Every model's point forecast of the first series on one plot, in the order given (the
    first, the best, drawn thickest), with its history and actuals (``test``: a task's
    :meth:`test_forecast`)."""
    H = test["actual"].shape[1]
    history = np.asarray(test["history"][0])
    past = history[-3 * H :]
    stamps = test["stamps"][0] if test["stamps"] else None
    t0, t1, dated = _axis(stamps, len(history), len(past), H)
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(t0, past, color="0.4", lw=1, label="history")
    ax.plot(t1, test["actual"][0], color="k", lw=2, label="actual")
    for k, (name, values) in enumerate(models.items()):
        style = {"lw": 2.4, "label": f"{name} (best)"} if k == 0 else {"lw": 1.0, "label": name}
        ax.plot(t1, values, color=f"C{k % 10}", ls="-" if k < 10 else "--", **style)
    ax.set_title(f"series {test['ids'][0]}: the test forecast of every model", fontsize=10)
    ax.set_xlabel("date" if dated else "step (0 = first forecast step)")
    ax.set_ylabel(f"{test['ids'][0]} (data units)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="upper left")
    if dated:
        fig.autofmt_xdate()
    return save(fig, path)


def rank_key(metric: str):
    """Sort key of compare rows: the metric ascending, missing or NaN values last."""

    def key(row: dict) -> float:
        value = row.get(metric)
        return value if isinstance(value, float) and math.isfinite(value) else math.inf

    return key


def compare_report(
    rows: list[dict],
    out: Path,
    title: str,
    metric: str = "owa",
    forecasts: dict[str, np.ndarray] | None = None,
    test: dict | None = None,
) -> tuple[Path, Path]:
    """``compare.csv`` and ``report.html`` in ``out`` for the test scores of several models
    (``rows``: ``model``, ``smape``, ``mase``, ``owa``, ``mae``, ``rmse``, ``train_seconds``,
    each model's run folder being ``out/<model>``), sorted by ``metric`` (lower is better),
    the best marked, each model linked to its run's report; with ``forecasts`` (model ->
    its point forecast of the first series, ``(H,)``) and ``test`` (the task's
    :meth:`test_forecast`), one plot of them all, in rank order, in ``out/plots``."""
    import pandas as pd

    from rnnkit.io import atomic_write_text
    from rnnkit.report.html import image_tag, write_html

    out = Path(out)
    rows = sorted(rows, key=rank_key(metric))
    frame = pd.DataFrame(
        [{"model": r["model"], **{k: r.get(k) for k in COMPARE_KEYS}} for r in rows]
    )
    frame.insert(1, "best", [i == 0 for i in range(len(rows))])
    csv = atomic_write_text(out / "compare.csv", frame.to_csv(index=False))
    body = ["<table><tr><th></th><th>model</th>"]
    body += [f"<th>{h}</th>" for h in COMPARE_HEADER] + ["</tr>"]
    for i, r in enumerate(rows):
        name = html.escape(r["model"])
        link = (
            f'<a href="{name}/report.html">{name}</a>'
            if (out / r["model"] / "report.html").exists()
            else name
        )
        mark = "<td><b>best</b></td>" if i == 0 else f"<td>{i + 1}</td>"
        cells = "".join(f'<td class="num">{r.get(k, float("nan")):.4g}</td>' for k in COMPARE_KEYS)
        style = ' style="background:#eef7ee;font-weight:bold"' if i == 0 else ""
        body.append(f"<tr{style}>{mark}<td>{link}</td>{cells}</tr>")
    body.append("</table>")
    note = (
        f"<p>Ranked by {metric.upper() if metric == 'owa' else metric} on the test part (lower "
        f"is better); each model name opens its run's report.</p>"
    )
    sections = [("Test scores (last H points of each series, or --test)", note + "".join(body))]
    if forecasts and test is not None:
        ranked = {r["model"]: forecasts[r["model"]] for r in rows if r["model"] in forecasts}
        plot = overlay(ranked, test, out / "plots" / "overlay.png")
        sections.append(("Every model on the first series", image_tag(plot)))
    report = write_html(out / "report.html", title, sections)
    return csv, report
