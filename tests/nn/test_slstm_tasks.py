"""``model.cell = "slstm"`` trains in every task, and its 4-part state streams and carries.

Each run is tiny (seconds); "trains" means the training loss of the last logged rows is well
below that of the first ones, read from the run's ``metrics.csv``.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
import torch

import rnnkit
from rnnkit.config import config_from_dict
from rnnkit.errors import ConfigError
from rnnkit.forecast import Forecaster

QUICK = {"train__num_threads": 1, "quiet": True, "model__cell": "slstm"}


def train_losses(run) -> np.ndarray:
    frame = pd.read_csv(run / "metrics.csv")
    return frame["train_loss"].dropna().to_numpy()


def assert_loss_falls(run, factor: float) -> None:
    losses = train_losses(run)
    first, last = losses[:2].mean(), losses[-2:].mean()
    assert last < factor * first, f"train loss {first:.4f} -> {last:.4f}"


def test_config_picks_the_scratch_backend_and_refuses_native():
    cfg = config_from_dict({"task": "recall", "model": {"cell": "slstm"}})
    assert (cfg.model.cell, cfg.model.backend) == ("slstm", "scratch")
    with pytest.raises(ConfigError) as err:
        config_from_dict({"task": "recall", "model": {"cell": "slstm", "backend": "native"}})
    assert str(err.value) == (
        "model.backend must be 'scratch' for cell 'slstm' (torch.nn has no sLSTM), "
        "received 'native'"
    )


def test_classify(tmp_path):
    names = {
        "Russian": ["Ivanov", "Petrov", "Sidorov", "Smirnov", "Popov", "Volkov"],
        "Japanese": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Nakamura"],
    }
    pairs = [(n, label) for label, group in names.items() for n in group]
    predictor = rnnkit.fit(
        "classify", train=pairs * 8, validation=pairs, out=tmp_path / "c",
        model__hidden_size=16, model__embedding_dim=8, train__epochs=6, train__lr=0.01, **QUICK,
    )  # fmt: skip
    assert_loss_falls(tmp_path / "c", 0.7)
    assert type(predictor.model.rnn).__name__ == "SLSTM"


def test_tag(tmp_path):
    rng = random.Random(0)
    people, places = ["Peter", "Anna", "John", "Maria"], ["Paris", "Berlin", "Rome"]

    def sentence():
        return [(rng.choice(people), "B-PER"), ("lives", "O"), ("in", "O"),
                (rng.choice(places), "B-LOC"), (".", "O")]  # fmt: skip

    rnnkit.fit(
        "tag", train=[sentence() for _ in range(120)], validation=[sentence() for _ in range(10)],
        out=tmp_path / "t", data__scheme="bio", model__hidden_size=16, model__embedding_dim=16,
        model__char_encoder="none", model__casing_dim=0, train__epochs=3, train__lr=0.01, **QUICK,
    )  # fmt: skip
    assert_loss_falls(tmp_path / "t", 0.7)


def test_lm_carries_the_state_and_generates(tmp_path):
    predictor = rnnkit.fit(
        "lm", train=["abcabcabc abcabc"] * 100, out=tmp_path / "lm", data__bptt=16,
        model__hidden_size=16, train__epochs=3, train__batch_size=4, train__lr=0.01, **QUICK,
    )  # fmt: skip
    assert_loss_falls(tmp_path / "lm", 0.5)  # LSTM: 1.81 -> 0.37; sLSTM 1.81 -> 0.63
    carry = predictor.loaded.carry  # the training state carried across windows: 4 parts
    assert isinstance(carry, tuple) and len(carry) == 4
    assert all(not part.requires_grad for part in carry)
    assert len(predictor.generate(n=1, length=12, seed=0)[0]) > 0


def test_seq2seq_greedy_and_beam(tmp_path):
    words = ["abc", "bca", "cab", "aab", "bba", "abb", "cca", "acc", "bac", "cba"]
    predictor = rnnkit.fit(
        "seq2seq", train=[(w, w[::-1]) for w in words] * 30,
        validation=[(w, w[::-1]) for w in words], out=tmp_path / "s", model__hidden_size=32,
        model__embedding_dim=16, train__epochs=6, train__lr=0.01, **QUICK,
    )  # fmt: skip
    assert_loss_falls(tmp_path / "s", 0.6)
    greedy = predictor.translate(words[:3], beam=1)
    beam = predictor.translate(words[:3], beam=3)  # reorders the 4-part state by beam
    assert len(greedy) == len(beam) == 3 and all(isinstance(t, str) for t in greedy + beam)


@pytest.fixture(scope="module")
def hourly():
    t = np.arange(240)
    frame = {"date": pd.date_range("2024-01-01", periods=240, freq="h").astype(str)}
    rng = np.random.default_rng(0)
    for k, name in enumerate(["a", "b"]):
        frame[name] = 10 * (k + 1) + 3 * np.sin(2 * np.pi * t / 24 + k) + 0.1 * rng.normal(size=240)
    return pd.DataFrame(frame)


def test_forecast_trains(hourly, tmp_path):
    fc = Forecaster("segrnn", horizon=6, cell="slstm", hidden_size=16, epochs=10)
    fc.fit(hourly, out=tmp_path / "f")
    assert_loss_falls(tmp_path / "f", 0.85)  # LSTM: 0.77 -> 0.70; sLSTM 0.76 -> 0.61
    assert fc.config.model.cell == "slstm" and np.isfinite(fc.metrics["smape"])


def test_forecast_stateful_update_equals_rereading_the_history(hourly):
    fc = Forecaster("stateful", horizon=6, input_length=48, cell="slstm", hidden_size=8, epochs=1)
    fc.fit(hourly.iloc[:200])
    torch.manual_seed(0)
    streamed = None
    for lo in range(200, 240, 15):  # three calls with 15, 15 and 10 new points
        chunk = hourly.iloc[lo : lo + 15]
        streamed = fc.update({c: chunk[c].tolist() for c in ["a", "b"]})
    full = fc.predict(data=hourly)
    np.testing.assert_allclose(streamed["value"], full["value"], rtol=1e-5, atol=1e-5)
