"""Scores of probabilistic forecasts: interval coverage, M4's MSIS, and CRPS.

Shapes: actuals ``y`` ``(S, H)`` (or ``(H,)``), bounds ``lower``/``upper`` like ``y``,
quantile forecasts ``(S, H, Q)`` at increasing ``levels``, sample paths ``(K, S, H)``.
Per-series values are averaged over the horizon and then over the series (the M4 convention).

.. math::

    \\mathrm{MSIS} = \\frac{1}{H} \\sum_t \\frac{(U_t - L_t)
        + \\frac{2}{a} (L_t - y_t) [y_t < L_t] + \\frac{2}{a} (y_t - U_t) [y_t > U_t]}
        {\\frac{1}{n-m} \\sum_{t=m+1}^{n} |x_t - x_{t-m}|}

for a nominal :math:`(1 - a)` interval ``[L, U]`` (M4: a = 0.05), scaled like MASE by the
in-sample seasonal-naive error of the series' own history ``x``. The continuous ranked
probability score of a forecast distribution F,

.. math::

    \\mathrm{CRPS}(F, y) = E|X - y| - \\tfrac{1}{2} E|X - X'|
        = 2 \\int_0^1 \\rho_q(y - F^{-1}(q))\\, dq,

is estimated from K sample paths by the first form and from quantile forecasts by the second
(twice the mean pinball loss over evenly spread levels).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnnkit.errors import DataError
from rnnkit.metrics.forecasting import mase_scale


def _rows(a) -> np.ndarray:
    return np.atleast_2d(np.asarray(a, dtype=np.float64))


def interval_score(y, lower, upper, alpha: float) -> np.ndarray:
    """The interval score of each entry, ``(S, H)``: width plus ``2/alpha`` times the miss."""
    if not 0 < alpha < 1:
        raise DataError(f"alpha must be in (0, 1), received {alpha}")
    y, lo, hi = _rows(y), _rows(lower), _rows(upper)
    if not y.shape == lo.shape == hi.shape:
        raise DataError(
            f"actuals and bounds must have the same shape, received {y.shape}, {lo.shape} "
            f"and {hi.shape}"
        )
    below = np.where(y < lo, lo - y, 0.0)
    above = np.where(y > hi, y - hi, 0.0)
    return (hi - lo) + (2.0 / alpha) * (below + above)


def msis(y, lower, upper, insample: Sequence[np.ndarray], m: int = 1, alpha: float = 0.05):
    """M4's mean scaled interval score of the ``(1 - alpha)`` intervals ``[lower, upper]``."""
    score = interval_score(y, lower, upper, alpha)
    if len(insample) != len(score):
        raise DataError(
            f"insample must hold one series per row of y: {len(score)} rows, received "
            f"{len(insample)} series"
        )
    scales = np.array([mase_scale(x, m) for x in insample])
    with np.errstate(divide="ignore", invalid="ignore"):
        return float((score.mean(axis=-1) / scales).mean())


def crps_samples(y, samples) -> float:
    """CRPS estimated from sample paths ``(K, S, H)`` (or ``(K, H)``), mean over entries."""
    y = _rows(y)
    x = np.asarray(samples, dtype=np.float64).reshape((-1,) + y.shape)
    spread_to_y = np.abs(x - y).mean(axis=0)
    xs = np.sort(x, axis=0)  # E|X - X'| from the sorted samples in O(K log K)
    K = len(xs)
    weights = (2 * np.arange(1, K + 1) - K - 1).reshape((K,) + (1,) * y.ndim)
    spread = 2.0 * (weights * xs).sum(axis=0) / (K * K)
    return float((spread_to_y - 0.5 * spread).mean())


def crps_quantiles(y, quantiles, levels: Sequence[float]) -> float:
    """CRPS approximated from quantile forecasts ``(S, H, Q)`` at ``levels``: twice the mean
    pinball loss over the levels (exact in the limit of many evenly spread levels)."""
    y = _rows(y)
    f = np.asarray(quantiles, dtype=np.float64).reshape(y.shape + (len(levels),))
    q = np.asarray(levels, dtype=np.float64)
    d = y[..., None] - f
    return float(2.0 * np.maximum(q * d, (q - 1.0) * d).mean())


def seasonal_naive_interval(
    insample: Sequence[np.ndarray], horizon: int, m: int, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The seasonal naive forecast and its normal prediction interval from the in-sample
    seasonal differences (the M4 benchmarks' construction): ``sigma_h = sigma sqrt(k + 1)``
    with ``k = floor((h - 1) / m)``. Returns the point forecast, lower and upper, each
    ``(S, H)``."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + level / 2)
    h = np.arange(1, horizon + 1)
    widen = np.sqrt((h - 1) // m + 1)
    points, lows, highs = [], [], []
    for x in insample:
        x = np.asarray(x, dtype=np.float64)
        if len(x) <= m:
            raise DataError(f"a seasonal naive interval needs more than m={m} points")
        point = np.resize(x[-m:], horizon)
        sigma = float(np.std(x[m:] - x[:-m], ddof=1)) if len(x) > m + 1 else 0.0
        points.append(point)
        lows.append(point - z * sigma * widen)
        highs.append(point + z * sigma * widen)
    return np.stack(points), np.stack(lows), np.stack(highs)


__all__ = [
    "interval_score",
    "msis",
    "crps_samples",
    "crps_quantiles",
    "seasonal_naive_interval",
]
