import numpy as np
import pandas as pd
import pytest

from rnnkit.data.series import check_lengths, read, read_frame
from rnnkit.errors import DataError


def wide(n=30, freq="h"):
    stamps = pd.date_range("2024-01-01", periods=n, freq=freq)
    return pd.DataFrame(
        {
            "date": stamps.astype(str),
            "a": np.arange(n, dtype=float),
            "b": np.arange(n, dtype=float) * 2,
        }
    )


def test_wide_frame_gives_one_series_per_column_with_frequency_and_season():
    s = read_frame(wide())
    assert s.ids == ["a", "b"] and s.lengths == [30, 30]
    assert s.freq == "h" and s.season() == 24


def test_long_frame_with_covariates_sorted_by_time():
    frame = pd.DataFrame(
        {
            "id": ["x", "x", "y", "y", "x"],
            "timestamp": ["2024-01-03", "2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02"],
            "value": [3.0, 1.0, 10.0, 11.0, 2.0],
            "temp": [0.3, 0.1, 1, 1.1, 0.2],
        }
    )
    with pytest.warns(UserWarning) as caught:
        s = read_frame(frame)
    assert [str(w.message) for w in caught] == [
        "the timestamps in column 'timestamp' are not increasing within 1 series: 1 row is "
        "earlier than the previous row of their series, the first on data row 2; sorted each "
        "series by time"
    ]
    assert s.ids == ["x", "y"]
    np.testing.assert_array_equal(s.values[0], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(s.covariates["temp"][0], [0.1, 0.2, 0.3])
    assert s.freq == "D"


def test_m4_format_strips_the_padding(tmp_path):
    path = tmp_path / "m4.csv"
    path.write_text('"V1","V2","V3","V4"\n"H1","1","2","3"\n"H2","4","5",\n')
    s = read(path)
    assert s.ids == ["H1", "H2"] and s.lengths == [3, 2]


def test_missing_values_are_an_error_naming_series_count_and_position():
    frame = wide()
    frame.loc[[4, 9], "b"] = np.nan
    with pytest.raises(DataError) as err:
        read_frame(frame)
    assert str(err.value) == (
        "series 'b' has 2 missing values, the first at position 4; pass "
        "fill='interpolate' or fill='ffill' to fill them"
    )
    filled = read_frame(frame, fill="interpolate")
    assert filled.values[1][4] == pytest.approx(8.0)
    assert read_frame(frame, fill="ffill").values[1][4] == pytest.approx(6.0)


def test_missing_timestamps_become_missing_values():
    frame = wide(10, "D").drop(index=3)
    with pytest.raises(DataError, match="series 'a' has 1 missing values, the first at position 3"):
        read_frame(frame)


def test_non_numeric_column_is_named_with_value_and_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("date,sales\n2024-01-01,3\n2024-01-02,abc\n")
    with pytest.raises(DataError) as err:
        read(path)
    assert str(err.value) == f"{path}: column 'sales' is not numeric: 'abc' on line 3"


def test_too_short_series_are_named_or_skipped_with_a_warning():
    s = read_frame(
        pd.DataFrame({"a": np.arange(10.0), "b": np.arange(3.0).tolist() + [None] * 7}),
        fill="ffill",
    )
    s.values[1] = s.values[1][:3]
    with pytest.raises(DataError) as err:
        check_lengths(s, 5)
    assert str(err.value) == (
        "1 series shorter than input_length + horizon = 5: 'b' (3); "
        "shorten input_length or pass skip_short=True to drop them"
    )
    with pytest.warns(UserWarning, match="skipped 1 series shorter than"):
        kept = check_lengths(s, 5, skip_short=True)
    assert kept.ids == ["a"]


def test_bad_fill_option_is_named():
    with pytest.raises(
        ValueError, match="fill must be one of interpolate, ffill or '', received 'zero'"
    ):
        read_frame(wide(), fill="zero")
