"""``rnnkit.fit`` on Python objects gives the run folder and the numbers of ``rnnkit train`` on
the same data in files."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import rnnkit
from rnnkit import datasets
from rnnkit.cli.main import main
from rnnkit.config import IN_MEMORY
from rnnkit.data.textdata import read_folder
from rnnkit.errors import ConfigError, DataError

CLASSIFY = """
task = "classify"
[data]
test_fraction = 0.1
[model]
hidden_size = 8
embedding_dim = 8
[train]
max_steps = 40
batch_size = 64
num_threads = 1
"""

REGRESS = """
task = "regress"
[data]
train = "rnnkit:daily-min-temperatures"
[train]
max_steps = 40
num_threads = 1
"""


def same_run(cli_run, api_run, drop=()) -> None:
    """The two runs hold the same predictions and final metrics (times aside)."""
    a = pd.read_csv(cli_run / "predictions.csv").drop(columns=list(drop))
    b = pd.read_csv(api_run / "predictions.csv").drop(columns=list(drop))
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    ma, mb = (json.loads((r / "metrics.json").read_text()) for r in (cli_run, api_run))
    ma.pop("train_seconds"), mb.pop("train_seconds")
    assert ma == mb
    for name in ("config.toml", "metrics.csv", "report.html", "checkpoints/best.safetensors"):
        assert (api_run / name).exists(), name


def test_classify_from_pairs_equals_the_cli_on_the_folder(tmp_path):
    config = tmp_path / "names.toml"
    config.write_text(CLASSIFY)
    assert main(["train", str(config), "--out", str(tmp_path / "cli"), "-q"]) == 0
    names = read_folder(datasets.path("names"))  # file by file, line by line
    predictor = rnnkit.fit(
        "classify",
        train=list(zip(names.texts, names.labels)),
        config=config,
        out=tmp_path / "api",
        quiet=True,
    )
    same_run(tmp_path / "cli", tmp_path / "api", drop=["where"])  # file, line vs train[i]
    saved = (tmp_path / "api" / "config.toml").read_text()
    assert f'train = "{IN_MEMORY}"' in saved
    assert predictor.predict_lines(["Dostoevsky"]) == rnnkit.load(tmp_path / "cli").predict_lines(
        ["Dostoevsky"]
    )


def test_regress_from_a_series_equals_the_cli_on_the_csv(tmp_path):
    config = tmp_path / "temps.toml"
    config.write_text(REGRESS)
    assert main(["train", str(config), "--out", str(tmp_path / "cli"), "-q"]) == 0
    temps = pd.read_csv(datasets.path("daily-min-temperatures"))
    series = pd.Series(temps["Temp"].to_numpy(), index=pd.to_datetime(temps["Date"]))
    rnnkit.fit("regress", train=series, config=config, out=tmp_path / "api", quiet=True)
    same_run(tmp_path / "cli", tmp_path / "api")


def test_settings_are_section__key_and_checked(tmp_path):
    with pytest.raises(ConfigError, match=r"^unknown key model.hiden_size \(did you mean"):
        rnnkit.fit("regress", out=tmp_path / "r", model__hiden_size=3)
    with pytest.raises(
        ConfigError,
        match=r"^fit\(\) settings are SECTION__KEY=value with SECTION one of data, model, "
        r"train \(e.g. model__hidden_size=64\), received hidden_size=3$",
    ):
        rnnkit.fit("regress", out=tmp_path / "r", hidden_size=3)
    with pytest.raises(
        ConfigError,
        match=r"^task 'regress' takes no validation data as Python objects \(it takes train\)$",
    ):
        rnnkit.fit("regress", train=[1.0] * 500, validation=[1.0] * 50, out=tmp_path / "r")
    with pytest.raises(ConfigError, match=r"^config is for task 'lm', but fit was given task"):
        rnnkit.fit("regress", config={"task": "lm"}, out=tmp_path / "r")


def test_bad_objects_name_the_split_and_item(tmp_path):
    with pytest.raises(DataError, match=r"^train\[1\] must be a \(text, label\) pair, received"):
        rnnkit.fit("classify", train=[("Ivanov", "Russian"), "Tanaka"], out=tmp_path / "c")
    with pytest.raises(DataError, match=r"^train\[0\] must be a non-empty list of \(token, tag\)"):
        rnnkit.fit("tag", train=[[("Anna", "B-PER", "x")]], out=tmp_path / "t")
    with pytest.raises(DataError, match=r"^train must be a list of lines \(a str is a file path"):
        rnnkit.fit("lm", train=b"abc", out=tmp_path / "l")


def test_a_reloaded_in_memory_run_asks_for_its_data_again(tmp_path):
    rnnkit.fit("regress", train=[float(i % 7) for i in range(800)], out=tmp_path / "r",
               data__test_size=100, train__max_steps=5, quiet=True)  # fmt: skip
    predictor = rnnkit.load(tmp_path / "r")
    assert predictor.config.data.train == IN_MEMORY
    with pytest.raises(DataError, match=r"^data.train of this run was data in memory"):
        predictor.evaluate()
    assert len(predictor.predict([float(i % 7) for i in range(10)], horizon=2)) == 2
