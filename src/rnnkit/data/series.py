"""Reading series: long and wide frames, CSV files, the M4 and ETT formats; checks and fills.

A :class:`SeriesSet` holds S univariate series of any lengths, each with its id and, when
the source has them, its timestamps. Multivariate files (ETT, wide CSVs) become one series
per column sharing the timestamps: the models are global and channel-independent, so a
7-variable file is forecast 7 -> 7.

Formats recognised by :func:`read_frame` (and :func:`read` for files):

* **long**: columns ``id`` (or ``unique_id``/``series``), ``timestamp`` (or ``ds``/``date``/
  ``time``) and ``value`` (or ``y``); any other numeric columns are covariates;
* **M4**: first column ``V1`` holds ids, then the values right-padded with empty cells;
* **wide**: an optional date column (``date``, ``Month``, ``ds``, ...; or any column whose
  values parse as dates) and one numeric column per series (ETT files are wide).

Missing values (empty cells, ``NaN``, missing timestamps) are a
:class:`~rnnkit.errors.DataError` naming the series, the count and the first position, unless
``fill="interpolate"`` (linear, ends held) or ``fill="ffill"``. What no option lets through,
each refused by file and line (or series and position): text in a value column (with a hint
for decimal commas: ``decimal=","`` reads them), infinite values (``inf``, ``1e400``: a broken
number, not a missing one, so ``fill`` does not apply), a timestamp repeated within a series,
binary and non-UTF-8 files (:mod:`rnnkit.data.csvseries`). Rows out of time order are sorted
with a warning (:mod:`rnnkit.data.timeorder`).
"""

from __future__ import annotations

import datetime
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit import datasets
from rnnkit.data.csvseries import FRAME, Source, column_values, open_csv
from rnnkit.data.frequency import detect_freq, regularise, season_of
from rnnkit.data.timeorder import check_time_order, parse_dates
from rnnkit.errors import ConfigError, DataError

ID_COLUMNS = ("id", "unique_id", "series", "series_id")
TIME_COLUMNS = ("timestamp", "ds", "date", "time", "datetime", "month")
VALUE_COLUMNS = ("value", "y", "target")
FILLS = ("", "none", "interpolate", "ffill")


@dataclass
class SeriesSet:
    """S univariate series: ``values[i]`` is ``(n_i,)`` float64, ``timestamps[i]`` ``(n_i,)``
    datetimes or None; ``covariates[name][i]`` is ``(n_i,)`` for each covariate column."""

    ids: list[str]
    values: list[np.ndarray]
    timestamps: list[pd.DatetimeIndex | None] = field(default_factory=list)
    freq: str | None = None
    covariates: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.timestamps:
            self.timestamps = [None] * len(self.ids)
        if len(self.ids) != len(self.values):
            raise DataError(f"{len(self.ids)} ids for {len(self.values)} series")
        for name, arrays in [("", self.values), *self.covariates.items()]:
            for sid, values in zip(self.ids, arrays):
                _check_finite(values, f"{sid}/{name}" if name else sid)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> list[int]:
        return [len(v) for v in self.values]

    def season(self, default: int = 1) -> int:
        """The seasonal period m implied by the frequency (24 for hourly, 12 for monthly...)."""
        return season_of(self.freq, default)

    def subset(self, keep: list[int]) -> SeriesSet:
        """The series at positions ``keep``."""
        return SeriesSet(
            [self.ids[i] for i in keep],
            [self.values[i] for i in keep],
            [self.timestamps[i] for i in keep],
            self.freq,
            {k: [v[i] for i in keep] for k, v in self.covariates.items()},
        )

    def head(self, cut: int) -> SeriesSet:
        """Every series without its last ``cut`` points (``cut = 0``: unchanged)."""
        end = lambda a: a if a is None or cut == 0 else a[:-cut]  # noqa: E731
        return SeriesSet(
            list(self.ids),
            [end(v) for v in self.values],
            [end(t) for t in self.timestamps],
            self.freq,
            {k: [end(a) for a in v] for k, v in self.covariates.items()},
        )

    def tail(self, count: int) -> list[np.ndarray]:
        """The last ``count`` values of every series."""
        return [v[-count:] for v in self.values]

    def future_timestamps(self, i: int, horizon: int) -> list:
        """The H timestamps after series ``i`` (1..H when it has no timestamps)."""
        ts = self.timestamps[i]
        if ts is None or self.freq is None:
            start = len(self.values[i])
            return list(range(start + 1, start + horizon + 1))
        return list(pd.date_range(ts[-1], periods=horizon + 1, freq=self.freq)[1:])

    def to_frame(self) -> pd.DataFrame:
        """The long frame ``id, timestamp, value`` (timestamp = position when absent)."""
        parts = []
        for sid, vals, ts in zip(self.ids, self.values, self.timestamps):
            stamp = ts if ts is not None else np.arange(1, len(vals) + 1)
            parts.append(pd.DataFrame({"id": sid, "timestamp": stamp, "value": vals}))
        return pd.concat(parts, ignore_index=True)


def _check_finite(values: np.ndarray, sid) -> None:
    """A series held in a SeriesSet is 1-D and finite (the readers filled or refused gaps)."""
    values = np.asarray(values)
    if values.ndim != 1 or values.dtype.kind not in "fiu":
        raise DataError(
            f"series {sid!r} must be a 1-D array of numbers, received {values.dtype} "
            f"values of shape {values.shape}"
        )
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.argmax(bad))
        raise DataError(
            f"series {sid!r} has a value that is not a finite number at position {first}: "
            f"{float(values[first])}"
        )


def _fill(values: np.ndarray, sid: str, fill: str, source: Source = FRAME) -> np.ndarray:
    missing = np.isnan(values)
    if not missing.any():
        return values
    where = f" ({source.path})" if source.path is not None else ""
    if fill in ("", "none"):
        first = int(np.argmax(missing))
        raise DataError(
            f"series {sid!r}{where} has {int(missing.sum())} missing values, the first at "
            f"position {first}; pass fill='interpolate' or fill='ffill' to fill them"
        )
    if missing.all():
        raise DataError(f"series {sid!r}{where} has no values at all")
    s = pd.Series(values)
    s = s.interpolate(limit_direction="both") if fill == "interpolate" else s.ffill().bfill()
    return s.to_numpy(dtype=np.float64)


def _find(columns, names) -> str | None:
    lower = {str(c).lower(): c for c in columns}
    for name in names:
        if name in lower:
            return lower[name]
    return None


def _date_column(frame: pd.DataFrame) -> str | None:
    col = _find(frame.columns, TIME_COLUMNS)
    if col is not None:
        return col
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col].dtype):
            return col
        texts = frame[col].head(20).dropna().map(lambda v: isinstance(v, str | datetime.date))
        if frame[col].dtype == object and texts.all():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    parsed = pd.to_datetime(frame[col].head(20), errors="coerce")
                except (ValueError, TypeError, OverflowError):
                    continue
            if parsed.notna().all():
                return col
    return None


def from_wide(frame: pd.DataFrame, fill: str = "", source: Source = FRAME) -> SeriesSet:
    """One series per numeric column; the date column (if any) gives the timestamps (rows
    out of time order are sorted, with a warning; a repeated timestamp is an error)."""
    date = _date_column(frame)
    stamps = parse_dates(frame[date], source) if date is not None else None
    columns = [c for c in frame.columns if c != date]
    if not columns:
        raise DataError(f"{source.prefix}no value columns besides the date column {date!r}")
    raw = {str(col): column_values(frame, col, source) for col in columns}
    if stamps is not None and check_time_order(stamps, frame[date], source):
        order = np.argsort(stamps.asi8, kind="stable")
        stamps, raw = stamps[order], {k: v[order] for k, v in raw.items()}
    freq = detect_freq(stamps) if stamps is not None else None
    if stamps is not None:
        stamps, raw = regularise(stamps, freq, raw, source.prefix)
    values = [_fill(v, sid, fill, source) for sid, v in raw.items()]
    return SeriesSet(list(raw), values, [stamps] * len(raw), freq)


def from_long(frame: pd.DataFrame, fill: str = "", source: Source = FRAME) -> SeriesSet:
    """Long format: id, timestamp, value, then optional numeric covariate columns. Each
    series is sorted by time (with a warning when the file had it out of order); a timestamp
    repeated within a series is an error."""
    id_col = _find(frame.columns, ID_COLUMNS)
    time_col = _find(frame.columns, TIME_COLUMNS)
    value_col = _find(frame.columns, VALUE_COLUMNS)
    if id_col is None or value_col is None:
        raise DataError(
            f"{source.prefix}a long frame needs columns id and value, received "
            f"{', '.join(map(str, frame.columns))}"
        )
    covs = [c for c in frame.columns if c not in (id_col, time_col, value_col)]
    frame = frame.reset_index(drop=True)  # copies; the index is now the row in the source
    if frame[id_col].isna().any():
        row = int(np.argmax(frame[id_col].isna().to_numpy()))
        raise DataError(f"{source.prefix}column {id_col!r} is empty on {source.place(row)}")
    for c in [value_col, *covs]:
        frame[c] = column_values(frame, c, source)
    if time_col is not None:
        stamps = parse_dates(frame[time_col], source)
        check_time_order(stamps, frame[time_col], source, frame[id_col].to_numpy())
        frame[time_col] = stamps
        frame = frame.sort_values([id_col, time_col], kind="stable")
    ids, values, stamps, cov = [], [], [], {c: [] for c in covs}
    freq = None
    for sid, group in frame.groupby(id_col, sort=False):
        cols = {c: group[c].to_numpy(np.float64) for c in [value_col, *covs]}
        ts = pd.DatetimeIndex(group[time_col]) if time_col is not None else None
        if ts is not None:
            freq = freq or detect_freq(ts)
            ts, cols = regularise(ts, freq, cols, f"{source.prefix}series {str(sid)!r}: ")
        ids.append(str(sid))
        stamps.append(ts)
        values.append(_fill(cols[value_col], str(sid), fill, source))
        for c in covs:
            cov[c].append(_fill(cols[c], f"{sid}/{c}", fill, source))
    if len(set(ids)) < len(ids):
        raise DataError(f"{source.prefix}two ids in column {id_col!r} read as the same text")
    return SeriesSet(ids, values, stamps, freq, cov)


def from_m4(frame: pd.DataFrame, source: Source = FRAME) -> SeriesSet:
    """M4 layout: column 1 the ids, then values right-padded with empty cells."""
    ids = frame.iloc[:, 0].astype(str).tolist()
    seen = pd.Series(ids).duplicated().to_numpy()
    if seen.any():
        row = int(np.argmax(seen))
        raise DataError(
            f"{source.prefix}series {ids[row]!r} appears twice, again on {source.place(row)}"
        )
    body = np.stack([column_values(frame, c, source) for c in frame.columns[1:]], 1)
    values = []
    for sid, row in zip(ids, body):
        present = ~np.isnan(row)
        n = int(present.sum())
        if n == 0:
            raise DataError(f"{source.prefix}series {sid!r} has no values")
        if not present[:n].all():
            first = int(np.argmin(present[:n]))
            raise DataError(
                f"{source.prefix}series {sid!r} has {int((~present[:n]).sum())} missing "
                f"values, the first at position {first}"
            )
        values.append(row[:n])
    return SeriesSet(ids, values)


def read_frame(frame: pd.DataFrame, fill: str = "", source: Source = FRAME) -> SeriesSet:
    """A DataFrame in any recognised format (see the module docstring) -> :class:`SeriesSet`.
    ``source`` names the file the frame was read from in errors (default: a frame)."""
    if fill not in FILLS:
        raise ConfigError(f"fill must be one of interpolate, ffill or '', received {fill!r}")
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, received {type(frame).__name__}")
    if frame.empty:
        raise DataError(f"{source.prefix}no data rows")
    if frame.columns.duplicated().any():
        name = frame.columns[frame.columns.duplicated()][0]
        raise DataError(f"{source.prefix}two columns are named {name!r}")
    cols = [str(c) for c in frame.columns]
    if cols[0] == "V1" and len(cols) > 1 and cols[1] == "V2":
        return from_m4(frame, source)
    if _find(frame.columns, ID_COLUMNS) and _find(frame.columns, VALUE_COLUMNS):
        return from_long(frame, fill, source)
    return from_wide(frame, fill, source)


def read(path: str | Path, fill: str = "", decimal: str = ".") -> SeriesSet:
    """Read a CSV file in any recognised format (``rnnkit:NAME`` for a data set shipped in the
    package, e.g. ``rnnkit:airpassengers``); errors name the file and line. ``decimal=","``
    reads a ``;``-separated file with decimal commas."""
    if str(path).startswith("rnnkit:"):
        path = datasets.resolve(str(path), "")
    frame, source = open_csv(path, decimal)
    return read_frame(frame, fill, source)


def to_series(data, fill: str = "", decimal: str = ".") -> SeriesSet:
    """A :class:`SeriesSet` from a DataFrame, a CSV path (or ``rnnkit:NAME``) or a SeriesSet."""
    if isinstance(data, SeriesSet):
        return data
    if isinstance(data, (str, Path)):
        return read(data, fill, decimal)
    if isinstance(data, pd.DataFrame):
        return read_frame(data, fill)
    if isinstance(data, pd.Series):  # one series; a DatetimeIndex gives its timestamps
        name = str(data.name) if data.name is not None else "value"
        frame = data.rename(name).to_frame()
        if isinstance(data.index, pd.DatetimeIndex):
            frame = frame.rename_axis("timestamp").reset_index()
        return read_frame(frame, fill)
    raise DataError(
        f"data must be a DataFrame, a Series, a CSV path or a SeriesSet, received "
        f"{type(data).__name__}"
    )


def check_lengths(
    series: SeriesSet, needed: int, skip_short: bool = False, what: str = "input_length + horizon"
) -> SeriesSet:
    """Refuse (or, with ``skip_short``, drop with a warning) series shorter than ``needed``."""
    short = [i for i, n in enumerate(series.lengths) if n < needed]
    if not short:
        return series
    names = ", ".join(f"{series.ids[i]!r} ({series.lengths[i]})" for i in short[:5])
    more = f" and {len(short) - 5} more" if len(short) > 5 else ""
    if not skip_short:
        raise DataError(
            f"{len(short)} series shorter than {what} = {needed}: {names}{more}; "
            f"shorten input_length or pass skip_short=True to drop them"
        )
    if len(short) == len(series):
        raise DataError(f"every series is shorter than {what} = {needed}: {names}{more}")
    warnings.warn(
        f"skipped {len(short)} series shorter than {what} = {needed}: {names}{more}", stacklevel=2
    )
    return series.subset([i for i in range(len(series)) if i not in set(short)])


__all__ = [
    "SeriesSet",
    "read",
    "read_frame",
    "to_series",
    "from_long",
    "from_wide",
    "from_m4",
    "check_lengths",
    "detect_freq",
    "season_of",
]
