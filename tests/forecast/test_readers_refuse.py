"""What the series readers refuse (by file and line, or series and position) and what they
repair with a warning: infinite values, repeated and unsorted timestamps, decimal commas."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from rnnkit.data.series import SeriesSet, read, read_frame
from rnnkit.errors import DataError


def raises(text):
    return pytest.raises(DataError, match="^" + re.escape(text) + "$")


def monthly(n=48) -> pd.DataFrame:
    t = np.arange(n)
    return pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=n, freq="MS").strftime("%Y-%m-%d"),
            "sales": np.round(100 + 10 * np.sin(2 * np.pi * t / 12) + 0.37 * t, 3),
        }
    )


def write(tmp_path, frame, name="s.csv", **kw):
    path = tmp_path / name
    frame.to_csv(path, index=False, **kw)
    return path


def test_infinite_values_are_refused_in_files_and_frames_and_fill_does_not_apply(tmp_path):
    frame = monthly().astype({"sales": object})
    frame.loc[30, "sales"] = "1e400"
    path = write(tmp_path, frame)
    for fill in ("", "interpolate", "ffill"):
        with raises(
            f"{path}: column 'sales' has an infinite value '1e400' on line 32; fix it, or "
            f"leave the cell empty to mark it missing"
        ):
            read(path, fill=fill)
    numbers = monthly()
    numbers.loc[4, "sales"] = -np.inf
    with raises(
        "column 'sales' has an infinite value -inf on data row 5; fix it, or leave the cell "
        "empty to mark it missing"
    ):
        read_frame(numbers, fill="interpolate")


def test_infinite_values_in_long_and_m4_files(tmp_path):
    long = tmp_path / "long.csv"
    long.write_text("id,timestamp,value\na,2020-01-01,1\na,2020-01-02,inf\nb,2020-01-01,3\n")
    with raises(
        f"{long}: column 'value' has an infinite value 'inf' on line 3; fix it, or leave the "
        f"cell empty to mark it missing"
    ):
        read(long)
    m4 = tmp_path / "m4.csv"
    m4.write_text('"V1","V2","V3","V4"\n"H1","1","2","3"\n"H2","4","-inf",\n')
    with raises(
        f"{m4}: column 'V3' has an infinite value '-inf' on line 3; fix it, or leave the "
        f"cell empty to mark it missing"
    ):
        read(m4)


def test_a_series_set_built_by_hand_must_be_finite():
    with raises("series 'a' has a value that is not a finite number at position 2: inf"):
        SeriesSet(["a"], [np.array([1.0, 2.0, np.inf])])
    with raises("series 'b/temp' has a value that is not a finite number at position 0: nan"):
        SeriesSet(["b"], [np.ones(3)], covariates={"temp": [np.array([np.nan, 1.0, 2.0])]})
    with raises("series 'a' must be a 1-D array of numbers, received <U1 values of shape (2,)"):
        SeriesSet(["a"], [np.array(["x", "y"])])


def test_repeated_timestamps_are_refused_wide_and_long(tmp_path):
    frame = monthly()
    twice = pd.concat([frame.iloc[:11], frame.iloc[[10]], frame.iloc[11:]], ignore_index=True)
    path = write(tmp_path, twice)
    with raises(
        f"{path}: column 'date' has the timestamp '2020-11-01' twice, on lines 12 and 13; "
        f"each time may appear once per series"
    ):
        read(path)
    long = tmp_path / "long.csv"
    long.write_text(
        "id,timestamp,value\na,2020-01-01,1\nb,2020-01-01,2\na,2020-01-02,3\n"
        "a,2020-01-01,4\nb,2020-01-01,5\n"
    )
    with raises(
        f"{long}: series 'a' has the timestamp '2020-01-01' twice, on lines 2 and 5 (2 "
        f"timestamps repeat in all); each time may appear once per series"
    ):
        read(long)
    # the same timestamp in two different series is how long files work
    long.write_text("id,timestamp,value\na,2020-01-01,1\nb,2020-01-01,2\n")
    assert read(long).ids == ["a", "b"]


def test_a_newest_first_file_is_sorted_with_a_warning_and_forecasts_forward(tmp_path):
    oldest_first = read(write(tmp_path, monthly(), "a.csv"))
    path = write(tmp_path, monthly().iloc[::-1], "b.csv")
    with pytest.warns(UserWarning) as caught:
        series = read(path)
    assert [str(w.message) for w in caught] == [
        f"{path}: the timestamps in column 'date' are not increasing: 47 rows are earlier than "
        f"the row above (of 48 rows), the first on line 3; sorted the rows by time"
    ]
    np.testing.assert_array_equal(series.values[0], oldest_first.values[0])
    assert series.freq == "MS" and series.timestamps[0].equals(oldest_first.timestamps[0])
    future = series.future_timestamps(0, 3)
    assert future == list(pd.date_range("2024-01-01", periods=3, freq="MS"))


def test_a_first_row_out_of_order_is_sorted_with_a_warning(tmp_path):
    frame = monthly()
    moved = pd.concat([frame.iloc[[5]], frame.drop(index=5)])
    path = write(tmp_path, moved)
    with pytest.warns(UserWarning, match="1 row is earlier than the row above") as caught:
        series = read(path)
    assert str(caught[0].message).endswith("the first on line 3; sorted the rows by time")
    np.testing.assert_array_equal(series.values[0], frame["sales"].to_numpy())


def test_rows_in_order_give_no_warning(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read(write(tmp_path, monthly()))


def test_semicolon_file_with_decimal_commas(tmp_path):
    plain = read(write(tmp_path, monthly(), "a.csv"))
    path = write(tmp_path, monthly(), "b.csv", sep=";", decimal=",")
    with raises(
        f"{path}: column 'sales' is not numeric: '100,0' on line 2; pass decimal=\",\" "
        f'(--decimal , or data.decimal = ",") to read decimal commas'
    ):
        read(path)
    series = read(path, decimal=",")
    np.testing.assert_array_equal(series.values[0], plain.values[0])  # to the last bit


def test_empty_dates_and_ids_are_named(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("date,a\n2020-01-01,1\n,2\n2020-01-03,3\n")
    with raises(f"{path}: column 'date' is empty on line 3"):
        read(path)
    path.write_text("id,timestamp,value\na,2020-01-01,1\n,2020-01-02,2\n")
    with raises(f"{path}: column 'id' is empty on line 3"):
        read(path)


def test_a_number_among_dates_is_not_a_date():
    frame = pd.DataFrame({"date": ["2020-01-01", 223, "2020-01-03"], "a": [1.0, 2.0, 3.0]})
    with raises("column 'date' has a value that is not a date: 223 on data row 2"):
        read_frame(frame)


def test_a_gap_too_long_to_fill_is_named(tmp_path):
    stamps = list(pd.date_range("2020-01-01", periods=30, freq="h")) + [pd.Timestamp("2030-01-01")]
    frame = pd.DataFrame({"date": stamps, "a": np.arange(31.0)})
    with raises(
        "the timestamps jump from 2020-01-02 05:00:00 to 2030-01-01 00:00:00, far more than "
        "the usual step (h): a regular series would miss too many values to fill"
    ):
        read_frame(frame, fill="interpolate")


def test_m4_repeated_series_id(tmp_path):
    path = tmp_path / "m4.csv"
    path.write_text('"V1","V2","V3"\n"H1","1","2"\n"H2","4","5"\n"H1","7","8"\n')
    with raises(f"{path}: series 'H1' appears twice, again on line 4"):
        read(path)


def test_a_datetime_column_of_any_name_is_the_time_axis_and_interleaved_long_rows_are_fine():
    frame = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=30, freq="D")})
    frame["a"] = np.arange(30.0)
    series = read_frame(frame)
    assert series.ids == ["a"] and series.freq == "D"  # not a series of nanoseconds
    days = pd.date_range("2020-01-01", periods=10, freq="D")
    rows = [(sid, day, 1.0) for day in days for sid in "ab"]  # by time, then id
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # each series is in order: nothing to say
        long = read_frame(pd.DataFrame(rows, columns=["id", "timestamp", "value"]))
    assert long.ids == ["a", "b"] and long.lengths == [10, 10]
