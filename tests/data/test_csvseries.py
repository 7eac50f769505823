"""The CSV layer of the series readers: what is refused before pandas reads a byte, and the
exact line, column and value each refusal names."""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest

from rnnkit.data.csvseries import Source, column_values, numeric_column, open_csv, read_csv
from rnnkit.errors import ConfigError, DataError


def raises(exc, text):
    return pytest.raises(exc, match="^" + re.escape(text) + "$")


def monthly(n=40) -> pd.DataFrame:
    t = np.arange(n)
    return pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=n, freq="MS").strftime("%Y-%m-%d"),
            "sales": np.round(100 + 10 * np.sin(2 * np.pi * t / 12) + 0.37 * t, 3),
        }
    )


def test_a_2_gb_file_of_nul_bytes_is_refused_from_its_first_bytes(tmp_path):
    path = tmp_path / "zeros.csv"
    with open(path, "wb") as fh:  # sparse: 2 GB that take no disk space
        fh.truncate(2 * 1024**3)
    start = time.perf_counter()
    with raises(DataError, f"{path} is not a CSV text file: a NUL byte at offset 0 (binary data)"):
        read_csv(path)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "head, what",
    [
        (b"\x1f\x8b\x08\x00", "it holds gzip-compressed data"),
        (b"PK\x03\x04rest", "it holds a zip archive (an Excel .xlsx file?)"),
        (b"PAR1....", "it holds a Parquet file"),
        (b"date,x\n2020-01-01,\x00\x01", "a NUL byte at offset 18 (binary data)"),
    ],
)
def test_binary_files_are_named(tmp_path, head, what):
    path = tmp_path / "data.csv"
    path.write_bytes(head)
    with raises(DataError, f"{path} is not a CSV text file: {what}"):
        read_csv(path)


def test_utf16_empty_and_blank_files(tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes("date,x\n".encode("utf-16"))
    with raises(DataError, f"{path} is UTF-16 text; save it as UTF-8"):
        read_csv(path)
    for body in (b"", b"\n \n\r\n"):
        path.write_bytes(body)
        with raises(DataError, f"{path} is empty"):
            read_csv(path)
    path.write_text("date,x\n")
    with raises(DataError, f"{path} has a header but no data rows"):
        read_csv(path)


def test_a_byte_that_is_not_utf8_is_named_by_line_and_column(tmp_path):
    lines = ["date,sales"] + [f"2020-01-{d:02d},{d}.5" for d in range(1, 31)]
    lines.append("2020-01-31,café")
    path = tmp_path / "latin1.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))  # é is the byte 0xe9
    with raises(
        DataError,
        f"{path} is not UTF-8 text: byte 0xe9 on line 32, column 15; save the file as UTF-8",
    ):
        read_csv(path)
    # the column counts characters, not bytes: a valid 2-byte character before it
    path.write_bytes(b"date,x\nna\xc3\xafve,\xff\n")
    with raises(
        DataError,
        f"{path} is not UTF-8 text: byte 0xff on line 2, column 7; save the file as UTF-8",
    ):
        read_csv(path)


def test_separator_is_taken_from_the_header_line(tmp_path):
    frame = monthly()
    expected = read_csv(_write(tmp_path / "comma.csv", frame, ","))
    for sep in (";", "\t"):
        got = read_csv(_write(tmp_path / "other.csv", frame, sep))
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


def _write(path, frame, sep, decimal="."):
    frame.to_csv(path, index=False, sep=sep, decimal=decimal)
    return path


def test_decimal_commas_are_read_on_request_with_the_same_numbers(tmp_path):
    frame = monthly()
    comma = read_csv(_write(tmp_path / "a.csv", frame, ","))
    semi = _write(tmp_path / "b.csv", frame, ";", decimal=",")
    pd.testing.assert_frame_equal(read_csv(semi, decimal=","), comma, check_exact=True)
    tab = _write(tmp_path / "c.csv", frame, "\t", decimal=",")
    pd.testing.assert_frame_equal(read_csv(tab, decimal=","), comma, check_exact=True)


def test_decimal_commas_without_the_option_get_a_hint(tmp_path):
    frame, source = open_csv(_write(tmp_path / "b.csv", monthly(), ";", decimal=","))
    with raises(
        DataError,
        f"{source.path}: column 'sales' is not numeric: '100,0' on line 2; pass "
        f'decimal="," (--decimal , or data.decimal = ",") to read decimal commas',
    ):
        column_values(frame, "sales", source)


def test_decimal_comma_option_needs_another_separator(tmp_path):
    path = _write(tmp_path / "a.csv", monthly(), ",")
    with raises(
        DataError,
        f"{path}: decimal=',' needs a file separated by ';' or tabs, but its header line is "
        f"separated by commas",
    ):
        read_csv(path, decimal=",")
    with raises(ConfigError, "decimal must be '.' or ',', received ';'"):
        read_csv(path, decimal=";")


def test_unquoted_decimal_commas_in_a_comma_file_are_not_read_as_an_index(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("date,sales\n2020-01-01,100,5\n2020-02-01,101,25\n")
    with raises(
        DataError,
        f"{path}: the data rows have more fields than the header line (2 names); is a column "
        f"name missing, or are there decimal commas in a comma-separated file?",
    ):
        read_csv(path)


def test_a_header_naming_a_column_twice(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('"date","a","b","a"\n2020-01-01,1,2,3\n')
    with raises(
        DataError,
        f"{path}: the header names column 'a' twice (columns 2 and 4); each column needs its "
        f"own name",
    ):
        read_csv(path)


@pytest.mark.parametrize("text", ["inf", "-inf", "1e400", "-1e400", "Infinity"])
def test_infinite_values_are_refused_as_written_with_their_line(tmp_path, text):
    lines = ["date,sales"] + [f"2020-{m:02d}-01,{m}" for m in range(1, 13)]
    lines[7] = f"2020-07-01,{text}"
    lines.insert(3, "")  # a blank line: counted, as an editor counts it
    path = tmp_path / "inf.csv"
    path.write_text("\n".join(lines) + "\n")
    frame, source = open_csv(path)
    with raises(
        DataError,
        f"{path}: column 'sales' has an infinite value {text!r} on line 9; fix it, or leave "
        f"the cell empty to mark it missing",
    ):
        column_values(frame, "sales", source)


def test_lines_count_blank_lines_and_quoted_line_breaks(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,value\n"a\nb",1\n\n"c",2\n"d",3\n')
    frame, source = open_csv(path)
    assert source.places([0, 1, 2]) == ["line 2", "line 5", "line 6"]
    assert source.raw(2, "value", None) == "3"
    assert Source().places([0, 4]) == ["data row 1", "data row 5"]


def test_frames_name_data_rows_and_the_value():
    frame = pd.DataFrame({"x": [1.0, 2.0, -np.inf], "y": ["1", "2,5", "3"]})
    with raises(
        DataError,
        "column 'x' has an infinite value -inf on data row 3; fix it, or leave the cell "
        "empty to mark it missing",
    ):
        column_values(frame, "x")
    with raises(
        DataError,
        "column 'y' is not numeric: '2,5' on data row 2; pass decimal=\",\" (--decimal , or "
        'data.decimal = ",") to read decimal commas',
    ):
        column_values(frame, "y")


def test_regress_column_reader_refuses_infinite_and_missing_values(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Date,Temp\n2000-01-01,1\n2000-01-02,1e400\n")
    frame, source = open_csv(path)
    with raises(
        DataError,
        f"{path}: column 'Temp' has an infinite value '1e400' on line 3; fix it, or leave the "
        f"cell empty to mark it missing",
    ):
        numeric_column(frame, "", source)
    path.write_text("Date,Temp\n2000-01-01,1\n2000-01-02,\n")
    frame, source = open_csv(path)
    with raises(DataError, f"{path}: column 'Temp' has 1 missing values, the first on line 3"):
        numeric_column(frame, "", source)
    with raises(DataError, f"{path} has no column 'temp'; columns: Date, Temp"):
        numeric_column(frame, "temp", source)


def test_regress_column_reader_refuses_values_beyond_float32(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Date,Temp\n2000-01-01,1\n2000-01-02,1e39\n")
    frame, source = open_csv(path)
    with raises(
        DataError, f"{path}: column 'Temp' has the value '1e39' on line 3, too large for float32"
    ):
        numeric_column(frame, "", source)
