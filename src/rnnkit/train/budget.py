"""What a run will do, said at its start, and how long it will take, measured on its first steps.

:func:`plan` turns the budget of a :class:`~rnnkit.config.TrainConfig` (``epochs``,
``max_steps``, ``time_budget``, ``early_stopping``) into the number of optimizer steps and the
sentence the loop prints first. :class:`Pace` times the steps after the first one (which pays
for allocations and lazy initialisation) and :meth:`Pace.sentence` says how long the rest
will take and, when the time budget ends the run first, near which step.

:func:`steps_within` is how a cosine schedule fits a time budget: when the budget will end the
run before its last step, the schedule decays to the step where the time runs out instead
(re-measured at every evaluation), so a run cut by its budget still ends at a low rate.
"""

from __future__ import annotations

import time

from rnnkit.config import TrainConfig
from rnnkit.errors import DataError

MEASURED_STEPS = 5  # steps timed for the estimate, after a first (warm-up) step


def steps_per_epoch(task, world_size: int, trainable: bool) -> int:
    """The task's training steps per epoch (1 for a model with nothing to train); a run that
    would train zero steps is a :class:`~rnnkit.errors.DataError`."""
    steps = task.steps_per_epoch(world_size) if trainable else 1
    if steps < 1:
        raise DataError(
            f"task {task.name!r} has {steps} training steps per epoch: the "
            f"training data gives no batch, so nothing would train"
        )
    return steps


def plan(cfg: TrainConfig, per_epoch: int, metric: str, trainable: bool) -> tuple[int, str]:
    """The number of optimizer steps and a sentence saying why (printed at the start)."""
    if not trainable:
        return 0, "no training steps: the model has no trainable parameters"
    by_epochs = cfg.epochs * per_epoch if cfg.epochs else None
    if by_epochs is not None and (not cfg.max_steps or by_epochs <= cfg.max_steps):
        total, why = by_epochs, f"train.epochs = {cfg.epochs} x {per_epoch} steps per epoch"
    else:
        unset = "" if cfg.epochs else ", train.epochs not set"
        total = cfg.max_steps
        why = f"train.max_steps = {cfg.max_steps}{unset}; {per_epoch} steps per epoch"
    rules = [why]
    if cfg.time_budget:
        rules.append(f"or train.time_budget = {cfg.time_budget:g} s")
    if cfg.early_stopping:
        rules.append(f"or {cfg.early_stopping} evaluations without a better {metric}")
    return total, f"training {total} steps at most ({', '.join(rules)})"


def duration(seconds: float) -> str:
    """``42 s``, ``12.5 min`` or ``2.1 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def steps_within(seconds_left: float, seconds_per_step: float, step: int, total: int) -> int:
    """The step at which ``seconds_left`` run out at ``seconds_per_step``, at most ``total``."""
    if seconds_per_step <= 0:
        return total
    return max(step + 1, min(total, step + int(seconds_left / seconds_per_step)))


class Pace:
    """Seconds per step over :data:`MEASURED_STEPS` steps after ``start`` + 1 (the first step
    of this process is a warm-up): call :meth:`update` after every step."""

    def __init__(self, start: int) -> None:
        self.first, self.clock = start + 1, 0.0
        self.seconds_per_step: float | None = None

    def update(self, step: int) -> bool:
        """True once, when the measurement is complete."""
        if step == self.first:
            self.clock = time.perf_counter()
        elif step == self.first + MEASURED_STEPS and self.seconds_per_step is None:
            self.seconds_per_step = (time.perf_counter() - self.clock) / MEASURED_STEPS
            return True
        return False

    def sentence(self, step: int, total: int, cfg: TrainConfig, elapsed: float) -> str:
        """The estimate printed after the measurement, e.g. ``estimated time: 0.52 s a step
        (steps 2-6), 1230 steps to go: 10.7 min without evaluations``."""
        per = self.seconds_per_step or 0.0
        left = total - step
        text = (
            f"estimated time: {per:.3g} s a step (steps {self.first + 1}-{step}), {left} steps "
            f"to go: {duration(left * per)} without evaluations"
        )
        if cfg.time_budget:
            ends = steps_within(cfg.time_budget - elapsed, per, step, total)
            if ends < total:
                text += f"; train.time_budget = {cfg.time_budget:g} s ends it near step {ends}"
                if cfg.schedule in ("cosine", "slanted"):
                    text += f", where the {cfg.schedule} schedule now ends"
        return text
