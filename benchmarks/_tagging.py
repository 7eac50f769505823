"""Shared runner of the tagging benchmarks (tag_conll.py, tag_pos.py): train one config with
task ``tag`` into a run folder, then read back the figures (test scores, per-type F1, epochs,
wall and CPU time). A finished run is reused with ``--reuse``, so seeds can be trained one
invocation at a time and summed up at the end."""

from __future__ import annotations

import csv
import json
import statistics
import time
from pathlib import Path

import torch

from _common import with_recorded_defaults
from rnnkit import api
from rnnkit.config import config_from_dict
from rnnkit.tasks.tag import TagTask


def train_run(raw: dict, run_dir: Path, reuse: bool = False) -> dict:
    """Figures of one training run (``bench.json`` in the run folder)."""
    figures_path = run_dir / "bench.json"
    if reuse and figures_path.exists():
        return with_epochs(json.loads(figures_path.read_text()), run_dir)
    torch.set_num_threads(1)
    config = config_from_dict(with_recorded_defaults(raw))
    task = TagTask(config)
    cpu, wall = time.process_time(), time.perf_counter()
    result = api.train_run(config, run_dir, task=task, quiet=True, overwrite=True)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    epochs = result.state.epoch
    split = "test" if task.has_split("test") else "validation"
    scores = task.scores(result.model, split)
    m = result.metrics
    pct = lambda v: None if v is None else 100 * v  # noqa: E731 - rnnkit's 0-1 as percent
    figures = {
        "seed": config.train.seed,
        "epochs": epochs,
        "best_epoch": round(result.state.best_step / task.steps_per_epoch(), 2),
        "val_f1": pct(m["val_f1"]),
        "val_accuracy": pct(m["val_accuracy"]),
        "test_f1": pct(m.get("test_f1")),
        "test_precision": pct(m.get("test_precision")),
        "test_recall": pct(m.get("test_recall")),
        "test_accuracy": pct(m.get("test_accuracy")),
        "per_type_f1": {k: round(100 * c.f1, 2) for k, c in sorted(scores.per_type.items())},
        "train_seconds": m["train_seconds"],
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "wall_per_epoch": round(m["train_seconds"] / max(1, epochs), 1),
        "cpu_per_epoch": round(cpu / max(1, epochs), 1),
        "parameters": sum(p.numel() for p in result.model.parameters()),
        "run": str(run_dir),
    }
    figures = with_epochs(figures, run_dir)
    figures_path.write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def with_epochs(figures: dict, run_dir: Path) -> dict:
    """Epochs done, read from the run's metrics.csv (its ``epoch`` column counts an epoch
    whose last batch ended the run), and the per-epoch times from it."""
    with open(run_dir / "metrics.csv", newline="") as f:
        epochs = max(int(row["epoch"]) for row in csv.DictReader(f))
    per = max(1, epochs)
    return figures | {
        "epochs": epochs,
        "wall_per_epoch": round(figures["train_seconds"] / per, 1),
        "cpu_per_epoch": round(figures["cpu_seconds"] / per, 1),
    }


def summary(runs: list[dict], key: str) -> dict:
    """Mean, sample standard deviation, min and max of ``key`` over runs."""
    values = [r[key] for r in runs if r.get(key) is not None]
    if not values:
        return {}
    return {
        "mean": round(statistics.fmean(values), 2),
        "std": round(statistics.stdev(values), 2) if len(values) > 1 else 0.0,
        "min": round(min(values), 2),
        "max": round(max(values), 2),
        "n": len(values),
    }


def fmt(stats: dict) -> str:
    """``mean ± std (min-max)`` of a :func:`summary`."""
    if not stats:
        return "-"
    if stats["n"] == 1:
        return f"{stats['mean']:.2f}"
    return f"{stats['mean']:.2f} ± {stats['std']:.2f} ({stats['min']:.2f}-{stats['max']:.2f})"
