"""model.kind = "auto": candidates compared on validation, an ensemble of the winners, and a
baseline when it scores better; seasonal periods read off series without timestamps."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from rnnkit.data.seasonality import detect_season
from rnnkit.forecast import ForecastData, Forecaster, ForecastTrain


def test_detect_season_finds_common_periods_and_none_in_noise():
    rng = np.random.default_rng(0)
    t = np.arange(600)
    for m in (4, 7, 12, 24):
        series = [
            10 + np.sin(2 * np.pi * t / m + k) + 0.02 * t + rng.normal(0, 0.1, 600)
            for k in range(5)
        ]
        assert detect_season(series) == m
    assert detect_season([rng.normal(size=600).cumsum() for _ in range(5)]) == 1
    assert detect_season([np.ones(100)]) == 1


@pytest.fixture
def monthly():
    t = np.arange(132)
    values = (120 + 1.5 * t) * (1 + 0.15 * np.sin(2 * np.pi * t / 12))
    values += np.random.default_rng(1).normal(0, 2, len(t))
    return pd.Series(values, index=pd.date_range("2010-01-01", periods=132, freq="MS"), name="y")


def test_auto_compares_candidates_and_ensembles_the_best(monthly, tmp_path, capsys):
    fc = Forecaster(horizon=12, train=ForecastTrain(time_budget=60, max_steps=200))
    fc.fit(monthly, out=tmp_path / "run", quiet=False)
    out = capsys.readouterr().out
    names = ["log-standard", "log-robust", "log-none", "raw-standard", "raw-robust"]
    assert all(f"  {n} " in out for n in names), out
    assert "chosen: " in out and "seasonal_naive" in out and "naive2" in out
    run = tmp_path / "run"
    assert fc.config.model.kind == "ensemble" and fc.auto.chosen.startswith("ensemble of ")
    assert (run / "members" / "0" / "checkpoints").is_dir()
    assert sorted(p.name for p in (run / "candidates").iterdir()) == sorted(
        names + ["naive2", "seasonal_naive"]
    )
    assert set(fc.metrics) >= {"smape", "mase", "coverage_80", "coverage_95", "msis"}
    again = Forecaster.load(run)
    pd.testing.assert_frame_equal(again.predict(), fc.predict(), check_exact=True)
    settings = [c["name"] for c in fc.auto.candidates]
    assert settings == names


def test_a_baseline_that_wins_on_validation_is_the_result_and_says_so(tmp_path, capsys):
    t = np.arange(120)  # an exact season: seasonal naive is perfect on validation
    series = pd.Series(
        10 + np.tile([1.0, 5, 2, 8, 3, 6, 4], 18)[:120] + 0 * t,
        index=pd.date_range("2020-01-01", periods=120, freq="D"),
        name="y",
    )
    fc = Forecaster(
        horizon=7,
        data=ForecastData(log=False, scaler="standard"),
        train=ForecastTrain(time_budget=10, max_steps=3),
    )
    fc.fit(series, out=tmp_path / "run", quiet=False)
    assert fc.config.model.kind == "seasonal_naive"
    out = capsys.readouterr().out.splitlines()
    # the ensemble's size is what fits in the budget's rest (5 alone, fewer on a busy machine)
    assert re.fullmatch(
        r"warning: the network \(ensemble of [1-5] runs \(raw-standard, refitted on the whole "
        r"history\)\) did not beat "
        r"seasonal_naive on the validation window: the result is seasonal_naive",
        out[-1],
    ), out[-1]
    assert [c["name"] for c in fc.auto.candidates] == ["raw-standard"]  # what the user fixed
    assert fc.metrics["smape"] == 0.0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["step"] == 0
