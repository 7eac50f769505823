"""Reading CSV files of numbers, with errors that say what is wrong and where.

:func:`open_csv` refuses what it cannot read before pandas spends time on it, from the first
64 KiB only: an empty file, a binary file (a NUL byte, or the magic bytes of gzip, zip/xlsx,
Parquet or HDF5), UTF-16 text. It picks the separator from the header line (the most frequent
of ``,`` ``;`` and tab), reads decimal commas when asked (``decimal=","``, which needs a
``;`` or tab separator), and names the real line and column of a byte that is not UTF-8.

:class:`Source` says where a row came from in messages: ``line N`` of a file (blank lines and
quoted line breaks counted, as an editor shows them) or ``data row N`` of a frame in memory.
:func:`column_values` reads one numeric column and refuses text (with a hint when it looks
like a decimal comma) and infinite values (``inf``, ``-inf``, ``1e400``): an infinite value is
a broken number, not a missing one, so no ``fill`` option applies to it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit.errors import ConfigError, DataError

SNIFF_BYTES = 64 * 1024  # how much of a file the checks before pandas read
SEPARATORS = (",", ";", "\t")
DECIMALS = (".", ",")
MAGIC = {
    b"\x1f\x8b": "gzip-compressed data",
    b"PK\x03\x04": "a zip archive (an Excel .xlsx file?)",
    b"PAR1": "a Parquet file",
    b"\x89HDF": "an HDF5 file",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls file",
}
DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+([eE][+-]?\d+)?")
DECIMAL_HINT = 'pass decimal="," (--decimal , or data.decimal = ",") to read decimal commas'


@dataclass(frozen=True)
class Source:
    """Where the rows of a frame came from: a CSV file (``path``, ``sep``) or memory."""

    path: Path | None = None
    sep: str = ","

    @property
    def prefix(self) -> str:
        """``"<path>: "`` for a file, ``""`` for a frame."""
        return f"{self.path}: " if self.path is not None else ""

    def places(self, rows: list[int]) -> list[str]:
        """``line N`` (file) or ``data row N`` (frame) for the 0-based data rows ``rows``."""
        if self.path is None:
            return [f"data row {r + 1}" for r in rows]
        found = self._scan(set(rows))
        return [f"line {found[r][0]}" if r in found else f"data row {r + 1}" for r in rows]

    def place(self, row: int) -> str:
        return self.places([row])[0]

    def raw(self, row: int, column, parsed) -> str:
        """The cell as written in the file (``parsed`` for a frame, or if it is not found)."""
        if self.path is not None:
            line, header, fields = self._scan({row}).get(row, (0, [], []))
            if str(column) in header and header.index(str(column)) < len(fields):
                return fields[header.index(str(column))]
        return parsed

    def _scan(self, rows: set[int]) -> dict[int, tuple[int, list[str], list[str]]]:
        """Re-read the file up to the wanted data rows (only when a message needs them):
        ``{row: (first line of the row, header fields, row fields)}``."""
        found: dict[int, tuple[int, list[str], list[str]]] = {}
        try:
            self._read_rows(rows, found)
        except (csv.Error, OSError, UnicodeDecodeError):  # the rows found so far will do
            pass
        return found

    def _read_rows(self, rows: set[int], found: dict) -> None:
        with open(self.path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter=self.sep)
            header, row, line = None, -1, 1
            for fields in reader:
                start, line = line, reader.line_num + 1
                if not fields:  # a blank line: pandas skips it too
                    continue
                if header is None:
                    header = fields
                    continue
                row += 1
                if row in rows:
                    found[row] = (start, header, fields)
                    if len(found) == len(rows):
                        return


FRAME = Source()  # the rows of a frame in memory: "data row N"


def check_decimal(decimal: str) -> str:
    if decimal not in DECIMALS:
        raise ConfigError(f"decimal must be '.' or ',', received {decimal!r}")
    return decimal


def _refuse_binary(path: Path, head: bytes) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{path} is UTF-16 text; save it as UTF-8")
    for magic, what in MAGIC.items():
        if head.startswith(magic):
            raise DataError(f"{path} is not a CSV text file: it holds {what}")
    nul = head.find(b"\x00")
    if nul >= 0:
        raise DataError(f"{path} is not a CSV text file: a NUL byte at offset {nul} (binary data)")


def sniff(path: Path, decimal: str = ".") -> str:
    """The separator of the file ``path``, from its header line; refuses empty and binary
    files, and a header that names a column twice, from the first bytes alone."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head.strip():
        raise DataError(f"{path} is empty")
    _refuse_binary(path, head)
    first_line = next(line for line in head.splitlines() if line.strip())  # pandas skips blanks
    header = first_line.decode("utf-8", errors="replace").lstrip("\ufeff")
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    if decimal == ",":  # a comma is the decimal mark, so it cannot separate the fields
        counts[","] = -1 if counts[","] == 0 else counts[","]
        counts[";"] += 0.5  # ";" when there is no separator at all (one column)
    sep = max(SEPARATORS, key=lambda s: (counts[s], s == ","))
    if decimal == "," and sep == ",":
        raise DataError(
            f"{path}: decimal=',' needs a file separated by ';' or tabs, but its header "
            f"line is separated by commas"
        )
    try:
        names = next(csv.reader([header], delimiter=sep), [])
    except csv.Error:  # a quoted header name with a line break: leave it to pandas
        names = []
    seen: dict[str, int] = {}
    for number, name in enumerate(names, 1):
        if name and name in seen:
            raise DataError(
                f"{path}: the header names column {name!r} twice (columns {seen[name]} and "
                f"{number}); each column needs its own name"
            )
        seen[name] = number
    return sep


def _not_utf8(path: Path) -> DataError:
    """The first byte of ``path`` that is not UTF-8, by line and column."""
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as err:
                column = len(line[: err.start].decode("utf-8")) + 1
                return DataError(
                    f"{path} is not UTF-8 text: byte 0x{line[err.start]:02x} on line "
                    f"{number}, column {column}; save the file as UTF-8"
                )
    return DataError(f"{path} is not UTF-8 text")  # pragma: no cover - pandas agreed it was


def open_csv(path: str | Path, decimal: str = ".") -> tuple[pd.DataFrame, Source]:
    """``pandas.read_csv`` after the checks above; the frame and where its rows came from."""
    path, decimal = Path(path), check_decimal(decimal)
    if not path.exists():
        raise DataError(f"data file not found: {path}")
    if path.is_dir():
        raise DataError(f"expected a CSV file, received a folder: {path}")
    sep = sniff(path, decimal)
    try:
        frame = pd.read_csv(path, sep=sep, decimal=decimal)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty") from None
    except pd.errors.ParserError as err:
        raise DataError(f"{path} is not a well-formed CSV: {' '.join(str(err).split())}") from None
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    if frame.empty:
        raise DataError(f"{path} has a header but no data rows")
    if not isinstance(frame.index, pd.RangeIndex):  # pandas made the extra field an index
        raise DataError(
            f"{path}: the data rows have more fields than the header line "
            f"({len(frame.columns)} names); is a column name missing, or are there decimal "
            f"commas in a comma-separated file?"
        )
    return frame, Source(path, sep)


def read_csv(path: str | Path, decimal: str = ".") -> pd.DataFrame:
    """The frame of :func:`open_csv`."""
    return open_csv(path, decimal)[0]


def column_values(frame: pd.DataFrame, column, source: Source = FRAME) -> np.ndarray:
    """The column as float64 (empty cells NaN); text and infinite values are refused."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.to_numpy(dtype=np.float64)
    else:
        parsed = pd.to_numeric(raw, errors="coerce")
        text = raw.astype(str).str.strip()
        bad = (parsed.isna() & raw.notna() & (text != "")).to_numpy()
        if bad.any():
            row = int(np.argmax(bad))
            hint = f"; {DECIMAL_HINT}" if DECIMAL_COMMA.fullmatch(text.iloc[row]) else ""
            raise DataError(
                f"{source.prefix}column {column!r} is not numeric: {raw.iloc[row]!r} on "
                f"{source.place(row)}{hint}"
            )
        values = parsed.to_numpy(dtype=np.float64)
    infinite = np.isinf(values)
    if infinite.any():
        row = int(np.argmax(infinite))
        shown = source.raw(row, column, float(values[row]))
        raise DataError(
            f"{source.prefix}column {column!r} has an infinite value {shown!r} on "
            f"{source.place(row)}; fix it, or leave the cell empty to mark it missing"
        )
    return values


def numeric_column(frame: pd.DataFrame, column: str, source: Source) -> tuple[str, np.ndarray]:
    """The values of ``column`` (default: the last column) as float32, all present, numeric
    and finite."""
    name = column or frame.columns[-1]
    if name not in frame.columns:
        where = f"{source.path} has" if source.path is not None else "the data has"
        raise DataError(
            f"{where} no column {name!r}; columns: {', '.join(map(str, frame.columns))}"
        )
    values = column_values(frame, name, source)
    missing = np.isnan(values)
    if missing.any():
        row = int(np.argmax(missing))
        raise DataError(
            f"{source.prefix}column {name!r} has {int(missing.sum())} missing values, "
            f"the first on {source.place(row)}"
        )
    with np.errstate(over="ignore"):
        single = values.astype(np.float32)
    if not np.isfinite(single).all():
        row = int(np.argmax(~np.isfinite(single)))
        raise DataError(
            f"{source.prefix}column {name!r} has the value {source.raw(row, name, values[row])!r} "
            f"on {source.place(row)}, too large for float32"
        )
    return str(name), single
