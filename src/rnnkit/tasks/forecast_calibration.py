"""Prediction intervals that cover what they claim: split conformal calibration per step.

On the validation window (the H points before the test part, which no training target
saw), the point forecast of each series has residuals ``r_{i,h} = y_{i,h} - f_{i,h}``. Scaled
by the series' in-sample seasonal-naive error ``s_i`` (the MASE scale, so that series of any
size pool), they give per horizon step h the empirical quantiles that bound the central
``level`` of the scaled residuals (with the finite-sample correction of split conformal
prediction, Vovk et al. 2005; Lei et al. 2018). The interval of a new forecast is then

.. math::

    [f_{i,h} + s_i\\, \\hat q^{lo}_h,\\; f_{i,h} + s_i\\, \\hat q^{hi}_h].

With fewer than ``pool_below`` series the steps are pooled (one set of quantiles, widened by
``sqrt(h)`` relative to the mean step), since a handful of residuals per step cannot give a
quantile. Steps past the calibrated horizon (recursive forecasts) reuse the last step's
quantiles widened by ``sqrt(h / H)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rnnkit.metrics.forecasting import mase_scale

POOL_BELOW = 20  # series: fewer than this pool the horizon steps


def interval_levels(coverages: Sequence[float]) -> list[float]:
    """Quantile levels of central intervals, increasing: ``[0.8, 0.95] -> [0.025, 0.1, 0.9,
    0.975]``."""
    lows = sorted(round((1 - c) / 2, 6) for c in coverages)
    return lows + [round(1 - q, 6) for q in reversed(lows)]


def scales_of(insample: Sequence[np.ndarray], m: int) -> np.ndarray:
    """The per-series seasonal-naive scale ``s_i`` (1 where it is 0 or undefined)."""
    out = []
    for x in insample:
        try:
            s = mase_scale(x, m) if len(x) > m else float(np.mean(np.abs(np.diff(x))))
        except ValueError:
            s = 0.0
        out.append(s if math.isfinite(s) and s > 0 else 1.0)
    return np.array(out)


def _conformal_quantile(scores: np.ndarray, level: float, axis=None) -> np.ndarray:
    """The ``ceil((n + 1) level) / n`` empirical quantile of ``scores`` along ``axis``."""
    n = scores.size if axis is None else scores.shape[axis]
    q = (
        min(1.0, math.ceil((n + 1) * level) / n)
        if level >= 0.5
        else max(0.0, math.floor((n + 1) * level) / n)
    )
    return np.quantile(scores, q, axis=axis, method="higher" if level >= 0.5 else "lower")


def fit(residuals: np.ndarray, scales: np.ndarray, coverages: Sequence[float]) -> dict:
    """Calibrate from validation residuals ``(S, H)`` (actual - point forecast) and the
    per-series scales ``(S,)``; returns a JSON-able dict for :func:`intervals`."""
    z = residuals / scales[:, None]  # (S, H)
    S, H = z.shape
    levels = interval_levels(coverages)
    if S >= POOL_BELOW:
        offsets = [_conformal_quantile(z, q, axis=0).tolist() for q in levels]  # (Q, H)
        pooled = False
    else:  # pool the steps after removing the sqrt(h) growth
        grow = np.sqrt(np.arange(1, H + 1) / ((H + 1) / 2))
        flat = (z / grow).reshape(-1)
        offsets = [(float(_conformal_quantile(flat, q)) * grow).tolist() for q in levels]
        pooled = True
    return {"levels": levels, "offsets": offsets, "horizon": H, "pooled": pooled,
            "series": S}  # fmt: skip


def intervals(cal: dict, point: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Calibrated quantile forecasts ``(S, n, Q)`` around ``point`` ``(S, n)``; steps past
    the calibrated horizon reuse its last step widened by ``sqrt(h / H)``."""
    off = np.asarray(cal["offsets"], dtype=np.float64).T  # (H, Q)
    H, n = cal["horizon"], point.shape[1]
    if n > H:
        extra = off[-1:] * np.sqrt(np.arange(H + 1, n + 1) / H)[:, None]
        off = np.concatenate([off, extra])
    return point[..., None] + scales[:, None, None] * off[None, :n]


__all__ = ["interval_levels", "scales_of", "fit", "intervals", "POOL_BELOW"]
