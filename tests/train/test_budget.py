"""The training budget: epochs, max_steps alone, a time budget, early stopping with the best
weights restored, and a model with nothing to train."""

from __future__ import annotations

import itertools
import re
import time

import pytest
import torch
from torch import nn

from rnnkit.config import TrainConfig
from rnnkit.tasks.recall import RecallTask
from rnnkit.train import fit, read_metrics
from rnnkit.train.budget import duration, steps_within


def without_epochs(raw: dict) -> dict:
    raw["train"].pop("epochs")
    return raw


def test_max_steps_alone_bounds_training(tmp_path, make, tiny, capsys):
    # 64 examples in batches of 16: 4 steps per epoch; the default 10 epochs would stop at 40
    config, task = make(without_epochs(tiny(max_steps=60)))
    assert (config.train.epochs, config.train.max_steps) == (0, 60)
    result = fit(task, config, tmp_path / "run")
    assert result.state.step == 60 and result.stopped_by == "max_steps"
    first = capsys.readouterr().out.splitlines()[0]
    assert first == (
        "training 60 steps at most (train.max_steps = 60, train.epochs not set; 4 steps per epoch)"
    )


def test_neither_budget_set_means_the_default_epochs(tmp_path, make, tiny, capsys):
    config, task = make(without_epochs(tiny()))
    assert config.train.epochs == TrainConfig.default_epochs == 10
    result = fit(task, config, tmp_path / "run")
    assert (result.state.step, result.state.epoch, result.stopped_by) == (40, 10, "epochs")
    assert capsys.readouterr().out.splitlines()[0] == (
        "training 40 steps at most (train.epochs = 10 x 4 steps per epoch)"
    )
    config, _ = make(tiny(epochs=2, max_steps=5))  # both set: whichever ends first
    assert (config.train.epochs, config.train.max_steps) == (2, 5)


def test_time_budget_stops_the_loop_and_says_so(tmp_path, make, tiny, monkeypatch, capsys):
    slow = RecallTask.training_step

    def step(self, model, batch, state):
        time.sleep(0.05)
        return slow(self, model, batch, state)

    monkeypatch.setattr(RecallTask, "training_step", step)
    config, task = make(tiny(epochs=100, time_budget=0.4, early_stopping=3))
    result = fit(task, config, tmp_path / "run")
    assert result.stopped_by == "time_budget" and result.stopped_early
    assert 4 <= result.state.step < 20
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "training 400 steps at most (train.epochs = 100 x 4 steps per epoch, or "
        "train.time_budget = 0.4 s, or 3 evaluations without a better val_loss)"
    )
    assert f"stopped by train.time_budget = 0.4 s at step {result.state.step}" in out
    assert result.metrics["stopped_by"] == "time_budget"


def test_early_stopping_restores_the_best_weights(tmp_path, make, tiny, monkeypatch):
    # validation loss falls to a minimum at the third evaluation, then rises
    curve = iter([0.9, 0.7, 0.5, 0.6, 0.8, 0.95, 0.99])
    snapshots = []

    def evaluate(self, model, split="validation", state=None):
        if split != "validation":
            return {}
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})
        return {"loss": next(curve, 1.0)}

    monkeypatch.setattr(RecallTask, "evaluate", evaluate)
    monkeypatch.setattr(RecallTask, "has_split", lambda self, split: split == "validation")
    config, task = make(tiny(epochs=20, early_stopping=2))
    result = fit(task, config, tmp_path / "run", quiet=True)
    assert result.stopped_by == "early_stopping" and result.state.epoch == 5
    assert result.state.best_step == 12  # the third evaluation, after epoch 3
    best = snapshots[2]
    for name, value in result.model.state_dict().items():
        assert torch.equal(value, best[name]), name
    assert not torch.equal(snapshots[4]["rnn.weight_hh_l0"], best["rnn.weight_hh_l0"])


class NothingToTrain(RecallTask):
    """A task whose model has no parameters (as a forecasting baseline)."""

    def build_model(self):
        return nn.Identity()

    def steps_per_epoch(self, world=1):
        return 0

    def train_batches(self, epoch, rank=0, world=1):
        raise AssertionError("no batch is read when there is nothing to train")

    def evaluate(self, model, split="validation", state=None):
        return {"loss": 0.25}


def test_a_model_without_parameters_takes_no_step_and_is_evaluated(tmp_path, make, tiny, capsys):
    config, _ = make(tiny())
    result = fit(NothingToTrain(config), config, tmp_path / "run")
    assert result.state.step == 0 and result.stopped_by == "no_parameters"
    assert result.metrics["val_loss"] == 0.25
    assert (tmp_path / "run" / "checkpoints" / "best.safetensors").exists()
    assert capsys.readouterr().out.splitlines()[0] == (
        "no training steps: the model has no trainable parameters"
    )
    assert list(itertools.islice(iter(result.model.parameters()), 1)) == []


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"time_budget": -1.0}, "train.time_budget must be >= 0, received -1.0"),
        ({"epochs": 0, "max_steps": 0}, "set train.epochs or train.max_steps: both are 0"),
    ],
)
def test_budget_values_are_checked(make, tiny, bad, message):
    from rnnkit.errors import ConfigError

    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        make(tiny(**bad))


class NoBatches(RecallTask):
    """A trainable model over data that gives no batch at all."""

    def steps_per_epoch(self, world=1):
        return 0


def test_a_run_that_would_train_zero_steps_is_an_error(tmp_path, make, tiny):
    from rnnkit.errors import DataError

    config, _ = make(tiny())
    with pytest.raises(
        DataError,
        match=r"^task 'recall' has 0 training steps per epoch: the training data gives no "
        r"batch, so nothing would train$",
    ):
        fit(NoBatches(config), config, tmp_path / "run")


def test_without_a_validation_part_the_final_model_is_the_last(tmp_path, make, tiny, monkeypatch):
    snapshots = []

    def evaluate(self, model, split="validation", state=None):
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})
        return {"loss": float("nan")}

    monkeypatch.setattr(RecallTask, "evaluate", evaluate)
    monkeypatch.setattr(RecallTask, "has_split", lambda self, split: False)
    config, task = make(tiny(epochs=3))
    result = fit(task, config, tmp_path / "run", quiet=True)
    assert result.state.best_step == 12  # the last evaluation, not the first NaN
    for name, value in result.model.state_dict().items():
        assert torch.equal(value, snapshots[2][name]), name


def test_the_time_estimate_is_measured_on_the_first_steps(tmp_path, make, tiny, capsys):
    config, task = make(tiny(epochs=3))  # 12 steps
    fit(task, config, tmp_path / "run")
    lines = capsys.readouterr().out.splitlines()
    estimate = [line for line in lines if line.startswith("estimated time: ")]
    assert len(estimate) == 1
    assert re.fullmatch(
        r"estimated time: [0-9.e-]+ s a step \(steps 2-6\), 6 steps to go: \d+ s without "
        r"evaluations",
        estimate[0],
    ), estimate[0]


def test_a_cosine_schedule_ends_where_the_time_budget_does(
    tmp_path, make, tiny, monkeypatch, capsys
):
    slow = RecallTask.training_step

    def step(self, model, batch, state):
        time.sleep(0.02)
        return slow(self, model, batch, state)

    monkeypatch.setattr(RecallTask, "training_step", step)
    raw = tiny(epochs=100, time_budget=1.0, schedule="cosine", min_lr=0.0001)
    config, task = make(raw)
    result = fit(task, config, tmp_path / "run")
    assert result.stopped_by == "time_budget" and 7 <= result.state.step < 60  # of 400
    estimate = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("estimated"))
    assert re.search(
        r"; train.time_budget = 1 s ends it near step \d+, where the cosine schedule now ends$",
        estimate,
    )
    steps, lrs = read_metrics(tmp_path / "run" / "metrics.csv").series("lr")
    assert lrs[-1] < 0.2 * 0.01  # decayed to near its floor, not 0.01 * cos(pi * 50 / 400)
    assert all(b <= a + 1e-12 for a, b in zip(lrs[1:], lrs[2:]))  # never rises


def test_steps_within_a_time_budget():
    assert steps_within(10.0, 0.5, step=4, total=100) == 24
    assert steps_within(100.0, 0.5, step=4, total=100) == 100  # the budget is not binding
    assert steps_within(-1.0, 0.5, step=4, total=100) == 5  # spent: the next step ends it
    assert duration(42) == "42 s" and duration(750) == "12.5 min" and duration(9000) == "2.5 h"
