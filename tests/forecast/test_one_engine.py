"""One engine, one way in: the three doors to forecasting train the same model, and every
``rnnkit forecast train`` flag reaches the resolved config."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from rnnkit.cli.main import main
from rnnkit.config import load_config
from rnnkit.forecast import ForecastData, Forecaster, ForecastTrain


@pytest.fixture
def series_csv(tmp_path):
    t = np.arange(120)
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=120, freq="D").strftime("%Y-%m-%d"),
            "a": 20 + 5 * np.sin(2 * np.pi * t / 7) + 0.05 * t + rng.normal(0, 0.3, 120),
            "b": 50 + 9 * np.cos(2 * np.pi * t / 7) + rng.normal(0, 0.5, 120),
        }
    )
    path = tmp_path / "series.csv"
    frame.to_csv(path, index=False)
    return path


def test_cli_config_and_python_train_the_same_model(cli, series_csv, tmp_path):
    a, b, c = tmp_path / "A", tmp_path / "B", tmp_path / "C"
    out = cli(
        "forecast", "train", "--data", series_csv, "--horizon", 7, "--input-length", 14,
        "--model", "segrnn",
        "--hidden-size", 8, "--epochs", 2, "--batch-size", 16, "--log", "--seed", 5,
        "--set", "train.num_threads=1", "--out", a, "--quiet",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    toml = tmp_path / "cfg.toml"
    toml.write_text(
        f'task = "forecast"\n[data]\ntrain = "{series_csv}"\nhorizon = 7\ninput_length = 14\n'
        'log = true\n[model]\nkind = "segrnn"\nhidden_size = 8\n'
        "[train]\nepochs = 2\nbatch_size = 16\nseed = 5\nnum_threads = 1\n"
    )
    out = cli("train", toml, "--out", b, "--quiet")
    assert out.returncode == 0, out.stderr
    Forecaster(
        "segrnn",
        horizon=7,
        input_length=14,
        hidden_size=8,
        epochs=2,
        seed=5,
        data=ForecastData(log=True),
        train=ForecastTrain(batch_size=16, num_threads=1),
    ).fit(str(series_csv), out=c)
    configs = {d.name: (d / "config.toml").read_text() for d in (a, b, c)}
    assert configs["A"] == configs["B"] == configs["C"]
    assert "log = true" in configs["A"] and 'schedule = "cosine"' in configs["A"]
    predictions = {d.name: (d / "predictions.csv").read_bytes() for d in (a, b, c)}
    assert predictions["A"] == predictions["B"] == predictions["C"]
    assert len(predictions["A"].splitlines()) == 1 + 2 * 7


FLAG_CASES = [
    (["--log"], "data.log", True),
    (["--season", "7"], "data.season", 7),
    (["--input-length", "21"], "data.input_length", 21),
    (["--scaler", "robust"], "data.scaler", "robust"),
    (["--fill", "interpolate"], "data.fill", "interpolate"),
    (["--cell", "lstm"], "model.cell", "lstm"),
    (["--hidden-size", "12"], "model.hidden_size", 12),
    (["--epochs", "3"], "train.epochs", 3),
    (["--batch-size", "8"], "train.batch_size", 8),
    (["--lr", "0.005"], "train.lr", 0.005),
    (["--time-budget", "30"], "train.time_budget", 30.0),
    (["--seed", "9"], "train.seed", 9),
    (["--set", "model.dropout=0.25"], "model.dropout", 0.25),
    (["--quantiles", "0.1,0.5,0.9"], "model.quantiles", [0.1, 0.5, 0.9]),
    (["--model", "lstm"], "model.cell", "lstm"),
    (["--model", "direct"], "model.kind", "direct"),
]


@pytest.mark.parametrize("flags, key, expected", FLAG_CASES, ids=[c[1] for c in FLAG_CASES])
def test_every_forecast_train_flag_reaches_the_resolved_config(
    series_csv, tmp_path, monkeypatch, flags, key, expected
):
    # the model is forced to a baseline (no training step) unless the case is about --model
    model = [] if "--model" in flags else ["--model", "naive"]
    if flags[0] == "--model":  # networks train: keep it to a single step
        model = ["--set", "train.max_steps=1"]
    run = tmp_path / "run"
    argv = ["forecast", "train", "--data", str(series_csv), "--horizon", "7", *model, *flags]
    monkeypatch.setattr(sys, "argv", ["rnnkit"])
    assert main([*argv, "--out", str(run), "--quiet"]) == 0
    config = load_config(run / "config.toml")
    section, name = key.split(".")
    assert getattr(getattr(config, section), name) == expected


def test_the_test_flag_reaches_the_config_and_defaults_come_from_the_dataclasses(
    series_csv, tmp_path
):
    frame = pd.read_csv(series_csv)
    frame.iloc[:113].to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[113:].to_csv(tmp_path / "test.csv", index=False)
    run = tmp_path / "run"
    argv = ["forecast", "train", "--data", str(tmp_path / "train.csv"), "--horizon", "7"]
    argv += ["--test", str(tmp_path / "test.csv"), "--model", "naive", "--out", str(run), "-q"]
    assert main([a if a != "-q" else "--quiet" for a in argv]) == 0
    config = load_config(run / "config.toml")
    assert config.data.test == str(tmp_path / "test.csv") and config.data.test_size == 0
    defaults = ForecastTrain()
    assert (config.train.epochs, config.train.batch_size) == (20, 64)
    assert (defaults.epochs, defaults.batch_size, defaults.schedule) == (20, 64, "cosine")


def test_log_on_data_with_non_positive_values_is_refused(cli, tmp_path):
    path = tmp_path / "neg.csv"
    values = "\n".join(f"2024-01-{d:02d},{v}" for d, v in zip(range(1, 29), range(-3, 25)))
    path.write_text("date,y\n" + values + "\n")
    out = cli("forecast", "train", "--data", path, "--horizon", 2, "--log", "--model", "mlp",
              "--out", tmp_path / "r")  # fmt: skip
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "rnnkit forecast: error: log scaling needs positive values: series 0 has 4 values "
        "<= 0, the first at position 0"
    )
