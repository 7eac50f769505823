"""Training losses over forecasts ``(N, H, Q)`` and targets ``(N, H)``.

``mse`` and ``mae`` use the single output (Q = 1). ``quantile`` is the pinball loss averaged
over the Q quantiles ``q``: ``mean max(q (y - f_q), (q - 1)(y - f_q))``; its forecasts give
prediction intervals and, at q = 0.5, the median as the point forecast.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError

LOSSES = ("mse", "mae", "quantile")


class ForecastLoss(nn.Module):
    """One of ``mse | mae | quantile`` (with ``quantiles``), as a module."""

    def __init__(self, kind: str = "mae", quantiles: list[float] | None = None) -> None:
        super().__init__()
        if kind not in LOSSES:
            raise ConfigError(f"loss must be one of {', '.join(LOSSES)}, received {kind!r}")
        quantiles = list(quantiles or [])
        if kind == "quantile" and not quantiles:
            raise ConfigError("loss 'quantile' needs quantiles, e.g. [0.1, 0.5, 0.9]")
        for q in quantiles:
            if not 0.0 < q < 1.0:
                raise ConfigError(f"quantiles must lie in (0, 1), received {q}")
        self.kind = kind
        self.register_buffer("q", torch.tensor(quantiles or [0.5], dtype=torch.float32))

    @property
    def outputs(self) -> int:
        """Q, the outputs per step."""
        return len(self.q) if self.kind == "quantile" else 1

    def forward(self, forecast: Tensor, target: Tensor) -> Tensor:
        if self.kind == "mse":
            return (forecast[..., 0] - target).pow(2).mean()
        if self.kind == "mae":
            return (forecast[..., 0] - target).abs().mean()
        diff = target.unsqueeze(-1) - forecast  # (N, H, Q)
        return torch.maximum(self.q * diff, (self.q - 1) * diff).mean()

    def point(self, forecast: Tensor) -> Tensor:
        """The point forecast ``(N, H)``: the only output, or the quantile nearest 0.5."""
        if self.kind != "quantile":
            return forecast[..., 0]
        return forecast[..., int((self.q - 0.5).abs().argmin())]
