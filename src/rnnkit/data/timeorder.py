"""Timestamps of the series readers: parsed, unique within a series, and in time order.

A timestamp that appears twice in one series (two rows of a wide file, or two rows of the same
id in a long file) is a :class:`~rnnkit.errors.DataError` naming the file, the timestamp and
the lines: which of the two values is the true one is not for a reader to guess. Rows out of
time order (a newest-first export, one row pasted at the top) are sorted, which is safe once
no timestamp repeats: every series is then strictly increasing. The reader says so in a
warning that names how many rows were out of order and the first line, so that a file is
never silently read backwards (and forecast into the past).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from rnnkit.data.csvseries import FRAME, Source
from rnnkit.errors import DataError


def parse_dates(raw: pd.Series, source: Source = FRAME) -> pd.DatetimeIndex:
    """The column ``raw`` as timestamps; a value that is not a date is refused by line."""
    if raw.dtype == object:  # a number among dates would be read as nanoseconds since 1970
        number = raw.map(lambda v: isinstance(v, int | float) and not pd.isna(v)).to_numpy()
        if number.any():
            row = int(np.argmax(number))
            raise DataError(
                f"{source.prefix}column {raw.name!r} has a value that is not a date: "
                f"{raw.iloc[row]!r} on {source.place(row)}"
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            stamps = pd.to_datetime(raw, errors="coerce")
        except (ValueError, TypeError, OverflowError) as err:  # mixed time zones and the like
            raise DataError(
                f"{source.prefix}column {raw.name!r} does not hold comparable dates: "
                f"{' '.join(str(err).split())}"
            ) from None
    if raw.isna().any():
        row = int(np.argmax(raw.isna().to_numpy()))
        raise DataError(f"{source.prefix}column {raw.name!r} is empty on {source.place(row)}")
    if stamps.isna().any():
        row = int(np.argmax(stamps.isna().to_numpy()))
        raise DataError(
            f"{source.prefix}column {raw.name!r} has a value that is not a date: "
            f"{raw.iloc[row]!r} on {source.place(row)}"
        )
    if not isinstance(stamps.dtype, pd.DatetimeTZDtype) and stamps.dtype.kind != "M":
        raise DataError(f"{source.prefix}column {raw.name!r} does not hold comparable dates")
    return pd.DatetimeIndex(stamps)


def _joined(places: list[str]) -> str:
    """``line 4 and line 7`` -> ``lines 4 and 7`` (``data rows ...`` for a frame)."""
    word, numbers = places[0].rsplit(" ", 1)[0], [p.rsplit(" ", 1)[1] for p in places]
    listed = numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " and " + numbers[-1]
    return f"{word}s {listed}" if len(numbers) > 1 else f"{word} {listed}"


def _refuse_duplicates(key: pd.DataFrame, raw: pd.Series, source: Source, long: bool) -> None:
    repeated = key.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return
    first = int(np.argmax(repeated))
    same = (key["g"] == key["g"].iloc[first]) & (key["t"] == key["t"].iloc[first])
    rows = np.flatnonzero(same.to_numpy())
    distinct = int(key[repeated].drop_duplicates().shape[0])
    more = f" ({distinct} timestamps repeat in all)" if distinct > 1 else ""
    who = f"series {str(key['g'].iloc[first])!r}" if long else f"column {raw.name!r}"
    times = "twice" if len(rows) == 2 else f"{len(rows)} times"
    raise DataError(
        f"{source.prefix}{who} has the timestamp {str(raw.iloc[first])!r} {times}, on "
        f"{_joined(source.places([int(r) for r in rows[:3]]))}{more}; each time may appear "
        f"once per series"
    )


def check_time_order(
    stamps: pd.DatetimeIndex, raw: pd.Series, source: Source = FRAME, groups=None
) -> bool:
    """Refuse a timestamp repeated within a series (``groups``: the id of each row, for a
    long frame); warn when rows are out of time order. True when the caller must sort."""
    long = groups is not None
    key = pd.DataFrame({"g": groups if long else 0, "t": stamps.asi8})
    _refuse_duplicates(key, raw, source, long)
    previous = key.groupby("g", sort=False)["t"].shift()
    earlier = (key["t"] < previous).to_numpy()
    if not earlier.any():
        return False
    count, first = int(earlier.sum()), source.place(int(np.argmax(earlier)))
    rows = f"{count} row is" if count == 1 else f"{count} rows are"
    if long:
        n_series = int(key.loc[earlier, "g"].nunique())
        text = (
            f"not increasing within {n_series} series: {rows} earlier than the previous "
            f"row of their series, the first on {first}; sorted each series by time"
        )
    else:
        text = (
            f"not increasing: {rows} earlier than the row above (of {len(key)} rows), the "
            f"first on {first}; sorted the rows by time"
        )
    warnings.warn(f"{source.prefix}the timestamps in column {raw.name!r} are {text}", stacklevel=3)
    return True


__all__ = ["parse_dates", "check_time_order"]
