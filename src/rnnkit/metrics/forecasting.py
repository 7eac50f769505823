"""Point and interval forecast metrics, as the M4 competition defines them.

Every function takes ``y`` (actuals) and ``f`` (forecasts) of the same shape ``(H,)`` for one
series, or ``(S, H)`` for S series of one horizon, and returns the metric averaged over all
entries of the last axis and then over the series (the M4 convention: a per-series value,
then the mean over series). Values are plain floats.

.. math::

    \\mathrm{sMAPE} = \\frac{1}{H} \\sum_t \\frac{200\\,|y_t - f_t|}{|y_t| + |f_t|}, \\qquad
    \\mathrm{MASE} = \\frac{\\frac{1}{H} \\sum_t |y_t - f_t|}
        {\\frac{1}{n-m} \\sum_{t=m+1}^{n} |x_t - x_{t-m}|}

where ``x`` is the series' own training part (in-sample) and ``m`` the seasonal period.
``OWA = (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2`` with both sides averaged over series.
Where a metric is undefined (MASE of a constant series, OWA when Naive2 is perfect) it is NaN,
with a warning that says why; no metric raises on valid forecasts.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from rnnkit.errors import ConfigError, DataError


def _pair(y, f) -> tuple[np.ndarray, np.ndarray]:
    y, f = np.asarray(y, dtype=np.float64), np.asarray(f, dtype=np.float64)
    if y.shape != f.shape:
        raise DataError(
            f"actuals and forecasts must have the same shape, received {y.shape} and {f.shape}"
        )
    if y.size == 0:
        raise DataError("actuals and forecasts are empty")
    return np.atleast_2d(y), np.atleast_2d(f)


def mae(y, f) -> float:
    """Mean absolute error ``mean |y - f|``."""
    y, f = _pair(y, f)
    return float(np.abs(y - f).mean())


def mse(y, f) -> float:
    """Mean squared error ``mean (y - f)^2``."""
    y, f = _pair(y, f)
    return float(((y - f) ** 2).mean())


def rmse(y, f) -> float:
    """Root mean squared error per series, then averaged over series (M4 style)."""
    y, f = _pair(y, f)
    return float(np.sqrt(((y - f) ** 2).mean(axis=-1)).mean())


def mape(y, f) -> float:
    """Mean absolute percentage error ``100 mean |y - f| / |y|``; NaN where an actual is 0."""
    y, f = _pair(y, f)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float((100.0 * np.abs(y - f) / np.abs(y)).mean())


def smape(y, f) -> float:
    """M4's symmetric MAPE ``mean 200 |y - f| / (|y| + |f|)``, in percent (0 where both are 0)."""
    y, f = _pair(y, f)
    den = np.abs(y) + np.abs(f)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den == 0, 0.0, 200.0 * np.abs(y - f) / den)
    return float(ratio.mean(axis=-1).mean())


def mase_scale(insample: np.ndarray, m: int) -> float:
    """In-sample mean absolute seasonal-naive error ``mean |x_t - x_{t-m}|`` (m = 1: naive).

    ``insample``: ``(n,)`` with ``n > m``. Raises a ValueError for too short a series.
    """
    x = np.asarray(insample, dtype=np.float64)
    if m < 1:
        raise ConfigError(f"season m must be >= 1, received {m}")
    if len(x) <= m:
        raise DataError(f"MASE needs more than m={m} in-sample points, received {len(x)}")
    return float(np.abs(x[m:] - x[:-m]).mean())


def mase(y, f, insample: Sequence[np.ndarray] | np.ndarray, m: int, ids=None) -> float:
    """Mean absolute scaled error: each series' MAE divided by its :func:`mase_scale`.

    A series whose in-sample seasonal differences are all 0 (a constant series) has no
    scale: its MASE is undefined, so the mean is NaN, with a warning naming the series
    (``ids``, default their positions).

    ``insample`` is one array for one series, or a sequence of S arrays (any lengths).
    """
    y, f = _pair(y, f)
    if isinstance(insample, np.ndarray) and insample.ndim == 1:
        insample = [insample]
    if len(insample) != len(y):
        raise DataError(
            f"insample must hold one series per row of y: {len(y)} rows, "
            f"received {len(insample)} series"
        )
    scales = np.array([mase_scale(x, m) for x in insample])
    per_series = np.full(len(scales), np.nan)
    ok = scales > 0
    per_series[ok] = np.abs(y - f).mean(axis=-1)[ok] / scales[ok]
    if not ok.all():
        names = [ids[i] if ids is not None else i for i in np.flatnonzero(~ok)]
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        shown = ", ".join(map(repr, names[:5])) + more
        warnings.warn(
            f"MASE is undefined for {len(names)} series whose in-sample values repeat exactly "
            f"every m={m} steps (a zero scale, e.g. a constant series): {shown}; reported as NaN",
            stacklevel=2,
        )
    return float(per_series.mean())


def owa(smape_value: float, mase_value: float, smape_naive2: float, mase_naive2: float) -> float:
    """M4's overall weighted average relative to Naive2: ``(sMAPE/sMAPE_N2 + MASE/MASE_N2)/2``.

    NaN, with a warning, when it is undefined: a MASE is NaN, or Naive2 scores 0 (it
    forecasts the actuals exactly, as on a constant series)."""
    naive2 = {"Naive2's sMAPE": smape_naive2, "Naive2's MASE": mase_naive2}
    values = {"sMAPE": smape_value, "MASE": mase_value, **naive2}
    reasons = [f"{name} is undefined" for name, v in values.items() if np.isnan(v)]
    reasons += [f"{name} is 0" for name, v in naive2.items() if v == 0]
    if reasons:
        warnings.warn(f"OWA is undefined ({'; '.join(reasons)}); reported as NaN", stacklevel=2)
        return float("nan")
    return 0.5 * (smape_value / smape_naive2 + mase_value / mase_naive2)


def coverage(y, lower, upper) -> float:
    """Share of actuals inside ``[lower, upper]`` (a fraction in [0, 1])."""
    y, lo = _pair(y, lower)
    _, hi = _pair(y, np.reshape(np.asarray(upper, dtype=np.float64), y.shape))
    return float(((y >= lo) & (y <= hi)).mean())


def pinball(y, f, q: float) -> float:
    """Mean quantile (pinball) loss ``max(q (y - f), (q - 1)(y - f))`` at quantile ``q``."""
    y, f = _pair(y, f)
    d = y - f
    return float(np.maximum(q * d, (q - 1) * d).mean())


def score(y, f, insample=None, m: int = 1, ids=None) -> dict[str, float]:
    """sMAPE, MASE (when ``insample`` is given), MAE and RMSE in one dict."""
    out = {"smape": smape(y, f)}
    if insample is not None:
        out["mase"] = mase(y, f, insample, m, ids)
    out["mae"] = mae(y, f)
    out["rmse"] = rmse(y, f)
    return out


__all__ = [
    "mae",
    "mse",
    "rmse",
    "mape",
    "smape",
    "mase",
    "mase_scale",
    "owa",
    "coverage",
    "pinball",
    "score",
]
