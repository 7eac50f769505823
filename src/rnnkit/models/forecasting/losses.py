"""Training losses over forecasts ``(N, H, Q)`` and targets ``(N, H)``.

``mse`` and ``mae`` use the single output (Q = 1). ``quantile`` is the pinball loss averaged
over the Q quantiles ``q``: ``mean max(q (y - f_q), (q - 1)(y - f_q))``; its forecasts give
prediction intervals and, at q = 0.5, the median as the point forecast.

Quantile forecasts cannot cross: :meth:`ForecastLoss.shape` turns the raw outputs into the
output at the level nearest 0.5 plus cumulative softplus increments above it and decrements
below it, so ``f_{q_1} <= f_{q_2} <= ...`` for increasing levels, whatever the weights.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.errors import ConfigError
from rnnkit.models.forecasting.likelihood import LIKELIHOODS, Likelihood

LOSSES = ("mse", "mae", "quantile", "gaussian", "student_t", "negbin")


class ForecastLoss(nn.Module):
    """One of ``mse | mae | quantile`` (with ``quantiles``), as a module."""

    def __init__(self, kind: str = "mae", quantiles: list[float] | None = None) -> None:
        super().__init__()
        self.likelihood = Likelihood(kind) if kind in LIKELIHOODS else None
        if kind not in LOSSES:
            raise ConfigError(f"loss must be one of {', '.join(LOSSES)}, received {kind!r}")
        quantiles = list(quantiles or [])
        if kind == "quantile" and not quantiles:
            raise ConfigError("loss 'quantile' needs quantiles, e.g. [0.1, 0.5, 0.9]")
        for q in quantiles:
            if not 0.0 < q < 1.0:
                raise ConfigError(f"quantiles must lie in (0, 1), received {q}")
        if any(b <= a for a, b in zip(quantiles, quantiles[1:])):
            raise ConfigError(f"quantiles must be increasing, received {quantiles}")
        self.kind = kind
        self.register_buffer("q", torch.tensor(quantiles or [0.5], dtype=torch.float32))

    @property
    def outputs(self) -> int:
        """Q, the outputs per step (the distribution's parameters for a likelihood)."""
        if self.likelihood is not None:
            return self.likelihood.size
        return len(self.q) if self.kind == "quantile" else 1

    def forward(self, forecast: Tensor, target: Tensor) -> Tensor:
        if self.likelihood is not None:  # the mean negative log-likelihood
            return -self.likelihood.log_prob(forecast, target).mean()
        if self.kind == "mse":
            return (forecast[..., 0] - target).pow(2).mean()
        if self.kind == "mae":
            return (forecast[..., 0] - target).abs().mean()
        diff = target.unsqueeze(-1) - forecast  # (N, H, Q)
        return torch.maximum(self.q * diff, (self.q - 1) * diff).mean()

    @property
    def median_index(self) -> int:  # (a likelihood's first parameter is its mean)
        """Which output is the point forecast: the only one, or the level nearest 0.5."""
        return int((self.q - 0.5).abs().argmin()) if self.kind == "quantile" else 0

    def denormalise(self, out: Tensor, revin, stats) -> Tensor:
        """Undo the model's per-window normalisation (the parameters of a likelihood map as
        a distribution's do; other outputs affinely, by ``revin``)."""
        if self.likelihood is None:
            return revin.denormalise(out, stats)
        loc, scale = stats  # (N, 1) each
        return self.likelihood.denormalise(out, loc, scale)

    def shape(self, raw: Tensor) -> Tensor:
        """Raw outputs ``(..., Q)`` -> forecasts, increasing along Q for quantile losses,
        valid parameters for a likelihood."""
        if self.likelihood is not None:
            return self.likelihood.params(raw)
        if self.kind != "quantile" or raw.shape[-1] == 1:
            return raw
        k = self.median_index
        mid = raw[..., k : k + 1]
        above = torch.cumsum(F.softplus(raw[..., k + 1 :]), -1)
        below = torch.flip(torch.cumsum(torch.flip(F.softplus(raw[..., :k]), [-1]), -1), [-1])
        return torch.cat([mid - below, mid, mid + above], -1)

    def point(self, forecast: Tensor) -> Tensor:
        """The point forecast ``(N, H)``: the only output, or the quantile nearest 0.5."""
        return forecast[..., self.median_index]
