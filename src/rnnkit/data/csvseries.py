"""Read one numeric series from a CSV file, with errors that say what is wrong and where."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rnnkit.errors import DataError


def read_csv(path: str | Path) -> pd.DataFrame:
    """``pandas.read_csv`` with one-line errors naming the file (and line where pandas can)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file not found: {path}")
    if path.is_dir():
        raise DataError(f"expected a CSV file, received a folder: {path}")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty") from None
    except pd.errors.ParserError as err:
        raise DataError(f"{path} is not a well-formed CSV: {' '.join(str(err).split())}") from None
    except UnicodeDecodeError as err:
        raise DataError(f"{path} is not UTF-8 text (byte {err.start})") from None
    if frame.empty:
        raise DataError(f"{path} has a header but no data rows")
    return frame


def numeric_column(frame: pd.DataFrame, column: str, path: str | Path) -> tuple[str, np.ndarray]:
    """The values of ``column`` (default: the last column) as float32, all present and numeric."""
    name = column or frame.columns[-1]
    if name not in frame.columns:
        raise DataError(
            f"{path} has no column {name!r}; columns: {', '.join(map(str, frame.columns))}"
        )
    values = pd.to_numeric(frame[name], errors="coerce")
    bad = values.isna() & frame[name].notna()
    if bad.any():
        row = int(bad.idxmax())
        raise DataError(
            f"{path}: column {name!r} is not numeric: {frame[name].iloc[row]!r} on line {row + 2}"
        )
    if values.isna().any():
        row = int(values.isna().idxmax())
        raise DataError(
            f"{path}: column {name!r} has {int(values.isna().sum())} missing values, "
            f"the first on line {row + 2}"
        )
    return str(name), values.to_numpy(dtype=np.float32)
