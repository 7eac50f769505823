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


def calendar_names(freq: str | None) -> list[str]:
    """The calendar feature names used for a frequency (empty when there is none)."""
    if not freq:
        return []
    f = freq.lower()
    names = []
    if any(f.endswith(u) or f.startswith(u) for u in ("h", "min", "t", "s")) and "ms" not in f:
        names += ["hour_sin", "hour_cos"]
    if f[0] in "hdbts" or f.endswith("h") or f.endswith("min"):
        names += ["weekday_sin", "weekday_cos"]
    if f.startswith("d") or f.startswith("b"):
        names += ["yearday_sin", "yearday_cos"]
    if f[0] in "mw" or f.startswith("q"):
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
