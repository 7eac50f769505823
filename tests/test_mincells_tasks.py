"""MinGRU and MinLSTM in every task: each trains on tiny data (its training loss falls), and
the streaming paths (``Forecaster.update``, a carried LM state) give the same numbers as
re-reading the whole history."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
import torch

import rnnkit
from rnnkit.forecast import Forecaster, ForecastTrain
from rnnkit.models.charlm import CharLM
from rnnkit.tasks.lm import LMModel
from rnnkit.train.run import read_metrics

MIN_CELLS = ["mingru", "minlstm"]
QUICK = {"train__num_threads": 1, "quiet": True}


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def losses(run_dir) -> list[float]:
    rows = read_metrics(run_dir / "metrics.csv").rows
    return [float(r["train_loss"]) for r in rows if r.get("train_loss") not in (None, "")]


def falls(values: list[float]) -> bool:
    """The mean of the last quarter of the logged losses is 5% below the first one."""
    tail = values[-max(1, len(values) // 4) :]
    return len(values) >= 4 and sum(tail) / len(tail) < 0.95 * values[0]


def frame() -> pd.DataFrame:
    t = np.arange(240)
    rng = np.random.default_rng(0)
    cols = {"date": pd.date_range("2024-01-01", periods=240, freq="h").astype(str)}
    for k, name in enumerate(["a", "b"]):
        cols[name] = 10 * (k + 1) + 3 * np.sin(2 * np.pi * t / 24 + k) + 0.1 * rng.normal(size=240)
    return pd.DataFrame(cols)


@pytest.mark.parametrize("cell", MIN_CELLS)
@pytest.mark.parametrize("kind", ["segrnn", "direct", "autoregressive", "stateful"])
def test_forecast_trains(cell, kind):
    train = ForecastTrain(epochs=5, lr=0.01, batch_size=16, num_threads=1)
    fc = Forecaster(kind, horizon=6, input_length=24, hidden_size=16, cell=cell, train=train)
    fc.fit(frame())
    values = [float(r["train_loss"]) for r in fc.history if r.get("train_loss") not in (None, "")]
    assert falls(values), values


@pytest.mark.parametrize("cell", MIN_CELLS)
def test_forecaster_update_streams_like_rereading_the_history(cell):
    data = frame()
    fc = Forecaster("stateful", horizon=6, input_length=48, hidden_size=8, cell=cell, epochs=1)
    fc.fit(data.iloc[:200])
    streamed = None
    for lo in range(200, 240, 15):  # three calls with 15, 15 and 10 new points
        chunk = data.iloc[lo : lo + 15]
        streamed = fc.update({c: chunk[c].tolist() for c in ["a", "b"]})
    full = fc.predict(data=data)
    np.testing.assert_allclose(streamed["value"], full["value"], rtol=1e-5, atol=1e-5)


NAMES = {
    "Russian": ["Ivanov", "Petrov", "Sidorov", "Smirnov", "Popov", "Volkov", "Sokolov"],
    "Japanese": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Nakamura"],
}


def tagged_sentences(n: int, seed: int) -> list:
    rng = random.Random(seed)
    people, places = ["Peter", "Anna", "John", "Maria"], ["Paris", "Berlin", "Rome"]
    return [
        [(rng.choice(people), "B-PER"), ("lives", "O"), ("in", "O"), (rng.choice(places), "B-LOC")]
        for _ in range(n)
    ]


def fit_settings(task: str) -> dict:
    if task == "classify":
        pairs = [(n, lang) for lang, names in NAMES.items() for n in names]
        return dict(train=pairs * 8, validation=pairs, model__embedding_dim=8, train__epochs=4)
    if task == "tag":
        return dict(
            train=tagged_sentences(120, 0),
            validation=tagged_sentences(10, 1),
            data__scheme="bio",
            model__embedding_dim=8,
            model__char_encoder="none",
            model__casing_dim=0,
            train__epochs=3,
        )
    if task == "lm":
        return dict(train=["abcabcabc abcabc"] * 60, data__bptt=16, train__epochs=3)
    words = ["abc", "bca", "cab", "aab", "bba", "abb", "cca", "acc", "bac", "cba"]
    return dict(
        train=[(w, w[::-1]) for w in words] * 20,
        validation=[(w, w[::-1]) for w in words],
        model__embedding_dim=8,
        train__epochs=3,
    )


@pytest.mark.parametrize("cell", MIN_CELLS)
@pytest.mark.parametrize("task", ["classify", "tag", "lm", "seq2seq"])
def test_text_task_trains(tmp_path, task, cell):
    settings = fit_settings(task)
    rnnkit.fit(
        task,
        out=tmp_path / "run",
        model__cell=cell,
        model__hidden_size=16,
        train__lr=0.01,
        train__batch_size=8,
        train__log_every=2,
        **settings,
        **QUICK,
    )
    values = losses(tmp_path / "run")
    assert falls(values), values


@pytest.mark.parametrize("cell", MIN_CELLS)
def test_lm_carried_state_equals_one_long_pass(cell):
    cfg = LMModel(cell=cell, hidden_size=8, num_layers=2)
    torch.manual_seed(0)
    model = CharLM(cfg, vocab_size=7).eval()
    x = torch.randint(0, 7, (2, 12))
    whole, _, _ = model(x)
    first, _, state = model(x[:, :5])
    second, _, _ = model(x[:, 5:], state=state)
    torch.testing.assert_close(torch.cat([first, second], 1), whole, rtol=1e-5, atol=1e-6)
