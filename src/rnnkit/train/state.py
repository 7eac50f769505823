"""Where a training run is (saved in every checkpoint) and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn


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


__all__ = ["LoopState", "FitResult"]
