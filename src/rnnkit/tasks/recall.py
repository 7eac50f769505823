"""Task ``recall``: a long-memory probe. Remember the first input after ``delay`` steps.

Each sequence has ``delay`` steps: the first input is the signal s = ±1, the others are
Gaussian noise (std ``noise``); the target, read at the last step only, is s. A network that
cannot carry information across ``delay`` steps stays at the chance loss (MSE 1); vanishing
and exploding gradients make that the usual outcome for a tanh RNN at long delays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.config import NON_NEGATIVE, POSITIVE, DataConfig, ModelConfig, Range
from rnnkit.data.batching import IndexBatches
from rnnkit.errors import ConfigError
from rnnkit.models.common import recurrent_from_config
from rnnkit.tasks.base import Task


@dataclass
class RecallData(DataConfig):
    format: str = "generated"
    delay: int = 50  # sequence length: the signal is at step 0, the answer at step delay-1
    noise: float = 0.5  # std of the distractor inputs
    examples: int = 2048  # training sequences (validation: a quarter as many)

    ranges: ClassVar[dict[str, Range]] = {
        **dict.fromkeys(("delay", "examples"), POSITIVE),
        "noise": NON_NEGATIVE,
    }


@dataclass
class RecallModel(ModelConfig):
    cell: str = "rnn"
    hidden_size: int = 32
    hh_init: str = "default"  # default (torch's uniform) | orthogonal (times hh_gain)
    hh_gain: float = 1.0  # gain of the orthogonal W_hh: > 1 puts a tanh RNN where gradients explode


class LastStepRegressor(nn.Module):
    """Recurrent layer, then a Linear on the last step: ``forward(x, targets) -> (y, loss)``."""

    def __init__(self, cfg: RecallModel, input_size: int = 1) -> None:
        super().__init__()
        self.rnn = recurrent_from_config(cfg, input_size)
        self.head = nn.Linear(self.rnn.out_features, 1)
        if cfg.hh_init == "orthogonal":
            for name, weight in self.rnn.named_parameters():
                if name.startswith("weight_hh"):
                    for block in weight.data.chunk(weight.size(0) // weight.size(1)):
                        nn.init.orthogonal_(block, gain=cfg.hh_gain)
        elif cfg.hh_init != "default":
            raise ConfigError(
                f"model.hh_init must be default or orthogonal, received {cfg.hh_init!r}"
            )

    def forward(self, x, targets=None):
        hidden, _ = self.rnn(x)  # (N, L, D*H)
        y = self.head(hidden[:, -1]).squeeze(-1)  # (N,)
        return y, None if targets is None else F.mse_loss(y, targets)


def make_split(n: int, delay: int, noise: float, seed: int):
    g = torch.Generator().manual_seed(seed)
    signal = torch.randint(0, 2, (n,), generator=g).float() * 2 - 1
    x = torch.randn(n, delay, 1, generator=g) * noise
    x[:, 0, 0] = signal
    return x, signal


class RecallTask(Task):
    name = "recall"
    data_config = RecallData
    model_config = RecallModel

    def setup(self) -> None:
        d, seed = self.config.data, self.config.train.seed
        self.splits = {
            "train": make_split(d.examples, d.delay, d.noise, seed),
            "validation": make_split(max(1, d.examples // 4), d.delay, d.noise, seed + 1),
        }
        self.batches = IndexBatches(d.examples, self.config.train.batch_size, seed=seed)

    def steps_per_epoch(self, world: int = 1) -> int:
        return len(self.batches)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1):
        x, y = self.splits["train"]
        for idx in self.batches.epoch(epoch, rank, world):
            yield x[idx].to(self.device), y[idx].to(self.device)

    def batch_examples(self, batch) -> int:
        return len(batch[0])

    def build_model(self):
        return LastStepRegressor(self.config.model)

    def training_step(self, model, batch, state):
        _, loss = model(*batch)
        return loss, None

    def evaluate(self, model, split: str = "validation", state=None) -> dict:
        x, y = (t.to(self.device) for t in self.splits[split])
        pred, loss = model(x, y)
        return {"loss": float(loss), "accuracy": float((pred.sign() == y).float().mean())}
