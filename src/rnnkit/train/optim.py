"""Optimizers and learning-rate schedules (torch's) from a :class:`~rnnkit.config.TrainConfig`."""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnkit.config import TrainConfig
from rnnkit.errors import ConfigError
from rnnkit.train.finetune import optimizer_groups, slanted_triangular


def build_optimizer(cfg: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    """``train.optimizer`` on the trainable parameters: one group, or one per layer group when
    ``train.lr_decay_per_group`` or ``train.unfreeze`` asks for them (:mod:`.finetune`)."""
    params = optimizer_groups(cfg, model)
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


def warmup(step: int, warmup_steps: int) -> float:
    """Multiplier of the peak lr during a linear warm-up of ``warmup_steps`` steps, then 1."""
    return (step + 1) / warmup_steps if warmup_steps and step < warmup_steps else 1.0


class Schedule:
    """torch's schedulers for the four ``train.schedule`` values: ``step()`` after every
    optimizer step, ``evaluated(value)`` after every evaluation.

    - ``constant``: :class:`~torch.optim.lr_scheduler.LambdaLR` with the linear warm-up.
    - ``cosine``: :class:`~torch.optim.lr_scheduler.LambdaLR` of :func:`cosine_with_warmup`
      (the closed form, so a resumed run computes the same lr to the last bit).
    - ``plateau``: the warm-up, then :class:`~torch.optim.lr_scheduler.ReduceLROnPlateau`
      on the validation metric: the lr is multiplied by ``plateau_factor`` after
      ``plateau_patience`` evaluations without improvement (strictly better, in the
      metric's own direction: ``maximize``), counted once the warm-up is over.
    - ``slanted``: :class:`~torch.optim.lr_scheduler.LambdaLR` of
      :func:`~rnnkit.train.finetune.slanted_triangular` (ULMFiT's; its rise is its warm-up,
      so ``warmup_steps`` must be 0; ``min_lr`` is not used: it ends at ``lr / slanted_ratio``).

    Every schedule multiplies each optimizer group's own base lr (``initial_lr``) by the same
    factor, so discriminative rates (``train.lr_decay_per_group``) keep their ratios.

    A model without parameters has no optimizer, and then no scheduler.
    """

    def __init__(
        self,
        cfg: TrainConfig,
        optimizer: torch.optim.Optimizer | None,
        total_steps: int,
        maximize: bool = False,
    ) -> None:
        self.cfg, self.optimizer, self.total = cfg, optimizer, max(1, total_steps)
        self.warmup, self.plateau = None, None
        if optimizer is None:
            return
        if cfg.schedule == "cosine":
            floor, w = cfg.min_lr / cfg.lr, cfg.warmup_steps
            # reads self.total at every step: a time budget may move the end (train/budget.py)
            factor = lambda step: cosine_with_warmup(step, w, self.total, floor)  # noqa: E731
        elif cfg.schedule == "slanted":
            if cfg.warmup_steps:
                raise ConfigError(
                    f"train.warmup_steps must be 0 with train.schedule = 'slanted' (its rise is "
                    f"the warm-up), received {cfg.warmup_steps}"
                )
            cut, ratio = cfg.slanted_cut_frac, cfg.slanted_ratio
            factor = lambda step: slanted_triangular(step, self.total, cut, ratio)  # noqa: E731
        else:
            factor = lambda step: warmup(step, cfg.warmup_steps)  # noqa: E731
        self.warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        if cfg.schedule == "plateau":
            self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer,
                mode="max" if maximize else "min",
                factor=cfg.plateau_factor,
                patience=cfg.plateau_patience - 1,  # torch reduces after patience + 1 bad ones
                threshold=0.0,
                threshold_mode="abs",
            )

    @property
    def in_warmup(self) -> bool:
        return self.warmup is not None and self.warmup.last_epoch < self.cfg.warmup_steps

    def step(self) -> None:
        """After an optimizer step; the plateau schedule leaves the lr alone after warm-up."""
        if self.warmup is not None and (self.plateau is None or self.in_warmup):
            self.warmup.step()

    def evaluated(self, value: float) -> None:
        """After an evaluation with the validation metric's ``value``."""
        if self.plateau is not None and not self.in_warmup:
            self.plateau.step(value)

    @property
    def lr(self) -> float:
        """The current lr of the last (top) group: the head's, when the rates are discriminative."""
        groups = self.optimizer.param_groups if self.optimizer is not None else []
        return groups[-1]["lr"] if groups else self.cfg.lr

    def state_dict(self) -> dict:
        return {
            "warmup": self.warmup.state_dict() if self.warmup is not None else None,
            "plateau": self.plateau.state_dict() if self.plateau is not None else None,
            "total": self.total,  # a cosine fitted to the time budget ends there
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore after the optimizer (whose state holds the current lr)."""
        self.total = state.get("total", self.total)  # absent in checkpoints before issue 16
        if self.warmup is not None:
            self.warmup.load_state_dict(state["warmup"])
        if self.plateau is not None:
            self.plateau.load_state_dict(state["plateau"])
