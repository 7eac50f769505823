"""The contract between a task and the training engine.

The engine (:func:`rnnkit.train.fit`) owns the loop: seeding, devices, the optimizer, clipping,
schedules, evaluation, checkpoints, logging and reports. A task owns everything specific to
its problem: reading data, building the model, cutting batches, computing the loss of a
batch, its metrics, its predictions and its plots. Every model follows one contract,
``forward(...) -> (output, loss)``, so any model fits any task that feeds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import torch
from torch import Tensor, nn

from rnnkit.config import IN_MEMORY, Config, DataConfig, ModelConfig, TrainConfig
from rnnkit.errors import ConfigError, DataError, RunError


class Task:
    """Base class of every task. Subclasses override the methods marked *must*."""

    name: ClassVar[str] = ""
    data_config: ClassVar[type] = DataConfig
    model_config: ClassVar[type] = ModelConfig
    train_config: ClassVar[type] = TrainConfig  # a task may subclass it to change defaults
    stateful: ClassVar[bool] = False  # carry the detached hidden state from batch to batch
    # every batch has the same shapes, so freed memory is kept for the next step (glibc; see
    # rnnkit.nn.fast.memory): not for batches of varying length, where it fragments the heap
    fixed_shapes: ClassVar[bool] = False
    metric: ClassVar[str] = "val_loss"  # default validation metric to select checkpoints
    memory_splits: ClassVar[tuple[str, ...]] = ()  # splits it takes as Python objects
    higher_is_better: ClassVar[frozenset[str]] = frozenset(
        {
            "accuracy",
            "macro_f1",
            "f1",
            "precision",
            "recall",
            "exact_match",
            "bleu",
            "char_accuracy",
            "coverage",
            "balanced_accuracy",
        }
    )

    def __init__(self, config: Config, memory: dict[str, Any] | None = None) -> None:
        """``memory``: split name -> Python object read instead of that split's file (see
        :mod:`rnnkit.tasks.memory`; :func:`rnnkit.fit` passes it)."""
        self.config = config
        self.device = torch.device("cpu")
        self.memory = {k: v for k, v in (memory or {}).items() if v is not None}
        for split in self.memory:
            if split not in self.memory_splits:
                takes = ", ".join(self.memory_splits) or "none: its data is generated"
                raise ConfigError(
                    f"task {self.name!r} takes no {split} data as Python objects (it takes {takes})"
                )

    def from_memory(self, split: str):
        """The object handed over for ``split``, or None when the split is read from its file.
        A reloaded run whose config says ``<in-memory data>`` has no object: an error."""
        if split in self.memory:
            return self.memory[split]
        if getattr(self.config.data, split, "") == IN_MEMORY:
            raise DataError(
                f"data.{split} of this run was data in memory (rnnkit.fit on Python objects), "
                f"which a run folder does not keep; pass the data again (e.g. --data FILE)"
            )
        return None

    # ---- data ---------------------------------------------------------------------------
    def setup(self) -> None:
        """Read and prepare the data for training (*must*). Called once before training."""
        raise NotImplementedError

    def save_artifacts(self, run_dir: Path) -> None:
        """Write what prediction needs besides the weights (vocabularies, scalers) as JSON."""

    def load_artifacts(self, run_dir: Path) -> None:
        """Read back what :meth:`save_artifacts` wrote, so that :meth:`build_model` works."""

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[Any]:
        """The batches of one epoch, in an order fixed by (seed, epoch) (*must*).

        Under ``world`` processes, yield this rank's share of each global batch.
        """
        raise NotImplementedError

    def steps_per_epoch(self, world: int = 1) -> int:
        """Optimizer steps in one epoch (*must*); used by schedules and progress bars."""
        raise NotImplementedError

    # ---- model --------------------------------------------------------------------------
    def build_model(self) -> nn.Module:
        """A fresh model for this task's config (*must*)."""
        raise NotImplementedError

    def training_step(self, model: nn.Module, batch: Any, state: Any) -> tuple[Tensor, Any]:
        """Loss of one batch (mean over examples) and the state to carry (*must*).

        ``state`` is the detached state from the previous batch for stateful tasks, else None.
        """
        raise NotImplementedError

    def batch_examples(self, batch: Any) -> int:
        """Number of examples (or tokens) in a batch, for the throughput column."""
        return 1

    # ---- evaluation ---------------------------------------------------------------------
    def evaluate(self, model: nn.Module, split: str = "validation", state: Any = None) -> dict:
        """Metrics on a split, without the ``val_``/``test_`` prefix, e.g. ``{"loss": ...}``."""
        raise NotImplementedError

    def has_split(self, split: str) -> bool:
        return split == "validation"

    def evaluate_path(self, model: nn.Module, path: str) -> dict:
        """Metrics on a data file given on the command line (``rnnkit evaluate --data``)."""
        raise RunError(f"task {self.name!r} cannot evaluate a file")

    def predictions(self, model: nn.Module, state: Any = None) -> pd.DataFrame | None:
        """Predictions on the test (or validation) split, for ``predictions.csv``."""
        return None

    def snapshot(self, model: nn.Module, run_dir: Path, epoch: int, step: int) -> None:
        """Optional plots during training (called after each evaluation on rank 0)."""

    def on_fit_end(self, model: nn.Module, run_dir: Path) -> None:
        """Called once after training with the final (best) model, before the final
        evaluation, on rank 0: e.g. calibrate on validation and save what that produced."""

    def plots(self, model: nn.Module, run_dir: Path, state: Any = None) -> list[tuple[str, Path]]:
        """The task's own plots for the report, as (title, png path) pairs."""
        return []

    def report_sections(self, model: nn.Module) -> list[tuple[str, str]]:
        """Extra report sections as (heading, HTML) pairs (tables, samples)."""
        return []

    def export_spec(self, model: nn.Module):
        """What ``rnnkit export`` writes: an :class:`rnnkit.export.ExportSpec`."""
        raise RunError(f"task {self.name!r} does not support export yet")

    def on_load(self, meta: dict) -> None:
        """Called after a run's checkpoint is loaded, with the checkpoint's metadata."""

    # ---- helpers ------------------------------------------------------------------------
    def is_better(self, metric: str, value: float, best: float | None) -> bool:
        if best is None:
            return True
        bare = metric.removeprefix("val_")
        return value > best if bare in self.higher_is_better else value < best
