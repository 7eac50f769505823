"""One optimizer step, in two halves, shared by the loop (:mod:`rnnkit.train.loop`) and the
learning-rate range test (:mod:`rnnkit.train.lr_find`), so that both train the same way:

    zero_grad -> forward (autocast) -> [the caller checks the loss] -> backward -> unscale
    -> clip the global gradient norm -> optimizer step -> scaler update
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from rnnkit.config import TrainConfig
from rnnkit.train.device import autocast


def forward_loss(
    task: Any,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: Any,
    carry: Any,
    device: torch.device,
    precision: str,
) -> tuple[Tensor, Any]:
    """Train mode, the gradients zeroed, and the task's loss of ``batch`` (under autocast
    when ``precision`` says so) with the state to carry to the next batch."""
    model.train()
    optimizer.zero_grad(set_to_none=True)
    with autocast(device, precision):
        return task.training_step(model, batch, carry)


def backward_step(
    loss: Tensor,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    cfg: TrainConfig,
) -> float:
    """Back-propagate ``loss``, clip to ``cfg.clip_grad_norm`` (0 = no clipping) and step;
    returns the gradient norm before clipping."""
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    clip = cfg.clip_grad_norm if cfg.clip_grad_norm > 0 else math.inf
    grad_norm = float(nn.utils.clip_grad_norm_(model.parameters(), clip))
    scaler.step(optimizer)
    scaler.update()
    return grad_norm
