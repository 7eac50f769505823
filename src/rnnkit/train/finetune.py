"""ULMFiT's fine-tuning tools (Howard & Ruder 2018), for any model split into layer groups.

A model that has a ``layer_groups()`` method (a list of parameter lists, lowest group first:
e.g. :meth:`rnnkit.models.classifier.TextClassifier.layer_groups` gives the embeddings, each
recurrent layer and the head) can be trained with

- **discriminative learning rates** (``train.lr_decay_per_group = 2.6``): group ``l`` of ``G``
  (1 = the lowest) trains at ``lr / 2.6^(G - l)``, so the head at ``lr`` and each group below
  it 2.6 times slower. :func:`optimizer_groups` makes one optimizer parameter group per layer
  group; every schedule multiplies each group's own base lr by the same factor.
- **the slanted triangular schedule** (``train.schedule = "slanted"``): :func:`slanted_triangular`.
- **gradual unfreezing** (``train.unfreeze = "gradual"``): :class:`GradualUnfreezing`. The
  first epoch trains the last group (the head) alone, each later epoch one group more, until
  every group trains. A frozen group's parameters have ``requires_grad = False``: they get no
  gradient, so the optimizer skips them (no update, no weight decay, no Adam moments or step
  count), and their Adam state starts when they are unfrozen. With ``train.unfreeze_every =
  N`` a group is unfrozen every N optimizer steps instead of every epoch, which fits a step
  budget (``train.max_steps``) shorter than ``G`` epochs: with a whole epoch per group, a run
  of fewer than ``G`` epochs never trains the lowest groups. What is frozen follows from the
  step and the epoch alone, so a resumed run freezes exactly what the uninterrupted one did.

Both are off by default (``lr_decay_per_group = 1``, ``unfreeze = "none"``), and then the
optimizer holds one group of every trainable parameter, as before.
"""

from __future__ import annotations

import math

import torch.distributed as dist
from torch import nn

from rnnkit.config import TrainConfig
from rnnkit.errors import ConfigError


def wants_groups(cfg: TrainConfig) -> bool:
    """True when the config asks for discriminative rates or gradual unfreezing."""
    return cfg.lr_decay_per_group != 1.0 or cfg.unfreeze != "none"


def _asked(cfg: TrainConfig) -> str:
    keys = []
    if cfg.lr_decay_per_group != 1.0:
        keys.append(f"train.lr_decay_per_group = {cfg.lr_decay_per_group:g}")
    if cfg.unfreeze != "none":
        keys.append(f"train.unfreeze = {cfg.unfreeze!r}")
    return " and ".join(keys)


def layer_groups(cfg: TrainConfig, model: nn.Module) -> list[list[nn.Parameter]]:
    """The model's layer groups, lowest first, each holding its trainable parameters only
    (a group with none, e.g. frozen pretrained vectors alone, is left out); a ConfigError
    when the model has no groups."""
    method = getattr(model, "layer_groups", None)
    if not callable(method):
        asked = _asked(cfg)
        verb = "need" if " and " in asked else "needs"
        raise ConfigError(
            f"{asked} {verb} a model split into layer groups (a layer_groups() method, e.g. "
            f"task classify's model.kind = 'rnn'); {type(model).__name__} has none"
        )
    groups = [[p for p in group if p.requires_grad] for group in method()]
    grouped = {id(p) for group in groups for p in group}
    left_out = [n for n, p in model.named_parameters() if p.requires_grad and id(p) not in grouped]
    if left_out:  # a model's bug: that parameter would never train
        raise ValueError(f"{type(model).__name__}.layer_groups() leaves out {left_out[0]!r}")
    return [group for group in groups if group]


def group_lrs(lr: float, decay: float, groups: int) -> list[float]:
    """ULMFiT's discriminative rates, lowest group first: ``lr / decay^(groups - 1 - k)``."""
    return [lr / decay ** (groups - 1 - k) for k in range(groups)]


def optimizer_groups(cfg: TrainConfig, model: nn.Module) -> list:
    """What the optimizer is built on: every trainable parameter in one list, or (when the
    config asks for it) one parameter group with its own ``lr`` per layer group."""
    if not wants_groups(cfg):
        return [p for p in model.parameters() if p.requires_grad]
    groups = layer_groups(cfg, model)
    lrs = group_lrs(cfg.lr, cfg.lr_decay_per_group, len(groups))
    return [{"params": group, "lr": lr} for group, lr in zip(groups, lrs)]


def slanted_triangular(step: int, total: int, cut_frac: float, ratio: float) -> float:
    """Multiplier of the peak lr of ULMFiT's slanted triangular schedule: a linear rise from
    ``1 / ratio`` at step 0 to 1 at ``cut = floor(total * cut_frac)`` (at least 1), then a
    linear fall back to ``1 / ratio`` at ``total``:

        p = step / cut                              if step < cut
        p = 1 - (step - cut) / (total - cut)        otherwise (never below 0)
        multiplier = (1 + p (ratio - 1)) / ratio

    The paper writes the fall over ``cut (1 / cut_frac - 1)`` steps, which is ``total - cut``
    when ``total * cut_frac`` is a whole number; ``total - cut`` ends exactly at ``total``.
    """
    cut = max(1, math.floor(total * cut_frac))
    if step < cut:
        p = step / cut
    else:
        p = max(0.0, 1.0 - (step - cut) / max(1, total - cut))
    return (1.0 + p * (ratio - 1.0)) / ratio


class GradualUnfreezing:
    """Freezes all layer groups but the last ``n`` ones, ``n`` growing by one every epoch (or
    every ``train.unfreeze_every`` steps); call :meth:`update` before every optimizer step.
    ``train.unfreeze = "none"`` makes it do nothing. A parameter frozen by the model itself
    (``requires_grad = False``, e.g. ``model.freeze_vectors``) stays frozen."""

    def __init__(self, cfg: TrainConfig, model: nn.Module) -> None:
        self.cfg, self.trainable = cfg, None
        self.groups = layer_groups(cfg, model) if cfg.unfreeze == "gradual" else []
        if self.groups and dist.is_available() and dist.is_initialized():
            raise ConfigError(
                "train.unfreeze = 'gradual' trains in one process only (DDP needs the same "
                "trainable parameters at every step), received a run under torchrun"
            )

    def trainable_groups(self, epoch: int, step: int) -> int:
        """How many groups (counted from the last) train at ``step`` (steps done) of ``epoch``
        (epochs done)."""
        stage = step // self.cfg.unfreeze_every if self.cfg.unfreeze_every else epoch
        return min(len(self.groups), stage + 1)

    def update(self, epoch: int, step: int) -> None:
        if not self.groups:
            return
        n = self.trainable_groups(epoch, step)
        if n == self.trainable:
            return
        first = len(self.groups) - n
        for k, group in enumerate(self.groups):
            for p in group:
                p.requires_grad_(k >= first)
        self.trainable = n


__all__ = [
    "GradualUnfreezing",
    "group_lrs",
    "layer_groups",
    "optimizer_groups",
    "slanted_triangular",
    "wants_groups",
]
