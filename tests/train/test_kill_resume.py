"""Fault injection: a training run killed with SIGKILL at seeded random points (inside a step,
after the metrics flush but before the checkpoints, between ``best`` and ``last``, halfway
through writing a checkpoint, just after ``last``) and resumed each time with
``rnnkit train --resume`` ends with the same metrics.csv, metrics.json, checkpoints and files
as a run that was never interrupted (wall times excepted: ``elapsed_s``, ``train_seconds``).

Each run is a real ``rnnkit train`` process; the killed ones run through a small wrapper that
sends SIGKILL to its own process at the chosen point (the loop itself has no test hook)."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rnnkit.train.checkpoint import load_checkpoint

CONFIG = """task = "recall"
[data]
delay = 4
noise = 0.1
examples = 64
[model]
cell = "gru"
hidden_size = 8
num_layers = 2
dropout = 0.2
[train]
epochs = 6
batch_size = 16
optimizer = "adam"
lr = 0.01
schedule = "cosine"
warmup_steps = 3
log_every = 2
eval_every = 3
"""
STEPS, EVAL_EVERY = 24, 3  # 6 epochs of 4 steps; a checkpoint every 3 steps

KILLER = """
import os, signal, sys
import rnnkit.train.checkpoint as checkpoint
from rnnkit.cli.main import main
from rnnkit.train.loop import Trainer

step, phase = int(sys.argv[1]), sys.argv[2]
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
train_step, save, save_file = Trainer._train_step, Trainer._save, checkpoint.save_file
saving = {"step": None}


def killed_train_step(self, batch):
    if phase == "step" and self.state.step + 1 == step:
        die()  # forward not done, no update: the step is lost
    return train_step(self, batch)


def killed_save(self, path, value):
    last = path.name == "last.safetensors"
    if self.state.step == step and (phase == "flushed" or (phase == "best" and last)):
        die()  # metrics.csv already flushed (and best maybe written), last not yet
    saving["step"] = self.state.step
    save(self, path, value)
    if self.state.step == step and phase == "saved" and last:
        die()  # every file of the evaluation written; the next step not begun


def killed_save_file(tensors, filename, metadata=None):
    save_file(tensors, filename, metadata=metadata)
    if phase == "writing" and saving["step"] == step:
        die()  # the temporary file is written, the rename has not happened


Trainer._train_step, Trainer._save, checkpoint.save_file = (
    killed_train_step, killed_save, killed_save_file
)
sys.exit(main(sys.argv[3:]))
"""


def kill_points(seed: int) -> list[tuple[int, str]]:
    """Five (step, phase) pairs, one in each of five windows of four steps after the first
    checkpoint (so the steps increase and every kill leaves a checkpoint to resume from), the
    phases in a seeded order, a checkpoint phase on an evaluation step of its window."""
    rng = random.Random(seed)
    phases = ["step", "flushed", "best", "writing", "saved"]
    rng.shuffle(phases)
    points = []
    for k, phase in enumerate(phases):
        window = range(EVAL_EVERY + 1 + 4 * k, EVAL_EVERY + 5 + 4 * k)
        allowed = [s for s in window if phase == "step" or s % EVAL_EVERY == 0]
        points.append((rng.choice(allowed), phase))
    return points


def rnnkit(*args, killer: Path | None = None) -> subprocess.CompletedProcess:
    prefix = [str(killer)] if killer else ["-m", "rnnkit.cli.main"]
    return subprocess.run(
        [sys.executable, *prefix, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=300,
    )


def metrics_rows(run: Path) -> list[dict]:
    with open(run / "metrics.csv", newline="") as f:
        return [{k: v for k, v in r.items() if k != "elapsed_s"} for r in csv.DictReader(f)]


def final_metrics(run: Path) -> dict:
    metrics = json.loads((run / "metrics.json").read_text())
    metrics.pop("train_seconds")  # wall time
    return metrics


def weights(run: Path) -> dict[str, torch.Tensor]:
    out = {}
    for name in ("best", "last"):
        tensors, meta = load_checkpoint(run / "checkpoints" / f"{name}.safetensors")
        out.update({f"{name}.{k}": v for k, v in tensors.items() if not k.startswith("rng.")})
        out[f"{name}.step"] = torch.tensor(meta["step"])
    return out


def test_the_kill_points_are_seeded_increasing_and_cover_every_phase():
    for seed in range(20):
        points = kill_points(seed)
        steps = [s for s, _ in points]
        assert points == kill_points(seed) and steps == sorted(set(steps))
        assert EVAL_EVERY < steps[0] and steps[-1] < STEPS
        assert {p for _, p in points} == {"step", "flushed", "best", "writing", "saved"}
        assert all(s % EVAL_EVERY == 0 for s, p in points if p != "step")
    assert kill_points(13) != kill_points(14)


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_equals_the_uninterrupted_run(tmp_path):
    config = tmp_path / "recall.toml"
    config.write_text(CONFIG)
    killer = tmp_path / "killer.py"
    killer.write_text(KILLER)
    full, killed = tmp_path / "full", tmp_path / "killed"
    done = rnnkit("train", config, "--out", full, "--quiet")
    assert done.returncode == 0, done.stderr

    for i, (step, phase) in enumerate(kill_points(13)):
        args = ["train", config, "--out", killed] if i == 0 else ["train", "--resume", killed]
        died = rnnkit(step, phase, *args, "--quiet", killer=killer)
        assert died.returncode == -signal.SIGKILL, (step, phase, died.stderr)
        assert not (killed / ".lock.pid").read_text().strip() == ""  # the dead holder's PID
    done = rnnkit("train", "--resume", killed, "--quiet")
    assert done.returncode == 0, done.stderr

    assert metrics_rows(killed) == metrics_rows(full)
    assert final_metrics(killed) == final_metrics(full)
    a, b = weights(killed), weights(full)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    files = [
        sorted(p.relative_to(run) for p in run.rglob("*") if "tb" not in p.parts)
        for run in (killed, full)
    ]
    assert files[0] == files[1]  # nothing left over by the kills (no half-written file)
