"""Statistical baselines: naive, seasonal naive, drift, mean and M4's Naive2.

Each baseline maps one history ``x`` of shape ``(n,)`` to a forecast ``(H,)``; :func:`forecast`
applies one by name to many series of any lengths and returns ``(S, H)``. :class:`Baseline`
wraps one as a model with no parameters, so a baseline runs through the same task and engine
as the networks (the engine takes no training step for it).

Naive2 follows M4's ``Benchmarks and Evaluation.R``: when the series has at least ``3 m``
points and its autocorrelation at lag ``m`` passes a 90% test,

.. math::

    |r_m| > 1.645 \\sqrt{(1 + 2 \\sum_{k=1}^{m-1} r_k^2) / n},

the series is divided by the seasonal indices of a classical multiplicative decomposition
(a centred 2x``m`` moving average as trend, the mean ratio per season position, normalised
to mean 1), forecast with the last adjusted value, and multiplied back by the indices. When
the indices are undefined (a zero trend, as in a series of zeros), Naive2 is the naive
forecast.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
from torch import nn

from rnnkit.errors import ConfigError, DataError


def naive(x: np.ndarray, horizon: int, m: int = 1) -> np.ndarray:
    """The last value repeated: ``f_h = x_n``."""
    return np.full(horizon, float(x[-1]))


def seasonal_naive(x: np.ndarray, horizon: int, m: int = 1) -> np.ndarray:
    """The last season repeated: ``f_h = x_{n - m + ((h - 1) mod m)}``; needs ``n >= m``."""
    if len(x) < m:
        raise DataError(f"seasonal naive needs at least m={m} points, received {len(x)}")
    last = np.asarray(x[-m:], dtype=np.float64)
    return np.resize(last, horizon)


def drift(x: np.ndarray, horizon: int, m: int = 1) -> np.ndarray:
    """The line through the first and last points extended: ``f_h = x_n + h (x_n - x_1)/(n-1)``."""
    x = np.asarray(x, dtype=np.float64)
    slope = (x[-1] - x[0]) / (len(x) - 1) if len(x) > 1 else 0.0
    return x[-1] + slope * np.arange(1, horizon + 1)


def mean(x: np.ndarray, horizon: int, m: int = 1) -> np.ndarray:
    """The mean of the history: ``f_h = mean(x)``."""
    return np.full(horizon, float(np.mean(x)))


def acf(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample autocorrelations ``r_1..r_max_lag`` as R's ``acf`` computes them, ``(max_lag,)``."""
    d = np.asarray(x, dtype=np.float64) - np.mean(x)
    denom = float(d @ d)
    if denom == 0.0:
        return np.zeros(max_lag)
    return np.array([float(d[k:] @ d[: len(d) - k]) / denom for k in range(1, max_lag + 1)])


def is_seasonal(x: np.ndarray, m: int) -> bool:
    """M4's 90% seasonality test at lag ``m`` (False for ``m <= 1`` or fewer than 3 m points)."""
    if m <= 1 or len(x) < 3 * m:
        return False
    r = acf(x, m)
    limit = 1.645 * np.sqrt((1.0 + 2.0 * np.sum(r[: m - 1] ** 2)) / len(x))
    return bool(abs(r[m - 1]) > limit)


def seasonal_indices(x: np.ndarray, m: int) -> np.ndarray:
    """Classical multiplicative decomposition's seasonal figure, ``(m,)`` with mean 1.

    Position ``i`` is the season of ``x[i], x[i+m], ...`` (R's ``decompose``, series start = 1).
    """
    x = np.asarray(x, dtype=np.float64)
    if m % 2 == 0:
        weights = np.r_[0.5, np.ones(m - 1), 0.5] / m
    else:
        weights = np.ones(m) / m
    half = len(weights) // 2
    trend = np.full(len(x), np.nan)
    trend[half : len(x) - half] = np.convolve(x, weights, mode="valid")
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a zero trend, an all-NaN season
        ratio = x / trend
        figure = np.array([np.nanmean(ratio[i::m]) for i in range(m)])
        return figure / figure.mean()


def naive2(x: np.ndarray, horizon: int, m: int = 1) -> np.ndarray:
    """M4's Naive2: naive on the seasonally adjusted series when the test says seasonal."""
    x = np.asarray(x, dtype=np.float64)
    if not is_seasonal(x, m):
        return naive(x, horizon)
    figure = seasonal_indices(x, m)
    if not np.isfinite(figure).all():  # zeros in the trend (e.g. a series of zeros): no figure
        return naive(x, horizon)
    n = len(x)
    adjusted_last = x[-1] / figure[(n - 1) % m]
    future = figure[(n + np.arange(horizon)) % m]
    return adjusted_last * future


BASELINES: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    "drift": drift,
    "mean": mean,
    "naive2": naive2,
}


def forecast(name: str, series: Sequence[np.ndarray], horizon: int, m: int = 1) -> np.ndarray:
    """Forecast every series with the baseline ``name``: a list of ``(n_i,)`` -> ``(S, H)``."""
    if name not in BASELINES:
        raise ConfigError(f"baseline must be one of {', '.join(BASELINES)}, received {name!r}")
    fn = BASELINES[name]
    return np.stack([fn(np.asarray(x, dtype=np.float64), horizon, m) for x in series])


class Baseline(nn.Module):
    """A baseline as a model kind with no parameters. It reads whole histories, not windows:
    ``forecast(histories)`` maps S series of any lengths to ``(S, H, 1)``."""

    def __init__(self, kind: str, horizon: int, season: int = 1) -> None:
        super().__init__()
        if kind not in BASELINES:
            raise ConfigError(f"baseline must be one of {', '.join(BASELINES)}, received {kind!r}")
        self.kind, self.horizon, self.season = kind, horizon, season

    def forecast(self, histories: Sequence[np.ndarray]) -> np.ndarray:
        return forecast(self.kind, histories, self.horizon, self.season)[..., None]

    def forward(self, *args, **kwargs):
        raise TypeError(
            f"baseline {self.kind!r} forecasts from whole histories: call forecast(histories)"
        )


__all__ = [
    "Baseline",
    "BASELINES",
    "forecast",
    "naive",
    "seasonal_naive",
    "drift",
    "mean",
    "naive2",
    "is_seasonal",
    "seasonal_indices",
    "acf",
]
