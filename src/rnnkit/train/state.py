"""Where a training run is (saved in every checkpoint), what it returns, and what it says when
it diverges."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

# a caller's view of each evaluation: (step, validation row with the val_* metrics) -> stop?
# (rnnkit tune reports it to the trial, whose pruner may stop the run: stopped_by "pruned")
OnEvaluate = Callable[[int, dict], bool] | None


@dataclass
class LoopState:
    """Where the loop is; saved in every checkpoint."""

    step: int = 0  # optimizer steps done
    epoch: int = 0  # epochs completed
    epoch_step: int = 0  # batches done in the current epoch
    best: float | None = None  # best value of the selection metric so far
    best_step: int | None = None
    bad_evals: int = 0  # evaluations since the last improvement
    train_seconds: float = 0.0


@dataclass
class FitResult:
    run_dir: Path
    model: nn.Module
    state: LoopState
    metrics: dict = field(default_factory=dict)  # final validation/test metrics
    stopped_early: bool = False
    carry: Any = None  # the carried state at the end (stateful tasks)
    stopped_by: str = ""  # epochs | max_steps | early_stopping | time_budget | no_parameters
    # | pruned (a caller's on_evaluate stopped it, e.g. rnnkit tune's pruner)


def nonfinite_message(what: str, row: dict, run, last_saved_step: int | None) -> str:
    """The message of a run stopped by a non-finite value (``what``, e.g. "training loss is
    nan") at ``row``'s step: it names the checkpoint that really is the last good one, or says
    that none was written, or (a replacing run, ``--overwrite``) that the old run stays."""
    if run.replaces is not None:
        kept = f"{run.replaces} still holds the previous run (only a run that succeeds replaces it)"
    elif last_saved_step is not None:
        kept = f"the last good checkpoint is {run.last} (step {last_saved_step})"
    else:
        kept = "no checkpoint was written"
    return (
        f"{what} at step {row['step']} (epoch {row['epoch']}); the run stopped and {kept}. "
        f"Lower train.lr or set train.clip_grad_norm."
    )


__all__ = ["LoopState", "FitResult", "OnEvaluate", "nonfinite_message"]
