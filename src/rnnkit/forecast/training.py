"""The forecaster's own small training loop (the Python API and ``rnnkit forecast``).

One visible loop: shuffled windows (a generator seeded by ``seed``), Adam or AdamW, a cosine
learning-rate schedule over the whole budget, gradient clipping, one validation pass per
epoch keeping the best weights, early stopping after ``patience`` epochs without improvement
and an optional wall-clock budget. ``rnnkit train`` with ``task = "forecast"`` uses the
engine's loop instead, with the same data and models.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnnkit.forecast.windows import FlatSeries, WindowIndex


@dataclass
class FitSettings:
    """Budget and optimiser of :func:`train_windows`."""

    epochs: int = 20  # passes over the training windows
    max_steps: int = 0  # stop after this many optimiser steps (0 = no limit)
    batch_size: int = 64  # windows per step
    lr: float = 1e-3  # peak learning rate (cosine decay to lr / 100)
    weight_decay: float = 0.0  # AdamW decoupled weight decay (0 = Adam)
    clip_grad_norm: float = 1.0  # 0 = no clipping
    patience: int = 0  # early stopping after N epochs without validation gain (0 = off)
    time_budget: float = 0.0  # seconds; stop at the end of the step that passes it (0 = none)
    seed: int = 0  # weights and window order


def evaluate_loss(
    model: nn.Module, flat: FlatSeries, index: WindowIndex, L: int, H: int, batch_size: int = 1024
) -> float:
    """Mean training loss over the windows ``index`` (in the scaled space)."""
    if len(index) == 0:
        return float("nan")
    model.eval()
    total = 0.0
    with torch.inference_mode():
        for lo in range(0, len(index), batch_size):
            batch = flat.gather(index, slice(lo, lo + batch_size), L, H)
            _, loss = model(
                batch["x"], batch["y"], batch["ids"], batch.get("past"), batch.get("future")
            )
            total += float(loss) * len(batch["x"])
    return total / len(index)


def train_windows(
    model: nn.Module,
    flat: FlatSeries,
    windows: dict[str, WindowIndex],
    L: int,
    H: int,
    settings: FitSettings,
    log: Callable[[str], None] | None = None,
) -> list[dict]:
    """Train ``model`` on ``windows["train"]``; select on ``windows["validation"]`` if any.

    Returns one dict per epoch (``epoch, step, train_loss, val_loss, seconds``); the model
    ends with the weights of its best validation epoch (the last epoch without validation).
    """
    train = windows["train"]
    if len(train) == 0:
        raise ValueError(
            "no training windows: the series are too short for input_length + "
            "horizon + the held-out test and validation parts"
        )
    val = windows.get("validation", WindowIndex(np.zeros(0, np.int64), np.zeros(0, np.int64)))
    torch.manual_seed(settings.seed)
    gen = np.random.default_rng(settings.seed)
    opt_cls = torch.optim.AdamW if settings.weight_decay else torch.optim.Adam
    opt = opt_cls(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    per_epoch = math.ceil(len(train) / settings.batch_size)
    total = per_epoch * settings.epochs
    if settings.max_steps:
        total = min(total, settings.max_steps)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(s, total) / total))
    )
    best, best_state, waited, step, history = math.inf, None, 0, 0, []
    start = time.perf_counter()
    for epoch in range(1, settings.epochs + 1):
        model.train()
        order = gen.permutation(len(train))
        running = 0.0
        for b in range(per_epoch):
            rows = order[b * settings.batch_size : (b + 1) * settings.batch_size]
            batch = flat.gather(train, rows, L, H)
            _, loss = model(
                batch["x"], batch["y"], batch["ids"], batch.get("past"), batch.get("future")
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if settings.clip_grad_norm:
                nn.utils.clip_grad_norm_(model.parameters(), settings.clip_grad_norm)
            opt.step()
            sched.step()
            step += 1
            running += loss.item()
            out_of_time = (
                settings.time_budget and time.perf_counter() - start > settings.time_budget
            )
            if step >= total or out_of_time:
                break
        val_loss = evaluate_loss(model, flat, val, L, H)
        row = {
            "epoch": epoch,
            "step": step,
            "train_loss": running / (b + 1),
            "val_loss": val_loss,
            "seconds": round(time.perf_counter() - start, 2),
        }
        history.append(row)
        if log:
            log(
                " ".join(
                    f"{k}={v:.5g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
                )
            )
        if not math.isnan(val_loss):
            if val_loss < best:
                best, best_state, waited = val_loss, copy.deepcopy(model.state_dict()), 0
            else:
                waited += 1
        if step >= total or out_of_time or (settings.patience and waited >= settings.patience):
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history
