"""Scoring forecasts: the held-out test part, a separate test file, other data, backtests.

Scores are the M4 competition's (sMAPE, MASE with the seasonal period m, OWA against Naive2)
plus MAE and RMSE, and the coverage of the outer quantiles when there are quantiles.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit.data.series import SeriesSet
from rnnkit.data.windows import WindowIndex
from rnnkit.errors import ConfigError, DataError, RnnkitError
from rnnkit.metrics import forecasting as fm
from rnnkit.metrics import probabilistic as pm
from rnnkit.models.forecasting.baselines import forecast as baseline_forecast
from rnnkit.tasks import forecast_calibration as calibration
from rnnkit.tasks.forecast_data import read_series
from rnnkit.tasks.forecast_predict import ForecastPredictor


def score(
    p: ForecastPredictor, forecast: np.ndarray, actual: np.ndarray, insample, ids=None
) -> dict:
    """sMAPE, MASE, MAE, RMSE, OWA vs Naive2 of ``forecast`` ``(S, H, Q)`` against ``actual``
    ``(S, H)``, MASE scaled on ``insample``; with quantiles or calibrated intervals also
    ``coverage_<level>`` of each central interval, ``msis`` (95%) and ``crps``. Undefined
    metrics (MASE of a constant series, OWA when Naive2 is exact) are NaN with a warning
    naming the series (``ids``, default the predictor's)."""
    point, m = forecast[..., p.point_index], p.data.season
    ids = p.prepared.series.ids if ids is None else ids
    out = fm.score(actual, point, insample, m, ids)
    n2 = baseline_forecast("naive2", insample, actual.shape[1], m)
    with warnings.catch_warnings():  # the same series as the model's MASE: warned once
        warnings.simplefilter("ignore")
        mase_n2 = fm.mase(actual, n2, insample, m)
    out["owa"] = fm.owa(out["smape"], out["mase"], fm.smape(actual, n2), mase_n2)
    if p.quantiles:
        bands = {q: forecast[..., k] for k, q in enumerate(p.quantiles)}
    elif p.calibration is not None:
        scales = calibration.scales_of(insample, m)
        cal = calibration.intervals(p.calibration, point, scales)
        bands = {q: cal[..., k] for k, q in enumerate(p.calibration["levels"])}
    else:
        return out
    return {**out, **interval_scores(point, bands, actual, insample, m)}


def interval_scores(point, bands: dict, actual, insample, m: int) -> dict:
    """``coverage_<level>`` of every central interval in ``bands`` ``{level: (S, H)}``,
    M4's ``msis`` of the 95% one, and ``crps`` from the levels and the point as median."""
    out = {}
    for q in sorted(bands):
        if q < 0.5 and round(1 - q, 6) in {round(b, 6) for b in bands}:
            hi = next(b for b in bands if abs(b - (1 - q)) < 1e-9)
            level = round((1 - 2 * q) * 100, 4)
            out[f"coverage_{level:g}"] = fm.coverage(actual, bands[q], bands[hi])
            if abs(level - 95) < 1e-9:
                out["msis"] = pm.msis(actual, bands[q], bands[hi], insample, m, alpha=0.05)
    levels = sorted(set(bands) | {0.5})
    stacked = np.stack([bands.get(q, point) for q in levels], -1)
    out["crps"] = pm.crps_quantiles(actual, stacked, levels)
    return out


def test_values(test: SeriesSet, train: SeriesSet, horizon: int) -> np.ndarray:
    """The first H values ``(S, H)`` of a separate test set (M4 style), in the order of the
    training series; the series must be the same."""
    if test.ids != train.ids and len(test) == len(train):
        order = {sid: i for i, sid in enumerate(test.ids)}
        if set(order) == set(train.ids):
            test = test.subset([order[s] for s in train.ids])
    if test.ids != train.ids:
        raise DataError(
            f"the test set must have the same series as the training set: "
            f"{len(train)} training series, {len(test)} test series"
        )
    short = [s for s, n in zip(test.ids, test.lengths) if n < horizon]
    if short:
        raise DataError(f"test series shorter than horizon={horizon}: {short[:5]}")
    return np.stack([v[:horizon] for v in test.values])


def first_windows(index: WindowIndex) -> WindowIndex:
    """The first window of each series in ``index``."""
    _, first = np.unique(index.series, return_index=True)
    return WindowIndex(index.series[first], index.start[first])


def split_forecast(p: ForecastPredictor, split: str) -> tuple[np.ndarray, np.ndarray, list]:
    """Forecasts ``(S, H, Q)`` of the first window of each series in ``split`` (validation or
    test), the actual values ``(S, H)`` (from the raw series, not through the scaler) and the
    histories before those windows."""
    series, H = p.prepared.series, p.horizon
    cut = p.data.test_size + (p.data.validation_size if split == "validation" else 0)
    insample = [v[: len(v) - cut] for v in series.values]
    actual = np.stack([v[len(v) - cut : len(v) - cut + H] for v in series.values])
    if p.net.is_baseline:
        return p.model.forecast(insample), actual, insample
    if hasattr(p, "split_points"):  # an ensemble of runs: the median of its members'
        return p.split_points(lambda m: split_forecast(m, split)), actual, insample
    first = first_windows(p.prepared.windows[split])
    f = p.network_forecast(p.prepared.batch(first))
    return f, actual, insample


def evaluate_test(p: ForecastPredictor) -> dict:
    """Scores on the held-out test part (each series' last ``test_size`` points)."""
    if not p.data.test_size:
        raise RnnkitError("this forecaster has no test part (test_size=0); pass data")
    f, actual, insample = split_forecast(p, "test")
    return score(p, f, actual, insample)


def evaluate(p: ForecastPredictor, data, test=None) -> dict:
    """Scores on new data: with ``test``, forecast after ``data`` and score on ``test``
    (M4 style); else hold out the last H points of each series of ``data``."""
    series = read_series(data, p.data)
    if test is not None:
        actual = test_values(read_series(test, p.data), series, p.horizon)
        insample = series.values
    else:
        actual = np.stack([v[-p.horizon :] for v in series.values])
        insample = [v[: -p.horizon] for v in series.values]
        series = series.head(p.horizon)
    return score(p, p.view(series).forecast_array(), actual, insample, series.ids)


def backtest(p: ForecastPredictor, data=None, n_windows: int = 3, step: int | None = None):
    """Rolling-origin evaluation without refitting: origins at ``n - H - k step`` for
    k = n_windows-1..0 (the last window ends at each series' end). One row per window and
    series: ``window, id, origin, in_sample, smape, mase, mae, rmse``;
    ``.attrs["summary"]`` holds the mean of each metric per window. Origins inside the
    training part are in-sample for a network, which the ``in_sample`` column flags.

    On the training series of a window network, every window is forecast in one batch from
    the prepared tensors (``n_windows`` in the thousands is fine: ``step=1`` over a whole
    test part is how the ETT benchmarks score); otherwise each origin re-reads the history.
    """
    step = p.horizon if step is None else step
    for name, value in (("n_windows", n_windows), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"{name} must be a positive integer, received {value!r}")
    series = read_series(data, p.data) if data is not None else p.prepared.series
    H = p.horizon
    origins = np.array(
        [[n - H - k * step for k in range(n_windows - 1, -1, -1)] for n in series.lengths]
    )
    batched = data is None and p.net.trains and p.net.kind != "stateful"
    f = _batched_forecasts(p, origins) if batched else _reread_forecasts(p, series, origins)
    held = p.data.test_size + p.data.validation_size
    rows = []
    for i, (sid, values) in enumerate(zip(series.ids, series.values)):
        for w, origin in enumerate(origins[i]):
            r = fm.score(
                values[origin : origin + H], f[i, w], values[:origin], p.data.season, [sid]
            )
            inside = data is None and origin + H <= len(values) - held and not p.net.is_baseline
            rows.append(
                {**r, "window": w + 1, "id": sid, "origin": int(origin), "in_sample": bool(inside)}
            )
    columns = ["window", "id", "origin", "in_sample", "smape", "mase", "mae", "rmse"]
    frame = pd.DataFrame(rows)[columns].sort_values(["window"], kind="stable")
    frame = frame.reset_index(drop=True)
    frame.attrs["summary"] = frame.groupby("window")[["smape", "mase", "mae", "rmse"]].mean()
    return frame


def _batched_forecasts(p: ForecastPredictor, origins: np.ndarray) -> np.ndarray:
    """Point forecasts ``(S, W, H)`` from the prepared series, all windows batched."""
    S, W = origins.shape
    starts = origins - p.data.input_length
    if (starts < 0).any():
        i = int(np.argwhere(starts < 0)[0, 0])
        raise DataError(
            f"backtest origin {int(origins[i].min())} of series {p.prepared.series.ids[i]!r} "
            f"leaves less history than input_length = {p.data.input_length}; use fewer "
            f"windows or a smaller step"
        )
    index = WindowIndex(np.repeat(np.arange(S), W), starts.reshape(-1))
    out = [
        p.network_forecast(p.prepared.batch(index, slice(lo, lo + 4096)))[..., p.point_index]
        for lo in range(0, len(index), 4096)
    ]
    return np.concatenate(out).reshape(S, W, p.horizon)


def _reread_forecasts(p: ForecastPredictor, series: SeriesSet, origins: np.ndarray):
    """Point forecasts ``(S, W, H)``, each origin forecast after the history before it."""
    W = origins.shape[1]
    out = np.zeros((len(series), W, p.horizon))
    for w in range(W):
        cut = series.lengths[0] - origins[0, w]  # the same cut for every series
        out[:, w] = p.view(series.head(int(cut))).forecast_array()[..., p.point_index]
    return out


def timelines(series, horizon: int) -> list:
    """Per series, its timestamps followed by the ``horizon`` after its end (a
    DatetimeIndex), or None when the series has no timestamps: the dates of the x-axes."""
    out = []
    for i, ts in enumerate(series.timestamps):
        if ts is None or series.freq is None:
            out.append(None)
        else:
            out.append(ts.append(pd.DatetimeIndex(series.future_timestamps(i, horizon))))
    return out


def plot_last_horizon(p: ForecastPredictor, folder: Path, series: list[str] | None = None):
    """``forecasts.png`` and ``error_by_step.png`` in ``folder``: the last H points of every
    series forecast again from the history before them, for the ``series`` ids (default the
    first four), against the actuals."""
    from rnnkit.report.forecast import forecast_plots

    full = p.prepared.series
    head = full.head(p.horizon)
    actual = np.stack([v[-p.horizon :] for v in full.values])
    index = {sid: i for i, sid in enumerate(full.ids)}
    unknown = [s for s in series or [] if s not in index]
    if unknown:
        raise DataError(f"unknown series {unknown}; known: {full.ids[:5]}...")
    chosen = [index[s] for s in series] if series else None
    f = p.view(head).forecast_array()
    stamps = timelines(full, 0)
    plots = forecast_plots(head.values, actual, f, full.ids, p.quantiles, folder, chosen, stamps)
    return [path for _, path in plots]


__all__ = [
    "plot_last_horizon",
    "timelines",
    "score",
    "test_values",
    "split_forecast",
    "evaluate_test",
    "evaluate",
    "backtest",
]
