"""Optimizers and learning-rate schedules from a :class:`~rnnkit.config.TrainConfig`."""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnkit.config import TrainConfig


def build_optimizer(cfg: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
        )
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise ValueError(f"train.optimizer must be sgd, adam or adamw, received {cfg.optimizer!r}")


def cosine_with_warmup(step: int, warmup: int, total: int, floor: float) -> float:
    """Multiplier of the peak lr: linear warm-up over ``warmup`` steps, then a cosine decay
    to ``floor`` (a fraction of the peak) at ``total`` steps."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


class Schedule:
    """One object for the three schedules: ``step()`` after every optimizer step and
    ``evaluated(value, improved)`` after every evaluation (reduce-on-plateau)."""

    def __init__(
        self, cfg: TrainConfig, optimizer: torch.optim.Optimizer | None, total_steps: int
    ) -> None:
        self.cfg, self.optimizer, self.total = cfg, optimizer, max(1, total_steps)
        self.scale = 1.0  # current multiplier of the peak lr
        self.bad_evals = 0
        self.step_count = 0
        self._apply()

    @property
    def groups(self) -> list[dict]:
        """The optimizer's parameter groups, read each time (``load_state_dict`` replaces
        them); none for a model without parameters."""
        return self.optimizer.param_groups if self.optimizer is not None else []

    def _apply(self) -> None:
        if self.cfg.schedule == "cosine":
            floor = self.cfg.min_lr / self.cfg.lr
            self.scale = cosine_with_warmup(
                self.step_count, self.cfg.warmup_steps, self.total, floor
            )
        elif self.cfg.warmup_steps and self.step_count < self.cfg.warmup_steps:
            self.scale = (self.step_count + 1) / self.cfg.warmup_steps
        elif self.cfg.schedule == "constant":
            self.scale = 1.0
        for group in self.groups:
            group["lr"] = self.cfg.lr * self.scale * group.get("plateau_scale", 1.0)

    def step(self) -> None:
        self.step_count += 1
        self._apply()

    def evaluated(self, improved: bool) -> None:
        if self.cfg.schedule != "plateau":
            return
        self.bad_evals = 0 if improved else self.bad_evals + 1
        if self.bad_evals >= self.cfg.plateau_patience:
            self.bad_evals = 0
            for group in self.groups:
                group["plateau_scale"] = group.get("plateau_scale", 1.0) * self.cfg.plateau_factor
            self._apply()

    @property
    def lr(self) -> float:
        return self.groups[0]["lr"] if self.groups else self.cfg.lr * self.scale

    def state_dict(self) -> dict:
        scales = [g.get("plateau_scale", 1.0) for g in self.groups]
        return {
            "step_count": self.step_count,
            "bad_evals": self.bad_evals,
            "plateau": scales,
            "total": self.total,  # a cosine fitted to the time budget ends there
        }

    def load_state_dict(self, state: dict) -> None:
        self.step_count, self.bad_evals = state["step_count"], state["bad_evals"]
        self.total = state.get("total", self.total)  # absent in checkpoints before issue 16
        for group, scale in zip(self.groups, state["plateau"]):
            group["plateau_scale"] = scale
        self._apply()
