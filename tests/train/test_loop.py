"""The training loop: learning, optimizers, schedules, clipping, NaN stop, resume."""

from __future__ import annotations

import csv

import pytest
import torch

from rnnkit.errors import NonFiniteLossError
from rnnkit.tasks.recall import RecallTask
from rnnkit.train import fit
from rnnkit.train.checkpoint import load_checkpoint, load_weights


def rows(run_dir):
    with open(run_dir / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_overfits_a_tiny_batch(tmp_path, make, tiny):
    raw = tiny(epochs=0, max_steps=150, clip_grad_norm=0.0)
    raw["data"]["examples"] = 16
    config, task = make(raw)
    result = fit(task, config, tmp_path / "run", quiet=True)
    assert result.metrics["val_loss"] < 0.05  # validation: other sequences, same rule
    assert float(rows(tmp_path / "run")[-2]["train_loss"]) < 1e-3


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
@pytest.mark.parametrize("schedule", ["constant", "cosine", "plateau"])
def test_every_optimizer_and_schedule_runs(tmp_path, make, tiny, optimizer, schedule):
    config, task = make(
        tiny(optimizer=optimizer, schedule=schedule, warmup_steps=2, weight_decay=0.01, epochs=2)
    )
    result = fit(task, config, tmp_path / "run", quiet=True)
    assert (result.state.step, result.state.epoch, result.state.epoch_step) == (8, 2, 0)
    lrs = [float(r["lr"]) for r in rows(tmp_path / "run") if r["lr"]]
    if schedule == "cosine":
        assert lrs[0] == pytest.approx(0.01)  # the second warm-up step reaches the peak
        assert lrs[-1] == pytest.approx(0.0, abs=1e-9)
    if schedule == "constant":
        assert lrs[1:] == [pytest.approx(0.01)] * (len(lrs) - 1)


def test_cosine_schedule_shape():
    from rnnkit.train.optim import cosine_with_warmup

    assert cosine_with_warmup(0, 4, 100, 0.0) == 0.25
    assert cosine_with_warmup(4, 4, 100, 0.0) == 1.0
    assert cosine_with_warmup(52, 4, 100, 0.0) == pytest.approx(0.5)
    assert cosine_with_warmup(100, 4, 100, 0.1) == pytest.approx(0.1)


def test_plateau_halves_the_lr(tmp_path, make, tiny, monkeypatch):
    config, task = make(tiny(schedule="plateau", plateau_patience=1, epochs=4))
    monkeypatch.setattr(
        RecallTask,
        "evaluate",
        lambda self, m, split="validation", state=None: {"loss": 1.0, "accuracy": 0.5},
    )
    fit(task, config, tmp_path / "run", quiet=True)
    lrs = [float(r["lr"]) for r in rows(tmp_path / "run") if r["lr"]]
    assert lrs[0] == pytest.approx(0.01)
    # no improvement at evals 2 and 3 (epoch ends 2, 3): halved twice before epoch 4's steps
    assert lrs[-1] == pytest.approx(0.01 * 0.5**2)


def test_clipping_bounds_the_gradient_norm(tmp_path, make, tiny, monkeypatch):
    config, task = make(tiny(clip_grad_norm=0.01, optimizer="sgd", lr=0.1))
    seen = []
    original = torch.optim.SGD.step

    def step(self, closure=None):
        grads = [p.grad for g in self.param_groups for p in g["params"] if p.grad is not None]
        seen.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))
        return original(self, closure)

    monkeypatch.setattr(torch.optim.SGD, "step", step)
    fit(task, config, tmp_path / "run", quiet=True)
    logged = [float(r["grad_norm"]) for r in rows(tmp_path / "run") if r["grad_norm"]]
    assert max(logged) > 0.01  # the norm before clipping is logged...
    assert max(seen) <= 0.01 * (1 + 1e-4)  # ...and the optimizer sees the clipped gradient


def test_nan_loss_stops_and_keeps_the_checkpoint(tmp_path, make, tiny, monkeypatch):
    config, task = make(tiny(eval_every=3, epochs=2))
    calls = {"n": 0}
    original = RecallTask.training_step

    def poisoned(self, model, batch, state):
        calls["n"] += 1
        loss, state = original(self, model, batch, state)
        return (loss * float("nan") if calls["n"] == 5 else loss), state

    monkeypatch.setattr(RecallTask, "training_step", poisoned)
    run = tmp_path / "run"
    with pytest.raises(NonFiniteLossError) as err:
        fit(task, config, run, quiet=True)
    assert str(err.value) == (
        f"training loss is nan at step 5 (epoch 2); the run stopped and the last good "
        f"checkpoint is {run / 'checkpoints' / 'last.safetensors'} (step 3). Lower train.lr or "
        f"set train.clip_grad_norm."
    )
    _, meta = load_checkpoint(run / "checkpoints" / "last.safetensors")
    assert meta["step"] == 3
    assert rows(run)[-1]["train_loss"] == "nan"  # the curve up to the failure is kept


def test_checkpoint_round_trip_gives_identical_predictions(tmp_path, make, tiny):
    config, task = make(tiny())
    result = fit(task, config, tmp_path / "run", quiet=True)
    x = task.splits["validation"][0]
    fresh = task.build_model().eval()
    load_weights(fresh, tmp_path / "run" / "checkpoints" / "last.safetensors")
    result.model.load_state_dict(fresh.state_dict())
    with torch.no_grad():
        assert torch.equal(fresh(x)[0], result.model.eval()(x)[0])
    text = (tmp_path / "run" / "checkpoints" / "last.safetensors").read_bytes()[:200]
    assert b"pickle" not in text and b"torch._utils" not in text


def test_kill_and_resume_reproduces_the_uninterrupted_run(tmp_path, make, tiny, monkeypatch):
    train = dict(eval_every=5, epochs=3, log_every=2, schedule="cosine", warmup_steps=3)
    config, task = make(tiny(**train))
    config.model.dropout = 0.0
    fit(task, config, tmp_path / "full", quiet=True)

    calls = {"n": 0}
    original = RecallTask.training_step

    def dies_at_step_8(self, model, batch, state):
        calls["n"] += 1
        if calls["n"] == 8:
            raise KeyboardInterrupt  # killed between the checkpoints of steps 5 and 10
        return original(self, model, batch, state)

    monkeypatch.setattr(RecallTask, "training_step", dies_at_step_8)
    config2, task2 = make(tiny(**train))
    with pytest.raises(KeyboardInterrupt):
        fit(task2, config2, tmp_path / "killed", quiet=True)
    monkeypatch.setattr(RecallTask, "training_step", original)
    config3, task3 = make(tiny(**train))
    fit(task3, config3, tmp_path / "killed", resume=True, quiet=True)

    cols = ["step", "epoch", "train_loss", "grad_norm", "lr", "val_loss", "val_accuracy"]
    full = [[r[c] for c in cols] for r in rows(tmp_path / "full")]
    resumed = [[r[c] for c in cols] for r in rows(tmp_path / "killed")]
    assert resumed == full


def test_existing_run_folder_is_not_overwritten(tmp_path, make, tiny):
    config, task = make(tiny(epochs=1))
    fit(task, config, tmp_path / "run", quiet=True)
    from rnnkit.errors import RunError

    with pytest.raises(RunError, match="already holds a run; continue it with --resume"):
        fit(make(tiny(epochs=1))[1], config, tmp_path / "run", quiet=True)


def test_early_stopping(tmp_path, make, tiny, monkeypatch):
    config, task = make(tiny(epochs=20, early_stopping=2))
    monkeypatch.setattr(
        RecallTask,
        "evaluate",
        lambda self, m, split="validation", state=None: {"loss": 1.0, "accuracy": 0.5},
    )
    result = fit(task, config, tmp_path / "run", quiet=True)
    assert result.stopped_early
    assert result.state.epoch == 3  # best at epoch 1, no improvement at 2 and 3
