"""The learning-rate range test (Smith 2017, "Cyclical Learning Rates", section 3.3; fastai's
``lr_find``): train from a fresh model while the learning rate grows exponentially from
``start_lr`` to ``end_lr`` over ``steps`` optimizer steps, and record the loss of each step.

The loss is smoothed by an exponential moving average with bias correction (``beta``; fastai
uses 0.98): ``avg_i = beta avg_{i-1} + (1 - beta) loss_i``, ``smoothed_i = avg_i / (1 -
beta^i)``. The test stops early when the smoothed loss exceeds ``diverge`` times its minimum
or a loss is not finite: the learning rate is then far too large.

Two readings of the curve, as fastai gives them:

- ``minimum / 10``: a tenth of the learning rate at the lowest smoothed loss, the rule of
  thumb of Smith and of fastai's first ``lr_find`` (the loss is lowest just before it blows
  up, so a rate ten times smaller is still on the descending part);
- ``steepest``: the learning rate where the smoothed loss falls fastest against ``log lr``.

The suggestion is ``minimum / 10``, with ``steepest`` printed beside it. On the quadratic of
``tests/train/test_lr_find.py`` (plain SGD, stable below lr = 0.5) they read 0.067-0.082 and
0.027-0.039 over six seeds. Every step is the loop's own (:mod:`rnnkit.train.step`): the
task's batches and loss, the configured optimizer, clipping and precision. Nothing is saved
but the plot (by the caller); the model is thrown away. With discriminative rates
(``train.lr_decay_per_group``) the tested lr is the top group's and the groups below keep
their ratios to it; gradual unfreezing (``train.unfreeze``) does not apply: every group trains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rnnkit.config import Config
from rnnkit.errors import ConfigError
from rnnkit.nn.state import detach_state
from rnnkit.train.device import grad_scaler, resolve_device
from rnnkit.train.optim import build_optimizer
from rnnkit.train.protocol import TrainableTask
from rnnkit.train.seeding import seed_everything
from rnnkit.train.step import backward_step, forward_loss


@dataclass
class RangeTest:
    """How to run the test (the defaults of ``rnnkit lr-find``)."""

    steps: int = 200  # optimizer steps from start_lr to end_lr (fastai: 100)
    start_lr: float = 1e-7  # the first learning rate (fastai's default)
    end_lr: float = 10.0  # the last learning rate (fastai's default)
    beta: float = 0.98  # smoothing of the loss (exponential moving average)
    diverge: float = 4.0  # stop when the smoothed loss exceeds this many times its minimum

    def __post_init__(self) -> None:
        if self.steps < 10:
            raise ConfigError(f"lr-find --steps must be at least 10, received {self.steps}")
        if not 0 < self.start_lr < self.end_lr:
            raise ConfigError(
                f"lr-find needs 0 < --start-lr < --end-lr, received {self.start_lr:g} and "
                f"{self.end_lr:g}"
            )

    def lr(self, i: int) -> float:
        """The learning rate of step ``i`` (0-based)."""
        return self.start_lr * (self.end_lr / self.start_lr) ** (i / (self.steps - 1))


@dataclass
class RangeResult:
    """The curve and its readings; ``stopped`` says why the test ended."""

    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)
    stopped: str = ""  # "end_lr" | "diverged" | "not finite"

    @property
    def minimum(self) -> float:
        """The learning rate at the lowest smoothed loss."""
        return self.lrs[min(range(len(self.smoothed)), key=self.smoothed.__getitem__)]

    @property
    def steepest(self) -> float:
        """The learning rate where the smoothed loss falls fastest per unit of ``log lr``,
        up to the minimum (central differences; the first tenth of the curve is skipped, as
        the bias-corrected average is still settling there)."""
        low = min(range(len(self.smoothed)), key=self.smoothed.__getitem__)
        first = max(1, len(self.smoothed) // 10)
        if low - first < 2:
            return self.minimum
        slopes = {
            i: (self.smoothed[i + 1] - self.smoothed[i - 1])
            / (math.log(self.lrs[i + 1]) - math.log(self.lrs[i - 1]))
            for i in range(first, low)
        }
        return self.lrs[min(slopes, key=slopes.__getitem__)]

    @property
    def suggestion(self) -> float:
        return self.minimum / 10


def range_test(task: TrainableTask, config: Config, test: RangeTest | None = None) -> RangeResult:
    """Run the range test of ``task`` under ``config`` (its optimizer, clipping, precision,
    batch size and seed); ``config.train.lr`` is not used."""
    test, cfg = test or RangeTest(), config.train
    seed_everything(cfg.seed, cfg.deterministic)
    device = resolve_device(cfg.device)
    task.device = device
    task.setup()
    model = task.build_model().to(device)
    optimizer = build_optimizer(cfg, model)
    scales = [g["lr"] / cfg.lr for g in optimizer.param_groups]  # train.lr_decay_per_group
    scaler = grad_scaler(device, cfg.precision)
    result, average, carry = RangeResult(), 0.0, None
    for i, batch in enumerate(_batches(task)):
        if i == test.steps:
            result.stopped = "end_lr"
            break
        if task.stateful and _new_epoch(task, i):
            carry = None
        lr = test.lr(i)
        for group, scale in zip(optimizer.param_groups, scales):
            group["lr"] = lr * scale  # the top group's lr is the one tested
        loss, carry = forward_loss(task, model, optimizer, batch, carry, device, cfg.precision)
        value = float(loss.detach())
        if not math.isfinite(value):
            result.stopped = "not finite"
            break
        average = test.beta * average + (1 - test.beta) * value
        smoothed = average / (1 - test.beta ** (i + 1))
        result.lrs.append(lr)
        result.losses.append(value)
        result.smoothed.append(smoothed)
        if smoothed > test.diverge * min(result.smoothed):
            result.stopped = "diverged"
            break
        backward_step(loss, model, optimizer, scaler, cfg)
        carry = detach_state(carry)
    if len(result.lrs) < 3:
        raise ConfigError(
            f"lr-find: the loss was not finite from step {len(result.lrs) + 1} on (at lr "
            f"{test.lr(len(result.lrs)):g}); lower --start-lr"
        )
    return result


def _batches(task: TrainableTask) -> Any:
    """The task's batches, epoch after epoch, for as long as the test needs them."""
    epoch = 0
    while True:
        empty = True
        for batch in task.train_batches(epoch):
            empty = False
            yield batch
        if empty:
            raise ConfigError("lr-find: the task has no training batches")
        epoch += 1


def _new_epoch(task: TrainableTask, i: int) -> bool:
    return i % max(1, task.steps_per_epoch()) == 0
