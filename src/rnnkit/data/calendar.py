"""Known covariates: calendar features from timestamps and the user's covariate columns.

Calendar features are sine/cosine pairs of the cycles that the frequency makes meaningful:
hour of day (sub-daily data), day of week (daily and finer), day of year (daily), month of
year (monthly and weekly). They are known in the future, so the models see them at the
input steps (``past``) and at the forecast steps (``future``). User covariates are columns
of a long frame besides id, timestamp and value; those named in ``past_only`` are zeroed at
the forecast steps, so a model never reads their future values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset


def calendar_names(freq: str | None) -> list[str]:
    """The calendar feature names used for a frequency (empty when there is none)."""
    if not freq:
        return []
    offset = to_offset(freq)
    base = offset.rule_code.split("-")[0].upper()  # H, MIN, S, D, B, W, MS, ME, QS, YS, ...
    sub_daily = isinstance(offset, pd.offsets.Tick) and offset.nanos < 86_400 * 10**9
    daily = base in ("D", "B", "C")
    names = []
    if sub_daily:
        names += ["hour_sin", "hour_cos"]
    if sub_daily or daily:
        names += ["weekday_sin", "weekday_cos"]
    if daily:
        names += ["yearday_sin", "yearday_cos"]
    if base[0] in "MWQ" and base != "MIN":
        names += ["month_sin", "month_cos"]
    return names


def calendar(stamps: pd.DatetimeIndex | list, names: list[str]) -> np.ndarray:
    """Calendar features ``(n, len(names))`` for the timestamps."""
    stamps = pd.DatetimeIndex(stamps)
    cycles = {
        "hour": (stamps.hour + stamps.minute / 60.0, 24.0),
        "weekday": (stamps.day_of_week, 7.0),
        "yearday": (stamps.day_of_year - 1, 366.0),
        "month": (stamps.month - 1, 12.0),
    }
    cols = []
    for name in names:
        cycle, fn = name.rsplit("_", 1)
        value, period = cycles[cycle]
        angle = 2 * np.pi * np.asarray(value, dtype=np.float64) / period
        cols.append(np.sin(angle) if fn == "sin" else np.cos(angle))
    return np.stack(cols, 1) if cols else np.zeros((len(stamps), 0))


def series_features(
    stamps,
    covariates: dict[str, np.ndarray],
    names: list[str],
    cov_loc: dict[str, float],
    cov_scale: dict[str, float],
) -> np.ndarray:
    """Calendar features then standardised covariates for one series, ``(n, F)``."""
    parts = [calendar(stamps, names)] if names else []
    for key in sorted(covariates):
        parts.append(((covariates[key] - cov_loc[key]) / cov_scale[key])[:, None])
    if not parts:
        n = len(stamps) if stamps is not None else 0
        return np.zeros((n, 0))
    return np.concatenate(parts, 1)
