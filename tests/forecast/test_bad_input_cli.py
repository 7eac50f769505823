"""Bad series and bad settings through the command line: exit code 2 and the exact line on
stderr, and what reaches the terminal when the data is odd but readable (issue 13).

Most cases run ``rnnkit.cli.main.main`` in this process (fast, with baselines that take no
training step); the ones about what the terminal shows run the real command in a subprocess.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rnnkit.cli.main import main

REGRESS = """
task = "regress"
[data]
window = 5
test_size = 30
[model]
hidden_size = 3
[train]
max_steps = 4
batch_size = 8
"""


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err.strip()


def monthly(n=48, flat=False) -> pd.DataFrame:
    t = np.arange(n)
    values = np.full(n, 5.0) if flat else 100 + 10 * np.sin(2 * np.pi * t / 12) + 0.37 * t
    return pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=n, freq="MS").strftime("%Y-%m-%d"),
            "sales": np.round(values, 3),
        }
    )


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.csv"
    monthly().to_csv(path, index=False)
    return path


def with_cell(tmp_path, line: int, text: str):
    """The monthly file with the value on ``line`` (1 = header) replaced by ``text``."""
    lines = monthly().to_csv(index=False).splitlines()
    lines[line - 1] = lines[line - 1].split(",")[0] + "," + text
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def train_naive(capsys, data, out, *extra):
    return run(
        capsys, "forecast", "train", "--data", data, "--horizon", 6, "--model", "naive",
        "--out", out, "--quiet", *extra,
    )  # fmt: skip


@pytest.mark.parametrize("text", ["inf", "-inf", "1e400"])
def test_forecast_train_refuses_infinite_values(capsys, tmp_path, text):
    path = with_cell(tmp_path, 32, text)
    code, _, err = train_naive(capsys, path, tmp_path / "r")
    assert code == 2
    assert err == (
        f"rnnkit forecast: error: {path}: column 'sales' has an infinite value {text!r} on "
        f"line 32; fix it, or leave the cell empty to mark it missing"
    )


def test_a_network_never_trains_on_infinite_values(capsys, tmp_path):
    """Today's failure: numpy warnings, then "training loss is nan ... lower train.lr"."""
    path = with_cell(tmp_path, 32, "inf")
    code, _, err = run(
        capsys, "forecast", "train", "--data", path, "--horizon", 6, "--epochs", 1,
        "--hidden-size", 4, "--out", tmp_path / "r", "--quiet",
    )  # fmt: skip
    assert code == 2 and "infinite value 'inf' on line 32" in err and "lr" not in err


def test_repeated_timestamps_wide_and_long(capsys, tmp_path):
    frame = monthly()
    path = tmp_path / "dup.csv"
    pd.concat([frame.iloc[:11], frame.iloc[[10]], frame.iloc[11:]]).to_csv(path, index=False)
    code, _, err = train_naive(capsys, path, tmp_path / "r")
    assert (code, err) == (
        2,
        f"rnnkit forecast: error: {path}: column 'date' has the timestamp '2020-11-01' twice, "
        f"on lines 12 and 13; each time may appear once per series",
    )
    long = tmp_path / "long.csv"
    rows = [f"s,{d},{v}" for d, v in zip(frame["date"], frame["sales"])]
    long.write_text("id,timestamp,value\n" + "\n".join(rows + [rows[3]]) + "\n")
    code, _, err = train_naive(capsys, long, tmp_path / "r2")
    assert (code, err) == (
        2,
        f"rnnkit forecast: error: {long}: series 's' has the timestamp '2020-04-01' twice, on "
        f"lines 5 and 50; each time may appear once per series",
    )


def test_a_newest_first_file_forecasts_after_its_last_date_not_into_the_past(capsys, tmp_path):
    path = tmp_path / "newest.csv"
    monthly().iloc[::-1].to_csv(path, index=False)
    with pytest.warns(UserWarning) as caught:
        code, _, _ = train_naive(capsys, path, tmp_path / "r", "--horizon", 3)
    assert code == 0
    assert [str(w.message) for w in caught] == [
        f"{path}: the timestamps in column 'date' are not increasing: 47 rows are earlier than "
        f"the row above (of 48 rows), the first on line 3; sorted the rows by time"
    ]
    code, out, _ = run(capsys, "forecast", "predict", tmp_path / "r")
    last = repr(float(monthly()["sales"].iloc[-1]))  # naive: the newest value, repeated
    rows = [line.split(",")[:4] for line in out.splitlines()[1:]]  # (+ calibrated intervals)
    assert rows == [
        ["sales", "2024-01-01", "1", last],
        ["sales", "2024-02-01", "2", last],
        ["sales", "2024-03-01", "3", last],
    ]


def test_a_first_row_out_of_order_trains_in_time_order(capsys, tmp_path, good):
    frame = monthly()
    path = tmp_path / "first.csv"
    pd.concat([frame.iloc[[5]], frame.drop(index=5)]).to_csv(path, index=False)
    with pytest.warns(UserWarning, match="1 row is earlier than the row above"):
        assert train_naive(capsys, path, tmp_path / "a")[0] == 0
    assert train_naive(capsys, good, tmp_path / "b")[0] == 0
    metrics = [json.loads((tmp_path / r / "metrics.json").read_text()) for r in "ab"]
    assert metrics[0]["test_smape"] == metrics[1]["test_smape"]


def test_decimal_commas_are_refused_with_a_hint_or_read_with_decimal(capsys, tmp_path, good):
    path = tmp_path / "semi.csv"
    monthly().to_csv(path, index=False, sep=";", decimal=",")
    code, _, err = train_naive(capsys, path, tmp_path / "r")
    assert (code, err) == (
        2,
        f"rnnkit forecast: error: {path}: column 'sales' is not numeric: '100,0' on line 2; "
        f'pass decimal="," (--decimal , or data.decimal = ",") to read decimal commas',
    )
    assert train_naive(capsys, path, tmp_path / "comma", "--decimal", ",")[0] == 0
    assert train_naive(capsys, good, tmp_path / "point")[0] == 0
    read = [json.loads((tmp_path / r / "metrics.json").read_text()) for r in ("comma", "point")]
    assert read[0] == {**read[1], "train_seconds": read[0]["train_seconds"]}
    config = (tmp_path / "comma" / "config.toml").read_text()
    assert 'decimal = ","' in config
    code, _, err = train_naive(capsys, path, tmp_path / "x", "--decimal", ";")
    assert (code, err) == (2, "rnnkit forecast: error: data.decimal must be one of '.', ',', "
                              "received ';'")  # fmt: skip


def test_a_constant_series_scores_nan_with_warnings_and_nothing_from_numpy(cli, tmp_path):
    path = tmp_path / "flat.csv"
    monthly(flat=True).to_csv(path, index=False)
    out = cli(
        "forecast", "train", "--data", path, "--horizon", 6, "--epochs", 1, "--hidden-size", 4,
        "--model", "segrnn", "--out", tmp_path / "r", "--quiet",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert (
        "MASE is undefined for 1 series whose in-sample values repeat exactly every m=12 steps "
        "(a zero scale, e.g. a constant series): 'sales'; reported as NaN"
    ) in out.stderr
    assert (
        "OWA is undefined (MASE is undefined; Naive2's MASE is undefined; Naive2's sMAPE is 0); "
        "reported as NaN"
    ) in out.stderr
    assert "RuntimeWarning" not in out.stderr and "Traceback" not in out.stderr
    assert (
        "rnnkit forecast: warning: MASE is undefined for 1 series whose in-sample values repeat"
    ) in out.stderr.splitlines()[0]  # one line a warning, without Python's file and line
    assert "UserWarning" not in out.stderr and "forecasting.py" not in out.stderr
    assert "mase nan" in out.stdout and "owa nan" in out.stdout


def test_naive2_on_a_series_with_zeros_raises_no_numpy_warning(capsys, tmp_path):
    import warnings

    t = np.arange(96)
    frame = monthly(96)
    frame["sales"] = np.where(t < 60, np.round(10 + 5 * np.sin(2 * np.pi * t / 12), 3), 0.0)
    path = tmp_path / "zeros.csv"
    frame.to_csv(path, index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = train_naive(capsys, path, tmp_path / "r", "--model", "naive2")
    assert (code, err) == (0, "")
    assert [w for w in caught if issubclass(w.category, RuntimeWarning)] == []
    assert "naive2: test smape" in out


def test_binary_and_non_utf8_files(capsys, tmp_path):
    zeros = tmp_path / "zeros.csv"
    with open(zeros, "wb") as fh:
        fh.truncate(2 * 1024**3)
    code, _, err = train_naive(capsys, zeros, tmp_path / "r")
    assert (code, err) == (
        2,
        f"rnnkit forecast: error: {zeros} is not a CSV text file: a NUL byte at offset 0 "
        f"(binary data)",
    )
    latin = tmp_path / "latin.csv"
    text = monthly().to_csv(index=False).splitlines()
    text[31] = text[31].split(",")[0] + ",12\xb73"
    latin.write_bytes(("\n".join(text) + "\n").encode("latin-1"))
    code, _, err = train_naive(capsys, latin, tmp_path / "r")
    assert (code, err) == (
        2,
        f"rnnkit forecast: error: {latin} is not UTF-8 text: byte 0xb7 on line 32, column 14; "
        f"save the file as UTF-8",
    )


@pytest.fixture
def naive_run(capsys, tmp_path, good):
    assert train_naive(capsys, good, tmp_path / "naive")[0] == 0
    return tmp_path / "naive"


def test_predict_and_evaluate_with_infinite_values(capsys, tmp_path, naive_run):
    path = with_cell(tmp_path, 40, "inf")
    message = (
        f"{path}: column 'sales' has an infinite value 'inf' on line 40; fix it, or leave the "
        f"cell empty to mark it missing"
    )
    code, out, err = run(capsys, "forecast", "predict", naive_run, "--data", path)
    assert (code, out, err) == (2, "", f"rnnkit forecast: error: {message}")
    code, out, err = run(capsys, "evaluate", naive_run, "--data", path)
    assert (code, out, err) == (2, "", f"rnnkit evaluate: error: {message}")
    semi = tmp_path / "semi.csv"
    monthly().to_csv(semi, index=False, sep=";", decimal=",")
    code, out, _ = run(capsys, "forecast", "predict", naive_run, "--data", semi, "--decimal", ",")
    assert code == 0 and out == run(capsys, "forecast", "predict", naive_run)[1]


@pytest.fixture
def regress_run(capsys, tmp_path):
    config = tmp_path / "regress.toml"
    config.write_text(REGRESS)
    assert run(capsys, "train", config, "--out", tmp_path / "reg", "--quiet")[0] == 0
    return tmp_path / "reg"


@pytest.mark.parametrize("text", ["inf", "-inf", "1e400", "nan", "1e39"])
def test_regress_predict_refuses_values_that_are_not_finite(capsys, monkeypatch, regress_run, text):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(f"1 2 3 4 {text}\n"))
    code, out, err = run(capsys, "predict", regress_run, "--input", "-")
    assert (code, out) == (2, "")
    assert err == (
        f"rnnkit predict: error: input line 1 has a value that is not a finite float32 number: "
        f"{text!r}"
    )


def test_regress_evaluate_refuses_infinite_values(capsys, tmp_path, regress_run):
    path = tmp_path / "temps.csv"
    path.write_text("Date,Temp\n" + "".join(f"2000-01-{d:02d},{d}\n" for d in range(1, 20)))
    path.write_text(path.read_text().replace(",7\n", ",1e400\n"))
    code, out, err = run(capsys, "evaluate", regress_run, "--data", path)
    assert (code, out) == (2, "")
    assert err == (
        f"rnnkit evaluate: error: {path}: column 'Temp' has an infinite value '1e400' on line 8; "
        f"fix it, or leave the cell empty to mark it missing"
    )


@pytest.mark.parametrize(
    "setting, message",
    [
        ("train.lr=inf", "train.lr must be a finite number, received inf"),
        ("train.lr=nan", "train.lr must be a finite number, received nan"),
        ("train.weight_decay=-0.1", "train.weight_decay must be >= 0, received -0.1"),
        ("train.momentum=1.0", "train.momentum must be in [0, 1), received 1.0"),
        ("train.clip_grad_norm=inf", "train.clip_grad_norm must be a finite number, received inf"),
        ("train.min_lr=-1e-5", "train.min_lr must be >= 0, received -1e-05"),
        ("train.time_budget=-1", "train.time_budget must be >= 0, received -1.0"),
        ("model.dropout=1.0", "model.dropout must be in [0, 1), received 1.0"),
        ("data.test_size=-5", "data.test_size must be >= -1, received -5"),
        ("data.validation_size=-2", "data.validation_size must be >= -1, received -2"),
        ("data.stride=0", "data.stride must be positive, received 0"),
        ("data.input_length=-3", "data.input_length must be >= 0, received -3"),
        ("data.max_train_windows=-1", "data.max_train_windows must be >= 0, received -1"),
        ("model.quantiles=[0.1, 1.5]", "model.quantiles must be in (0, 1), received 1.5"),
    ],
)
def test_bad_forecast_settings_exit_2_before_reading_data(capsys, tmp_path, good, setting, message):
    code, out, err = run(
        capsys, "forecast", "train", "--data", good, "--horizon", 6, "--set", setting,
        "--out", tmp_path / "r", "--quiet",
    )  # fmt: skip
    assert (code, out, err) == (2, "", f"rnnkit forecast: error: {message}")
    assert not (tmp_path / "r").exists()


def test_a_negative_data_size_is_refused_not_trained_for_zero_steps(capsys, tmp_path):
    """Today: task sincos with data.segments = -5 trained 0 steps and exited 0."""
    config = tmp_path / "sincos.toml"
    config.write_text('task = "sincos"\n[train]\nbatch_size = 1\nepochs = 1\n')
    for setting, message in [
        ("data.segments=-5", "data.segments must be positive, received -5"),
        ("data.points=0", "data.points must be positive, received 0"),
    ]:
        code, _, err = run(capsys, "train", config, "--set", setting, "--out", tmp_path / "r")
        assert (code, err) == (2, f"rnnkit train: error: {message}")
