"""What the training loop needs from a task: a :class:`typing.Protocol`, so that ``rnnkit.train``
never imports ``rnnkit.tasks`` (every :class:`rnnkit.tasks.base.Task` satisfies it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import Tensor, nn


class TrainableTask(Protocol):
    """The task side of :class:`~rnnkit.train.loop.Trainer`; see ``rnnkit/tasks/base.py``."""

    name: str
    stateful: bool  # carry the detached hidden state from batch to batch
    metric: str  # default validation metric that selects the best checkpoint
    device: torch.device

    def setup(self) -> None: ...

    def save_artifacts(self, run_dir: Path) -> None: ...

    def build_model(self) -> nn.Module: ...

    def steps_per_epoch(self, world: int = 1) -> int: ...

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[Any]: ...

    def training_step(self, model: nn.Module, batch: Any, state: Any) -> tuple[Tensor, Any]: ...

    def batch_examples(self, batch: Any) -> int: ...

    def evaluate(self, model: nn.Module, split: str = "validation", state: Any = None) -> dict: ...

    def has_split(self, split: str) -> bool: ...

    def predictions(self, model: nn.Module, state: Any = None) -> Any: ...

    def snapshot(self, model: nn.Module, run_dir: Path, epoch: int, step: int) -> None: ...

    def on_fit_end(self, model: nn.Module, run_dir: Path) -> None: ...

    def is_better(self, metric: str, value: float, best: float | None) -> bool: ...
