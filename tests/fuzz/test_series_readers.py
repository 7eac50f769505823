"""Property tests of the series readers: whatever a CSV file or a DataFrame holds, it is read
into a well-formed SeriesSet or refused with one of rnnkit's exceptions; nothing else escapes.

The files are built from the pieces that break readers: numbers that are not finite or not
numbers, decimal commas, dates repeated or out of order, empty cells, blank lines, quotes,
other separators, stray bytes that are not UTF-8, NUL bytes. Each layout the readers know
(long, wide, M4) has its own generator, so that most examples get past the first check.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnkit.data.series import SeriesSet, read, read_frame
from rnnkit.errors import RnnkitError

EXAMPLES = int(os.environ.get("RNNKIT_FUZZ_EXAMPLES", "0"))  # > 0: a longer, random hunt
SETTINGS = settings(
    max_examples=EXAMPLES or 60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=not EXAMPLES,  # the suite replays the same examples on every run
)

BAD_NUMBERS = st.sampled_from(
    ["", "nan", "NA", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e-400", "1,5", "abc"]
    + ["0", "-0", " 3 ", '"4"', "1e308", "-1e308", "True", '"1,5"', "1.2.3", "--1"]
)
DAYS = pd.date_range("2024-01-01", periods=40, freq="D")
BAD_DATES = st.sampled_from(
    ["", "not a date", "2024-02-30", "2024-13-01", "0", "2024-01-01T05:00:00Z", "1e400"]
)
CLEAN = st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.6g}")


@st.composite
def dates(draw, n: int) -> list[str]:
    """n different days, in order, newest first or shuffled."""
    start = draw(st.integers(0, 40 - n))
    stamps = [str(d.date()) for d in DAYS[start : start + n]]
    how = draw(st.sampled_from(["sorted", "sorted", "sorted", "reversed", "shuffled"]))
    if how == "reversed":
        stamps.reverse()
    elif how == "shuffled":
        stamps = list(draw(st.permutations(stamps)))
    return stamps


def numbers(n: int):
    return st.lists(CLEAN, min_size=n, max_size=n)


@st.composite
def wide_csv(draw) -> list[list[str]]:
    n, k = draw(st.integers(1, 30)), draw(st.integers(1, 3))
    header = ["date"] + [draw(st.sampled_from(["a", "b", "sales", "x y", "a"])) for _ in range(k)]
    if draw(st.integers(0, 4)) == 0:  # no date column: the rows are the time axis
        header = header[1:]
        return [header] + [list(r) for r in zip(*[draw(numbers(n)) for _ in range(k)])]
    stamps = draw(dates(n))
    cols = [draw(numbers(n)) for _ in range(k)]
    return [header] + [[stamps[i]] + [c[i] for c in cols] for i in range(n)]


@st.composite
def long_csv(draw) -> list[list[str]]:
    header = ["id", "timestamp", "value"] + draw(st.sampled_from([[], ["temp"]]))
    rows = []
    ids = draw(st.lists(st.sampled_from(["s1", "s2", "3", "s 4"]), min_size=1, max_size=3))
    for sid in dict.fromkeys(ids):
        n = draw(st.integers(1, 15))
        stamps, vals = draw(dates(n)), draw(numbers(n))
        extra = [draw(numbers(n)) for _ in header[3:]]
        rows += [[sid, stamps[i], vals[i]] + [e[i] for e in extra] for i in range(n)]
    if draw(st.booleans()):
        rows = list(draw(st.permutations(rows)))
    return [header] + rows


@st.composite
def m4_csv(draw) -> list[list[str]]:
    width = draw(st.integers(2, 12))
    header = [f"V{i}" for i in range(1, width + 1)]
    rows = []
    for k in range(draw(st.integers(1, 4))):
        n = draw(st.integers(1, width - 1))
        rows.append([f"H{k}"] + draw(numbers(n)) + [""] * (width - 1 - n))
    return [header] + rows


@st.composite
def defect(draw, rows: list[list[str]]) -> list[list[str]]:
    """At most one thing wrong with the rows (half of the files are clean)."""
    rows = [list(r) for r in rows]
    what = draw(st.sampled_from(["none"] * 5 + ["number", "date", "repeat", "cell", "short"]))
    if len(rows) < 2 or what == "none":
        return rows
    i = draw(st.integers(1, len(rows) - 1))
    j = draw(st.integers(0, len(rows[i]) - 1))
    if what == "number":
        rows[i][j] = draw(BAD_NUMBERS)
    elif what == "date":
        rows[i][j] = draw(BAD_DATES)
    elif what == "repeat":
        rows.insert(i, list(rows[i]))
    elif what == "cell":
        rows[i][j] = draw(st.text(max_size=5))
    elif what == "short":
        rows[i] = rows[i][:j]
    return rows


def render(draw, rows: list[list[str]], decimal: str) -> bytes:
    """The rows as CSV bytes, with the separator, line ends and damage hypothesis picks."""
    sep = ";" if decimal == "," else draw(st.sampled_from([",", ",", ";", "\t"]))
    if decimal == ",":
        rows = [[c.replace(".", ",") for c in row] for row in rows]
    end = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [sep.join(row) for row in rows]
    if draw(st.integers(0, 4)) == 0:  # blank lines
        for _ in range(draw(st.integers(1, 3))):
            lines.insert(draw(st.integers(1, len(lines))), "")
    data = (end.join(lines) + end * draw(st.integers(0, 1))).encode("utf-8")
    damage = draw(st.sampled_from(["none"] * 12 + ["byte", "nul", "bom", "truncate"]))
    if damage == "byte":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82"])) + data[at:]
    elif damage == "nul":
        data = data[: draw(st.integers(0, len(data)))] + b"\x00" * draw(st.integers(1, 64))
    elif damage == "bom":
        data = b"\xef\xbb\xbf" + data
    elif damage == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    return data


@st.composite
def csv_files(draw) -> tuple[bytes, str, str]:
    rows = draw(defect(draw(st.one_of(wide_csv(), long_csv(), m4_csv()))))
    fill = draw(st.sampled_from(["", "interpolate", "ffill"]))
    decimal = draw(st.sampled_from([".", ".", ".", ","]))
    return render(draw, rows, decimal), fill, decimal


def well_formed(series: SeriesSet) -> None:
    """What every reader promises about what it returns."""
    assert len(series) >= 1 and len(set(series.ids)) == len(series.ids)
    for values, stamps in zip(series.values, series.timestamps):
        assert values.dtype == np.float64 and values.ndim == 1 and len(values) >= 1
        assert np.isfinite(values).all()
        if stamps is not None:
            assert len(stamps) == len(values) and stamps.is_monotonic_increasing
            assert stamps.is_unique
    for arrays in series.covariates.values():
        assert all(np.isfinite(a).all() for a in arrays)


def read_or_refuse(reader, *args) -> None:
    """Call ``reader``: a well-formed SeriesSet or an RnnkitError; numpy and pandas warnings
    (RuntimeWarning, ParserWarning...) are failures too, only rnnkit's own may be shown."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=UserWarning, module="rnnkit")
        try:
            series = reader(*args)
        except RnnkitError as err:
            text = str(err)
            assert text and "\n" not in text, text  # one line
            return
    well_formed(series)


@SETTINGS
@given(csv_files())
def test_any_csv_file_is_read_or_refused_with_an_rnnkit_error(case):
    data, fill, decimal = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "series.csv"
        path.write_bytes(data)
        read_or_refuse(read, path, fill, decimal)


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_refused(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "noise.csv"
        path.write_bytes(data)
        read_or_refuse(read, path)


CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**70), 2**70),
    BAD_NUMBERS,
    st.sampled_from([None, True, "2024-01-01", "s1"]),
    st.datetimes(min_value=pd.Timestamp("1900-01-01"), max_value=pd.Timestamp("2200-01-01")),
)


@st.composite
def frames(draw) -> pd.DataFrame:
    pool = ["id", "timestamp", "value", "date", "V1", "V2", "a", "b", "temp", "y", "ds"]
    names = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4))
    n = draw(st.integers(0, 12))
    columns = {}
    for i, _name in enumerate(names):
        kind = draw(st.sampled_from(["float", "mixed", "dates", "ids"]))
        if kind == "float":
            cells = draw(st.lists(st.floats(allow_nan=True), min_size=n, max_size=n))
        elif kind == "dates":
            cells = [str(d.date()) for d in draw(st.permutations(list(DAYS[:n])))]
        elif kind == "ids":
            cells = draw(st.lists(st.sampled_from(["s1", "s2", None]), min_size=n, max_size=n))
        else:
            cells = draw(st.lists(CELLS, min_size=n, max_size=n))
        columns[i] = cells
    frame = pd.DataFrame(columns)
    frame.columns = names
    return frame


@SETTINGS
@given(frames(), st.sampled_from(["", "interpolate", "ffill"]))
def test_any_dataframe_is_read_or_refused_with_an_rnnkit_error(frame, fill):
    read_or_refuse(read_frame, frame, fill)


@pytest.mark.parametrize("n_rows", [1, 2, 3])
def test_tiny_files_of_each_layout(tmp_path, n_rows):
    """The smallest files: one to three rows, which the generators above rarely reach."""
    body = {
        "wide.csv": "date,a\n" + "".join(f"2024-01-0{i + 1},{i}\n" for i in range(n_rows)),
        "long.csv": "id,timestamp,value\n"
        + "".join(f"s,2024-01-0{i + 1},{i}\n" for i in range(n_rows)),
        "m4.csv": "V1,V2,V3,V4\n" + "".join(f"H{i},1,2,\n" for i in range(n_rows)),
    }
    for name, text in body.items():
        (tmp_path / name).write_text(text)
        series = read(tmp_path / name)
        well_formed(series)
        assert sum(series.lengths) == n_rows * (2 if name == "m4.csv" else 1)


@SETTINGS
@given(st.data())
def test_the_line_named_for_a_bad_value_is_the_line_it_is_on(data):
    """Blank lines and quoted line breaks shift the lines: the message still names the line
    where the value is, as an editor numbers it."""
    n = data.draw(st.integers(1, 25))
    bad = data.draw(st.integers(0, n - 1))
    pieces, line, expected = ["id,timestamp,value"], 1, 0
    for i in range(n):
        for _ in range(data.draw(st.sampled_from([0, 0, 0, 1, 2]))):
            pieces.append("")
            line += 1
        sid = data.draw(st.sampled_from(["a", '"a"', '"b\nc"', '"d\r\ne"']))
        row = f"{sid},{DAYS[i].date()},{'1e400' if i == bad else i}"
        pieces.append(row)
        line += 1
        expected = line if i == bad else expected
        line += row.count("\n")
    end = data.draw(st.sampled_from(["\n", "\r\n"]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lines.csv"
        path.write_bytes((end.join(pieces) + end).encode())
        with pytest.raises(RnnkitError) as err:
            read(path)
    assert str(err.value) == (
        f"{path}: column 'value' has an infinite value '1e400' on line {expected}; fix it, or "
        f"leave the cell empty to mark it missing"
    )
