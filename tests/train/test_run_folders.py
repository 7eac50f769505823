"""Run folders are never lost nor mixed: the writer's lock, --overwrite that swaps a new run in
only when it succeeded, `last` always finite, and metrics flushed before the checkpoint that
counts them (so that a resume keeps exactly the rows the checkpoint saw)."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import pytest
import torch

from rnnkit.errors import CheckpointError, ConfigError, DataError, NonFiniteLossError, RunError
from rnnkit.tasks.recall import RecallTask
from rnnkit.train import fit
from rnnkit.train.checkpoint import load_checkpoint
from rnnkit.train.folder import run_lock
from rnnkit.train.loop import Trainer


def rows(run_dir: Path) -> list[dict]:
    with open(run_dir / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def without_time(table: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "elapsed_s"} for r in table]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder (but its lock) and its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".lock")
    }


def train(make, raw: dict, run: Path, **kwargs):
    """Build the config and task of ``raw`` and train them into ``run`` (quietly)."""
    config, task = make(raw)
    return fit(task, config, run, quiet=True, **kwargs)


def fail_at_call(monkeypatch, n: int, error: BaseException) -> None:
    """Make RecallTask.training_step raise ``error`` at its ``n``-th call."""
    calls, original = {"n": 0}, RecallTask.training_step

    def step(self, model, batch, state):
        calls["n"] += 1
        if calls["n"] == n:
            raise error
        return original(self, model, batch, state)

    monkeypatch.setattr(RecallTask, "training_step", step)


# ---- the lock ---------------------------------------------------------------------------------
def test_a_second_writer_is_refused_with_the_folder_and_pid(tmp_path, make, tiny):
    run = tmp_path / "run"
    with run_lock(run):
        with pytest.raises(RunError) as err:
            train(make, tiny(epochs=1), run)
        assert str(err.value) == (
            f"{run} is being written by process {os.getpid()}; try again when it has finished"
        )
        assert sorted(p.name for p in run.iterdir()) == [".lock", ".lock.pid"]
    config, task = make(tiny(epochs=1))
    fit(task, config, run, quiet=True)  # free again once the holder is done
    assert not (run / ".lock.pid").exists()  # the PID goes with the holder


def test_resume_is_refused_while_another_writer_holds_the_run(tmp_path, make, tiny):
    config, task = make(tiny(epochs=1))
    fit(task, config, tmp_path / "run", quiet=True)
    with run_lock(tmp_path / "run"), pytest.raises(RunError, match="is being written by"):
        train(make, tiny(epochs=1), tmp_path / "run", resume=True)


# ---- refusing, replacing --------------------------------------------------------------------
def test_an_existing_run_is_refused_without_overwrite(tmp_path, make, tiny):
    config, task = make(tiny(epochs=1))
    fit(task, config, tmp_path / "run", quiet=True)
    before = snapshot(tmp_path / "run")
    with pytest.raises(RunError) as err:
        train(make, tiny(epochs=1), tmp_path / "run")
    run = tmp_path / "run"
    assert str(err.value) == (
        f"{run} already holds a run; continue it with --resume {run}, replace it with "
        f"--overwrite (overwrite=True in Python), or choose another --out"
    )
    assert snapshot(run) == before


def test_a_failed_overwrite_leaves_the_old_run_intact(tmp_path, make, tiny, monkeypatch):
    config, task = make(tiny(epochs=1))
    fit(task, config, tmp_path / "run", quiet=True)
    before = snapshot(tmp_path / "run")
    fail_at_call(monkeypatch, 3, RuntimeError("power cut"))
    with pytest.raises(RuntimeError, match="power cut"):
        train(make, tiny(epochs=2), tmp_path / "run", overwrite=True)
    assert snapshot(tmp_path / "run") == before  # not one byte changed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary folder left


def test_a_diverged_overwrite_says_the_old_run_stays(tmp_path, make, tiny, monkeypatch):
    config, task = make(tiny(epochs=1))
    fit(task, config, tmp_path / "run", quiet=True)
    before = snapshot(tmp_path / "run")
    calls, original = {"n": 0}, RecallTask.training_step

    def poisoned(self, model, batch, state):
        calls["n"] += 1
        loss, state = original(self, model, batch, state)
        return (loss * math.nan if calls["n"] == 5 else loss), state

    monkeypatch.setattr(RecallTask, "training_step", poisoned)
    with pytest.raises(NonFiniteLossError) as err:
        train(make, tiny(epochs=2), tmp_path / "run", overwrite=True)
    assert str(err.value) == (
        f"training loss is nan at step 5 (epoch 2); the run stopped and {tmp_path / 'run'} "
        f"still holds the previous run (only a run that succeeds replaces it). Lower train.lr "
        f"or set train.clip_grad_norm."
    )
    assert snapshot(tmp_path / "run") == before


def test_a_successful_overwrite_replaces_the_whole_folder(tmp_path, make, tiny):
    config, task = make(tiny(epochs=1))
    fit(task, config, tmp_path / "run", quiet=True)
    (tmp_path / "run" / "vocab.json").write_text("{}")  # e.g. a classify run's artifact
    config, task = make(tiny(epochs=2))
    result = fit(task, config, tmp_path / "run", quiet=True, overwrite=True)
    assert result.run_dir == tmp_path / "run"
    assert not (tmp_path / "run" / "vocab.json").exists()  # nothing of the old run is mixed in
    assert rows(tmp_path / "run")[-1]["step"] == "8"  # the new run's metrics (2 epochs of 4)
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "last.safetensors")[1]["step"] == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_folder_with_other_files_is_never_used(tmp_path, make, tiny):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    for overwrite in (False, True):
        with pytest.raises(RunError) as err:
            train(make, tiny(epochs=1), mine, overwrite=overwrite)
        assert str(err.value) == (
            f"{mine} holds files but no run (notes.txt); choose an empty or new folder"
        )
    assert sorted(p.name for p in mine.iterdir()) == [".lock", "notes.txt"]


def test_a_run_that_fails_before_writing_leaves_no_folder(tmp_path, make, tiny, monkeypatch):
    def setup(self):
        raise DataError("data.train: no such file")  # before anything is written

    monkeypatch.setattr(RecallTask, "setup", setup)
    with pytest.raises(DataError, match="no such file"):
        train(make, tiny(epochs=1), tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("existed", [False, True], ids=["new folder", "empty folder"])
def test_a_run_refused_while_its_model_is_built_leaves_nothing(
    tmp_path, make, tiny, monkeypatch, existed
):
    run, seen = tmp_path / "run", []

    def build_model(self):  # setup has written config.toml and the artifacts by now
        seen.extend(sorted(p.name for p in run.iterdir()))
        raise ConfigError("model.vectors: no such file")

    if existed:
        run.mkdir()
    monkeypatch.setattr(RecallTask, "build_model", build_model)
    with pytest.raises(ConfigError, match="no such file"):
        train(make, tiny(epochs=1), run)
    assert "config.toml" in seen
    assert sorted(p.name for p in tmp_path.iterdir()) == (["run"] if existed else [])
    if existed:
        assert {p.name for p in run.iterdir()} <= {".lock"}
    monkeypatch.undo()
    train(make, tiny(epochs=1), run)  # the fixed input trains into the same folder
    assert (run / "checkpoints" / "last.safetensors").exists()


@pytest.mark.parametrize(
    ("error", "kept"),
    [
        (KeyboardInterrupt(), False),
        (DataError("data.test: bad row"), False),
        (OSError("disk"), True),
    ],
)
def test_a_run_stopped_before_its_first_checkpoint(tmp_path, make, tiny, monkeypatch, error, kept):
    """Interrupted, or stopped by the input: nothing to resume, nothing kept. A bug keeps the
    folder (its error.log goes there)."""
    fail_at_call(monkeypatch, 2, error)
    with pytest.raises(type(error)):
        train(make, tiny(epochs=1), tmp_path / "run")
    assert (tmp_path / "run" / "config.toml").exists() is kept


def test_a_run_stopped_after_a_checkpoint_keeps_everything(tmp_path, make, tiny, monkeypatch):
    fail_at_call(monkeypatch, 7, DataError("data.test: bad row"))  # after the step-4 checkpoint
    with pytest.raises(DataError):
        train(make, tiny(epochs=2, eval_every=4), tmp_path / "run")
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "last.safetensors")[1]["step"] == 4


def test_the_abandoned_folder_of_a_killed_overwrite_is_removed(tmp_path, make, tiny):
    config, task = make(tiny(epochs=1))
    fit(task, config, tmp_path / "run", quiet=True)
    abandoned = tmp_path / ".run.new-999999" / "run"  # what a SIGKILL leaves
    abandoned.mkdir(parents=True)
    (abandoned / "config.toml").write_text("")
    train(make, tiny(epochs=1), tmp_path / "run", overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


# ---- last is always a good state -----------------------------------------------------------
def test_divergence_leaves_a_finite_last_checkpoint(tmp_path, make, tiny):
    config, task = make(tiny(optimizer="sgd", lr=1e6, clip_grad_norm=0.0, eval_every=1))
    run = tmp_path / "run"
    with pytest.raises(NonFiniteLossError) as err:
        fit(task, config, run, quiet=True)
    tensors, meta = load_checkpoint(run / "checkpoints" / "last.safetensors")
    assert all(bool(torch.isfinite(t).all()) for k, t in tensors.items() if k.startswith("model."))
    assert math.isfinite(meta["value"])
    assert f"the last good checkpoint is {run / 'checkpoints' / 'last.safetensors'} " in str(
        err.value
    )
    assert f"(step {meta['step']}). Lower train.lr" in str(err.value)


def test_a_nonfinite_validation_value_stops_the_run_before_saving(
    tmp_path, make, tiny, monkeypatch
):
    config, task = make(tiny(eval_every=2, epochs=2))
    values = iter([0.9, math.inf])
    monkeypatch.setattr(
        RecallTask,
        "evaluate",
        lambda self, m, split="validation", state=None: {"loss": next(values), "accuracy": 0.5},
    )
    run = tmp_path / "run"
    with pytest.raises(NonFiniteLossError) as err:
        fit(task, config, run, quiet=True)
    assert str(err.value) == (
        f"validation loss is inf at step 4 (epoch 1); the run stopped and the last good "
        f"checkpoint is {run / 'checkpoints' / 'last.safetensors'} (step 2). Lower train.lr or "
        f"set train.clip_grad_norm."
    )
    for name in ("last", "best"):
        assert load_checkpoint(run / "checkpoints" / f"{name}.safetensors")[1]["step"] == 2
    assert rows(run)[-1]["val_loss"] == "inf"  # the curve up to the failure is kept


def test_a_divergence_before_any_checkpoint_says_none_was_written(
    tmp_path, make, tiny, monkeypatch
):
    config, task = make(tiny(epochs=1))
    monkeypatch.setattr(
        RecallTask,
        "evaluate",
        lambda self, m, split="validation", state=None: {"loss": math.nan, "accuracy": 0.5},
    )
    with pytest.raises(NonFiniteLossError) as err:
        fit(task, config, tmp_path / "run", quiet=True)
    assert str(err.value) == (
        "validation loss is nan at step 4 (epoch 1); the run stopped and no checkpoint was "
        "written. Lower train.lr or set train.clip_grad_norm."
    )
    assert not (tmp_path / "run" / "checkpoints" / "last.safetensors").exists()


def test_nonfinite_weights_stop_the_run_before_saving(tmp_path, make, tiny, monkeypatch):
    config, task = make(tiny(eval_every=2, epochs=2))
    calls = {"n": 0}

    def evaluate(self, model, split="validation", state=None):
        calls["n"] += 1
        if calls["n"] == 2:  # a finite loss that hides an infinite weight
            with torch.no_grad():
                next(model.parameters()).view(-1)[0] = math.inf
        return {"loss": 0.5, "accuracy": 0.5}

    monkeypatch.setattr(RecallTask, "evaluate", evaluate)
    run = tmp_path / "run"
    with pytest.raises(NonFiniteLossError) as err:
        fit(task, config, run, quiet=True)
    assert str(err.value) == (
        f"the model's weights are not finite at step 4 (epoch 1); the run stopped and the last "
        f"good checkpoint is {run / 'checkpoints' / 'last.safetensors'} (step 2). Lower "
        f"train.lr or set train.clip_grad_norm."
    )
    assert load_checkpoint(run / "checkpoints" / "last.safetensors")[1]["step"] == 2


# ---- metrics before checkpoints; resume keeps exactly the rows ------------------------------
def test_metrics_are_on_disk_before_the_checkpoint_that_counts_them(
    tmp_path, make, tiny, monkeypatch
):
    import rnnkit.train.checkpoint as checkpoint  # the loop writes through this module

    seen, original = [], checkpoint.save_checkpoint

    def save(path, *, meta, **kwargs):
        seen.append((meta["metrics_rows"], len(rows(tmp_path / "run"))))
        original(path, meta=meta, **kwargs)

    monkeypatch.setattr(checkpoint, "save_checkpoint", save)
    config, task = make(tiny(eval_every=3, epochs=2))
    fit(task, config, tmp_path / "run", quiet=True)
    assert len(seen) >= 3 and all(counted == on_disk for counted, on_disk in seen)
    assert [c for c, _ in seen] == sorted(c for c, _ in seen)


def test_a_kill_between_flush_and_checkpoint_loses_no_row(tmp_path, make, tiny, monkeypatch):
    settings = dict(eval_every=5, epochs=3, log_every=2)
    config, task = make(tiny(**settings))
    fit(task, config, tmp_path / "full", quiet=True)

    original = Trainer._save

    def killed_before_last(self, path, value):
        if self.state.step == 10 and path.name == "last.safetensors":
            raise KeyboardInterrupt  # metrics.csv flushed, best saved, last not yet
        original(self, path, value)

    monkeypatch.setattr(Trainer, "_save", killed_before_last)
    with pytest.raises(KeyboardInterrupt):
        train(make, tiny(**settings), tmp_path / "killed")
    assert rows(tmp_path / "killed")[-1]["step"] == "10"  # flushed before the kill
    monkeypatch.setattr(Trainer, "_save", original)
    train(make, tiny(**settings), tmp_path / "killed", resume=True)
    assert without_time(rows(tmp_path / "killed")) == without_time(rows(tmp_path / "full"))


def test_resume_refuses_a_metrics_table_shorter_than_the_checkpoint_says(tmp_path, make, tiny):
    config, task = make(tiny(eval_every=2, epochs=2))
    fit(task, config, tmp_path / "run", quiet=True)
    table = tmp_path / "run" / "metrics.csv"
    table.write_text("".join(table.read_text().splitlines(keepends=True)[:3]))
    with pytest.raises(CheckpointError) as err:
        train(make, tiny(eval_every=2, epochs=2), tmp_path / "run", resume=True)
    assert str(err.value) == (
        f"{table} has 2 rows, but the checkpoint to resume from counted 12; the metrics of the "
        f"run are incomplete"
    )
