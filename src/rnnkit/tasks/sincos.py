"""Task ``sincos``: seed 000's stream regression, sin(x) in, cos(x) out, state carried.

The stream is cut into segments of ``points`` float32 points evenly spaced over
``[kπ, (k+1)π]`` for k = 0, 1, 2, ... One training step sees one segment, shape
``(1, points, 1)``, starting from the hidden state left by the previous segment, detached
(truncated back-propagation through time). Validation continues the stream past the last
trained segment from the carried state, without changing it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from rnnkit.config import POSITIVE, DataConfig, ModelConfig, Range, TrainConfig
from rnnkit.errors import ConfigError
from rnnkit.models import SequenceRegressor
from rnnkit.tasks.base import Task


@dataclass
class SinCosData(DataConfig):
    format: str = "sincos"  # generated, no file
    segments: int = 1000  # π-segments in one pass over the training stream
    points: int = 10  # points per segment
    eval_segments: int = 5  # segments predicted ahead for validation

    ranges: ClassVar[dict[str, Range]] = {
        "segments": POSITIVE,
        "points": POSITIVE,
        "eval_segments": POSITIVE,
    }


@dataclass
class SinCosModel(ModelConfig):
    cell: str = "rnn"
    hidden_size: int = 32


@dataclass
class SinCosTrain(TrainConfig):
    batch_size: int = 1  # one stream: one segment per step (the only size this task takes)
    default_epochs = 1  # one pass over the `segments` of the stream


def segment(k: int, points: int) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """Segment ``k``: input sin, target cos, both (1, points, 1), and the x values."""
    x = np.linspace(k * math.pi, (k + 1) * math.pi, points, dtype=np.float32)
    sin = torch.from_numpy(np.sin(x)).view(1, points, 1)
    cos = torch.from_numpy(np.cos(x)).view(1, points, 1)
    return sin, cos, x


class SinCosTask(Task):
    name = "sincos"
    fixed_shapes = True  # windows of one length: freed memory is kept (nn.fast.memory)
    data_config = SinCosData
    model_config = SinCosModel
    train_config = SinCosTrain
    stateful = True

    def setup(self) -> None:
        if self.config.train.batch_size != 1:
            raise ConfigError(
                f"train.batch_size must be 1 for task sincos (one stream), "
                f"received {self.config.train.batch_size}"
            )
        self.position = -1  # index of the last segment trained on

    def on_load(self, meta: dict) -> None:
        self.position = meta.get("loop", {}).get("epoch_step", 0) - 1

    def steps_per_epoch(self, world: int = 1) -> int:
        return self.config.data.segments

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1):
        for k in range(self.config.data.segments):
            self.position = k
            sin, cos, _ = segment(k, self.config.data.points)
            yield sin.to(self.device), cos.to(self.device)

    def build_model(self) -> nn.Module:
        return SequenceRegressor(self.config.model, input_size=1, output_size=1)

    def training_step(self, model, batch, state):
        x, y = batch
        _, loss, state = model(x, y, state)
        return loss, state

    def _continue(self, model, state, count: int):
        """Predict ``count`` segments after the last trained one, from ``state``."""
        rows, losses = [], []
        for k in range(self.position + 1, self.position + 1 + count):
            sin, cos, x = segment(k, self.config.data.points)
            out, loss, state = model(sin.to(self.device), cos.to(self.device), state)
            losses.append(float(loss))
            rows.append(
                (
                    k,
                    x,
                    sin.flatten().numpy(),
                    cos.flatten().numpy(),
                    out.detach().flatten().cpu().numpy(),
                )
            )
        return rows, losses

    def evaluate(self, model, split: str = "validation", state=None) -> dict:
        _, losses = self._continue(model, state, self.config.data.eval_segments)
        return {"loss": sum(losses) / len(losses)}

    def predictions(self, model, state=None) -> pd.DataFrame:
        with torch.no_grad():
            rows, _ = self._continue(model, state, self.config.data.eval_segments)
        frames = [
            pd.DataFrame({"segment": k, "x": x, "sin": s, "cos": c, "prediction": p})
            for k, x, s, c, p in rows
        ]
        return pd.concat(frames, ignore_index=True)

    def plots(self, model, plots_dir: Path, state=None):
        import matplotlib.pyplot as plt

        from rnnkit.report.plots import save

        with torch.no_grad():
            rows, _ = self._continue(model, state, 1)
        k, x, sin, cos, pred = rows[0]
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.plot(x, sin, "b-", label="input sin(x)")
        ax.plot(x, cos, "g-", label="target cos(x)")
        ax.plot(x, pred, "r--o", markersize=4, label="prediction")
        ax.set_xlabel("x")
        ax.set_title(f"segment {k}: [{k}π, {k + 1}π], predicted from the carried hidden state")
        ax.legend()
        ax.grid(True, alpha=0.3)
        return [("Next segment, from the carried state", save(fig, plots_dir / "sincos.png"))]
