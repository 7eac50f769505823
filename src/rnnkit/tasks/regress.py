"""Task ``regress``: seed 003's window regression on one daily series, the next value at
every step (input ``x[t : t+W]``, target ``x[t+1 : t+W+1]``).

The series is split chronologically: the last ``test_size`` points are the test part, the
``validation_fraction`` of windows before them the validation part. Values are standardised
with the mean and standard deviation of the training rows only. ``[model] kind`` chooses the
recurrent net with a per-step Linear (``"recurrent"``) or seed 003's FullyConnected (``"fc"``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import torch

from rnnkit import datasets
from rnnkit.config import NON_NEGATIVE, POSITIVE, DataConfig, ModelConfig, Range
from rnnkit.data.batching import IndexBatches
from rnnkit.data.csvseries import DECIMALS, numeric_column, open_csv
from rnnkit.errors import CheckpointError, ConfigError, DataError
from rnnkit.io import atomic_write_text, read_json
from rnnkit.models import FullyConnected, SequenceRegressor
from rnnkit.tasks import memory
from rnnkit.tasks.base import Task

FLOAT32_MAX = float(np.finfo(np.float32).max)  # the model computes in float32


@dataclass
class RegressData(DataConfig):
    format: str = "csv"  # a CSV with one numeric column to model
    column: str = ""  # the value column ("" = the last column)
    window: int = 10  # W, days in each input window
    test_size: int = 365  # points held out at the end of the series for the test
    snapshot_every: int = 5  # epochs between prediction/label/input overlays (0 = none)
    decimal: str = "."  # decimal mark of the CSV: "." | "," (then ";" or tab separated)

    choices: ClassVar[dict[str, tuple]] = {"decimal": DECIMALS}
    ranges: ClassVar[dict[str, Range]] = {
        "window": POSITIVE,
        **dict.fromkeys(("test_size", "snapshot_every"), NON_NEGATIVE),
    }


@dataclass
class RegressModel(ModelConfig):
    kind: str = "recurrent"  # recurrent (any cell, per-step Linear) | fc (FullyConnected)
    cell: str = "rnn"
    hidden_size: int = 2

    choices: ClassVar[dict[str, tuple]] = {"kind": ("recurrent", "fc")}


def windows(values: np.ndarray, window: int) -> tuple[torch.Tensor, torch.Tensor]:
    """All windows with stride 1: inputs and targets shifted by one, each (M, W, 1)."""
    t = torch.from_numpy(values)
    frames = t.unfold(0, window + 1, 1)  # (M, W+1)
    return frames[:, :-1].unsqueeze(-1).contiguous(), frames[:, 1:].unsqueeze(-1).contiguous()


class WindowRegressionTask(Task):
    name = "regress"
    fixed_shapes = True  # windows of one length: freed memory is kept (nn.fast.memory)
    data_config = RegressData
    model_config = RegressModel
    memory_splits = ("train",)

    def setup(self) -> None:
        cfg = self.config.data
        if self.config.model.kind not in ("recurrent", "fc"):
            raise ConfigError(
                f"model.kind must be recurrent or fc, received {self.config.model.kind!r}"
            )
        obj = self.from_memory("train")
        if obj is None:
            path = datasets.resolve(cfg.train, "daily-min-temperatures")
            frame, source = open_csv(path, cfg.decimal)
            self.column, values = numeric_column(frame, cfg.column, source)
        else:
            path = "train"
            self.column, values = memory.numeric_values(obj, "train", cfg.column)
        n_test = cfg.test_size
        if len(values) - n_test < 3 * (cfg.window + 1):
            raise DataError(
                f"{path} has {len(values)} points: too few for window={cfg.window} "
                f"and test_size={n_test}"
            )
        train_values = values[: len(values) - n_test]
        self.mean, self.std = float(train_values.mean()), float(train_values.std()) or 1.0
        scaled = (values - self.mean) / self.std
        x, y = windows(scaled[: len(values) - n_test], cfg.window)
        n_val = max(1, int(len(x) * cfg.validation_fraction))
        self.splits = {"train": (x[:-n_val], y[:-n_val]), "validation": (x[-n_val:], y[-n_val:])}
        if n_test:  # test windows may look back into the training rows, never forward
            tx, ty = windows(scaled[len(values) - n_test - cfg.window :], cfg.window)
            self.splits["test"] = (tx, ty)
        self.batches = IndexBatches(
            len(self.splits["train"][0]), self.config.train.batch_size, seed=self.config.train.seed
        )

    def save_artifacts(self, run_dir: Path) -> None:
        scaler = json.dumps({"mean": self.mean, "std": self.std})
        atomic_write_text(run_dir / "scaler.json", scaler + "\n")

    def load_artifacts(self, run_dir: Path) -> None:
        path = run_dir / "scaler.json"
        scaler = read_json(path, "scaler", {"mean": (int, float), "std": (int, float)})
        if not (math.isfinite(scaler["mean"]) and math.isfinite(scaler["std"])):
            raise CheckpointError(f"{path} is not a valid scaler: mean and std must be finite")
        self.mean, self.std = scaler["mean"], scaler["std"]

    def evaluate_path(self, model, path: str) -> dict:
        """Window MSE (scaled) and next-day RMSE over every window of a CSV file."""
        frame, source = open_csv(path, self.config.data.decimal)
        column, values = numeric_column(frame, self.config.data.column, source)
        if len(values) <= self.config.data.window:
            raise DataError(
                f"{path} has {len(values)} values; the window needs at least "
                f"{self.config.data.window + 1}"
            )
        self.splits = {"file": windows((values - self.mean) / self.std, self.config.data.window)}
        return self.evaluate(model, "file")

    def export_spec(self, model):
        """Windows ``x (N, W, 1)`` in (scaled), per-step predictions ``(N, W, 1)`` out."""
        from rnnkit.export import ExportSpec, FirstOutput

        x = torch.randn(2, self.config.data.window, 1)
        axes = {"x": {0: "N", 1: "L"}, "y": {0: "N", 1: "L"}}
        return ExportSpec(FirstOutput(model, ("x",)), (x,), ["x"], ["y"], axes)

    @torch.no_grad()
    def next_values(self, model, windows: list[list[float]]) -> list[float]:
        """The predicted next value (data units) after each window of ``data.window`` values."""
        x = (torch.tensor(windows, dtype=torch.float32) - self.mean) / self.std
        out, _, _ = model(x.unsqueeze(-1).to(self.device))
        return (out[:, -1, 0].cpu() * self.std + self.mean).tolist()

    def has_split(self, split: str) -> bool:
        return split in self.splits

    def steps_per_epoch(self, world: int = 1) -> int:
        return len(self.batches)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1):
        x, y = self.splits["train"]
        for idx in self.batches.epoch(epoch, rank, world):
            yield x[idx].to(self.device), y[idx].to(self.device)

    def batch_examples(self, batch) -> int:
        return len(batch[0])

    def build_model(self):
        cfg = self.config.model
        if cfg.kind == "fc":
            return FullyConnected(self.config.data.window, cfg.hidden_size)
        return SequenceRegressor(cfg, input_size=1, output_size=1)

    def training_step(self, model, batch, state):
        x, y = batch
        _, loss, _ = model(x, y)
        return loss, None

    def evaluate(self, model, split: str = "validation", state=None) -> dict:
        x, y = (t.to(self.device) for t in self.splits[split])
        out, loss, _ = model(x, y)
        last = (out[:, -1] - y[:, -1]).float() * self.std  # next-day error in data units
        return {"loss": float(loss), "rmse_next": float(last.pow(2).mean().sqrt())}

    def _next_day(self, model, split: str) -> pd.DataFrame:
        x, y = self.splits[split]
        with torch.no_grad():
            out, _, _ = model(x.to(self.device))
        unscale = lambda t: t[:, -1, 0].cpu().numpy() * self.std + self.mean  # noqa: E731
        return pd.DataFrame(
            {"index": np.arange(len(x)), "actual": unscale(y), "predicted": unscale(out)}
        )

    def predictions(self, model, state=None):
        return self._next_day(model, "test" if "test" in self.splits else "validation")

    def _overlay(self, model, path: Path, title: str) -> Path:
        import matplotlib.pyplot as plt

        from rnnkit.report.plots import save

        x, y = (t[:1].to(self.device) for t in self.splits["validation"])
        with torch.no_grad():
            out, _, _ = model(x)
        steps = np.arange(self.config.data.window)
        fig, ax = plt.subplots(figsize=(6, 3.2))
        ax.plot(steps, x[0, :, 0].cpu(), "b.-", label="input")
        ax.plot(steps, y[0, :, 0].cpu(), "g.-", label="label (input shifted by one)")
        ax.plot(steps, out[0, :, 0].cpu(), "r.--", label="prediction")
        ax.set_title(title)
        ax.set_xlabel("day in window")
        ax.set_ylabel(f"{self.column} (standardised)")
        ax.legend(fontsize=8)
        return save(fig, path)

    def snapshot(self, model, run_dir: Path, epoch: int, step: int) -> None:
        every = self.config.data.snapshot_every
        if every and epoch % every == 0:
            self._overlay(
                model,
                run_dir / "plots" / f"overlay_epoch{epoch:03d}.png",
                f"validation window after epoch {epoch}",
            )

    def plots(self, model, plots_dir: Path, state=None):
        import matplotlib.pyplot as plt

        from rnnkit.report.plots import save

        frame = self.predictions(model)[:120]
        fig, ax = plt.subplots(figsize=(8, 3.5))
        ax.plot(frame["index"], frame["actual"], label="actual")
        ax.plot(frame["index"], frame["predicted"], label="predicted (next day)")
        ax.set_xlabel("day of the test part")
        ax.set_ylabel(self.column)
        ax.legend()
        out = [("Next-day predictions on the test part", save(fig, plots_dir / "test_pred.png"))]
        out.append(
            (
                "Prediction, label and input on a validation window",
                self._overlay(model, plots_dir / "overlay_final.png", "final model"),
            )
        )
        return out
