"""Frequencies of timestamped series: detection, seasonal period, regular spacing."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from rnnkit.errors import DataError

# pandas frequency prefix -> seasonal period (m)
SEASONS = {
    "h": 24,
    "min": 60,
    "t": 60,
    "s": 60,
    "d": 7,
    "b": 5,
    "w": 52,
    "m": 12,
    "ms": 12,
    "me": 12,
    "q": 4,
    "qs": 4,
    "qe": 4,
    "y": 1,
    "ys": 1,
    "ye": 1,
    "a": 1,
    "as": 1,
}


def season_of(freq: str | None, default: int = 1) -> int:
    """Seasonal period for a pandas frequency string: ``"h" -> 24``, ``"MS" -> 12``..."""
    if not freq:
        return default
    key = "".join(c for c in str(freq).lower().split("-")[0] if c.isalpha())
    return SEASONS.get(key, default)


def detect_freq(stamps: pd.DatetimeIndex) -> str | None:
    """``pd.infer_freq`` on the timestamps, or the most common step when there are gaps."""
    if len(stamps) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        freq = pd.infer_freq(stamps)
    if freq is not None:
        return getattr(freq, "freqstr", freq)
    step = pd.Series(stamps).diff().dropna().mode()
    if not len(step):
        return None
    step = step.iloc[0]
    if step.days >= 28:  # months have unequal lengths
        return "MS" if stamps[0].day == 1 else "ME"
    for name, delta in (("W", "7D"), ("D", "1D"), ("h", "1h"), ("min", "1min"), ("s", "1s")):
        if step == pd.Timedelta(delta):
            return name
    return pd.tseries.frequencies.to_offset(step).freqstr


def regularise(
    stamps: pd.DatetimeIndex, freq: str | None, columns: dict[str, np.ndarray], where: str = ""
):
    """Reindex onto the full range of ``freq`` so that missing timestamps become NaN values.

    Returns the new timestamps and columns (unchanged when nothing is missing). ``stamps``
    are increasing. A gap so long that the range would be more than 20 times the rows is a
    DataError (``where`` starts its message): it is not missing data that fill could invent.
    """
    if freq is None or len(stamps) < 3:
        return stamps, columns
    steps = np.diff(stamps.asi8)
    if (stamps.asi8[-1] - stamps.asi8[0]) / steps.min() > 20 * len(stamps) + 1000:
        i = int(np.argmax(steps))
        raise DataError(
            f"{where}the timestamps jump from {stamps[i]} to {stamps[i + 1]}, far more than "
            f"the usual step ({freq}): a regular series would miss too many values to fill"
        )
    full = pd.date_range(stamps[0], stamps[-1], freq=freq)
    if len(full) == len(stamps) and (full == stamps).all():
        return stamps, columns
    if not stamps.isin(full).all() or stamps.has_duplicates:
        return stamps, columns  # irregular stamps: keep them as they are
    frame = pd.DataFrame(columns, index=stamps).reindex(full)
    return full, {k: frame[k].to_numpy(np.float64) for k in columns}


__all__ = ["SEASONS", "season_of", "detect_freq", "regularise"]
