"""The seasonal period of series without timestamps, read off their autocorrelations.

When the data has timestamps, the frequency gives the period (hourly 24, monthly 12, ...).
Without them (M4's files, plain columns), each common period ``m`` is scored by the mean,
over the series long enough to hold three periods, of the autocorrelation at lag ``m`` of
the first differences (differencing removes the trend, which would otherwise correlate every
lag). The best-scoring period is taken when its score exceeds ``threshold``; a longer period
must beat a shorter one by ``margin`` (168 hours is also a multiple of 24), else 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PERIODS = (4, 7, 12, 24, 52, 168)  # quarters, days of a week, months, hours, weeks, week-hours
THRESHOLD = 0.25
MARGIN = 0.1


def lag_autocorrelation(x: np.ndarray, lag: int) -> float:
    """The sample autocorrelation of ``x`` at ``lag`` (0 for a constant series)."""
    d = np.asarray(x, dtype=np.float64) - np.mean(x)
    denom = float(d @ d)
    return float(d[lag:] @ d[: len(d) - lag]) / denom if denom > 0 else 0.0


def detect_season(values: Sequence[np.ndarray], max_series: int = 200) -> int:
    """The seasonal period of ``values`` (S series of any lengths), or 1 when none stands out.

    >>> t = np.arange(240); detect_season([np.sin(2 * np.pi * t / 24) + 0.01 * t])
    24
    >>> detect_season([np.random.default_rng(0).normal(size=300).cumsum()])
    1
    """
    step = max(1, len(values) // max_series)
    diffs = [np.diff(np.asarray(v, dtype=np.float64)) for v in values[::step]]
    best, best_score = 1, THRESHOLD
    for m in PERIODS:
        scores = [lag_autocorrelation(d, m) for d in diffs if len(d) >= 3 * m]
        if not scores:
            continue
        score = float(np.mean(scores))
        if score > best_score + (MARGIN if best > 1 else 0.0):
            best, best_score = m, score
    return best


__all__ = ["detect_season", "lag_autocorrelation", "PERIODS"]
