"""Shared by the classification benchmarks: train a config through the engine and time it.

Timing: ``train_wall_s`` is the engine's training time (wall clock, evaluation excluded).
``train_cpu_s`` is the CPU time of the same training steps, measured around each epoch's
batches: with one thread it is what the wall clock would read on an otherwise idle machine,
so it stays meaningful when other jobs share the CPU.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

from _common import with_recorded_defaults
from rnnkit.api import train_run
from rnnkit.config import config_from_dict
from rnnkit.tasks.classify import ClassifyTask


class TimedClassifyTask(ClassifyTask):
    """ClassifyTask that adds up the CPU and wall time spent inside each epoch's batches."""

    def __init__(self, config) -> None:
        super().__init__(config)
        self.cpu_seconds = self.wall_seconds = 0.0

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1):
        cpu, wall = time.process_time(), time.perf_counter()
        yield from super().train_batches(epoch, rank, world)
        self.cpu_seconds += time.process_time() - cpu
        self.wall_seconds += time.perf_counter() - wall


def train(raw: dict, out: Path) -> dict:
    """Train ``raw`` (a config dict) into ``out``; the final metrics plus the timings."""
    config = config_from_dict(with_recorded_defaults(raw))
    task = TimedClassifyTask(config)
    setup_cpu = time.process_time()
    result = train_run(config, out, task=task, quiet=True, overwrite=True)
    m = result.metrics
    return {
        **{k: round(v, 4) for k, v in m.items() if k.startswith(("test_", "val_"))},
        "epochs": round(result.state.step / task.steps_per_epoch(), 1),  # passes over train
        "best_step": m["best_step"],
        "train_wall_s": round(m["train_seconds"], 1),
        "train_cpu_s": round(task.cpu_seconds, 1),
        "total_cpu_s": round(time.process_time() - setup_cpu, 1),
        "parameters": sum(p.numel() for p in result.model.parameters()),
        "padding_fraction": round(task.padding()["bucketed"], 4),
        "sizes": {name: len(part.targets) for name, part in task.splits.items()},
        "_task": task,
        "_model": result.model,
    }


def recurrent_share(task: ClassifyTask, model, batches: int = 12) -> dict:
    """Share of a training step's CPU time spent in the recurrent layer (forward+backward).

    For a few training batches: time the whole step (forward, backward, clipping and the
    Adam update are the engine's; here forward + backward + an Adam step on a copy of the
    optimizer state), then the recurrent layer alone on the same embedded input with the
    same output gradient. Both with the model in training mode.
    """
    from rnnkit.nn import pack, unpack

    model.train()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=0.0)
    step_s = rnn_s = 0.0
    for i, (x, lengths, targets) in enumerate(task.train_batches(0)):
        if i >= batches:
            break
        start = time.process_time()
        optimizer.zero_grad()
        _, loss = model(x, lengths, targets)
        loss.backward()
        optimizer.step()
        step_s += time.process_time() - start
        emb = model.embed(x).detach().requires_grad_(True)
        start = time.process_time()
        out, _ = model.rnn(pack(emb, lengths, batch_first=True))
        out, _ = unpack(out, batch_first=True)
        out.sum().backward()
        rnn_s += time.process_time() - start
    return {"step_cpu_ms": round(1e3 * step_s / batches, 1), "share": round(rnn_s / step_s, 3)}


def train_models(models: dict, only: list[str] | None, out: str, config, extra=None) -> dict:
    """Train ``only`` (default all of ``models``) with ``config(name)`` into ``out/<name>``;
    ``extra(figures)`` may add figures from the trained task and model. The figures of every
    model go to ``out/results.json``; with ``only``, the earlier figures of the others are
    kept from it, so that one model can be re-run without losing the table's other rows."""
    saved = Path(out) / "results.json"
    results = json.loads(saved.read_text()) if only and saved.exists() else {}
    for name in only or models:
        r = train(config(name), Path(out) / name)
        if extra is not None:
            extra(r)
        results[name] = {k: v for k, v in r.items() if not k.startswith("_")}
        print(name, results[name], file=sys.stderr, flush=True)
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(results, indent=1))
    return {name: results[name] for name in models if name in results}
