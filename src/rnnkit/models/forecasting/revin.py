"""Reversible instance normalisation of each input window (RevIN, Kim et al. 2022)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError

REVIN_MODES = ("last", "mean", "none")


class RevIN(nn.Module):
    """Reversible instance normalisation of each window.

    ``mode="last"`` subtracts the last input value (SegRNN); ``"mean"`` subtracts the window
    mean and divides by its standard deviation (RevIN without affine weights); ``"none"`` is
    the identity. ``normalise(x)``: ``(N, L)`` -> ``(N, L)`` plus the statistics;
    ``denormalise(y, stats)``: ``(N, H, ...)`` -> same shape.
    """

    def __init__(self, mode: str = "last") -> None:
        super().__init__()
        if mode not in REVIN_MODES:
            raise ConfigError(f"revin must be one of last, mean, none, received {mode!r}")
        self.mode = mode

    def normalise(self, x: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        if self.mode == "last":
            loc, scale = x[:, -1:], torch.ones_like(x[:, -1:])
        elif self.mode == "mean":
            loc = x.mean(dim=1, keepdim=True)
            scale = (x.var(dim=1, keepdim=True, unbiased=False) + 1e-5).sqrt()
        else:
            loc, scale = torch.zeros_like(x[:, -1:]), torch.ones_like(x[:, -1:])
        return (x - loc) / scale, (loc, scale)

    def denormalise(self, y: Tensor, stats: tuple[Tensor, Tensor]) -> Tensor:
        loc, scale = stats
        shape = (y.shape[0],) + (1,) * (y.dim() - 1)
        return y * scale.reshape(shape) + loc.reshape(shape)
