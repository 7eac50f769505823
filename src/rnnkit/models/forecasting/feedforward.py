"""Forecasters without recurrence, for comparison: seed 003's MLP and a DLinear-style linear
map. Contract and shapes as in :mod:`rnnkit.models.forecasting.base`."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.models.forecasting.base import ForecastNet
from rnnkit.models.sequence import feed_forward


class MLP(ForecastNet):
    """Seed 003's FullyConnected net on the window: :func:`~rnnkit.models.sequence.feed_forward`
    from L inputs to H Q outputs."""

    def __init__(self, cfg, input_length, horizon, n_series=1, n_features=0) -> None:
        super().__init__(cfg, input_length, horizon, n_series, n_features)
        self.net = feed_forward(input_length, cfg.hidden_size, horizon * self.outputs)

    def forward(self, x, targets=None, ids=None, past=None, future=None):
        z, stats = self.revin.normalise(x)  # (N, L)
        y = self.net(z).view(x.size(0), self.horizon, self.outputs)  # (N, H, Q)
        return self.finish(y, stats, targets)


def moving_average(x: Tensor, kernel: int) -> Tensor:
    """Centred moving average of ``(N, L)`` with the ends repeated, same shape (DLinear)."""
    left, right = (kernel - 1) // 2, kernel // 2
    padded = F.pad(x.unsqueeze(1), (left, right), mode="replicate")  # (N, 1, L + kernel - 1)
    return F.avg_pool1d(padded, kernel, stride=1).squeeze(1)


class LinearForecaster(ForecastNet):
    """DLinear-style: ``x = trend + remainder`` (moving average of 25 steps, at most L),
    ``f = Linear_t(trend) + Linear_r(remainder)``, each ``L -> H Q``."""

    def __init__(self, cfg, input_length, horizon, n_series=1, n_features=0, kernel=25) -> None:
        super().__init__(cfg, input_length, horizon, n_series, n_features)
        self.kernel = min(kernel, input_length)
        self.trend = nn.Linear(input_length, horizon * self.outputs)
        self.remainder = nn.Linear(input_length, horizon * self.outputs)

    def forward(self, x, targets=None, ids=None, past=None, future=None):
        z, stats = self.revin.normalise(x)
        trend = moving_average(z, self.kernel)  # (N, L)
        y = self.trend(trend) + self.remainder(z - trend)  # (N, H*Q)
        return self.finish(y.view(x.size(0), self.horizon, self.outputs), stats, targets)


__all__ = ["MLP", "LinearForecaster", "moving_average"]
