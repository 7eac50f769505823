"""Sequence-to-sequence regression models (seed 000 and seed 003).

Both follow one contract: ``forward(x, targets=None, state=None) -> (output, loss, state)``
with ``x`` of shape ``(N, L, H_in)`` and ``output`` ``(N, L, H_target)``; ``loss`` is the
MSE against ``targets`` (None without targets); ``state`` is the recurrent state to carry
into the next call (None for the fully connected net).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import ModelConfig
from rnnkit.models.common import recurrent_from_config


class SequenceRegressor(nn.Module):
    """A recurrent layer and a Linear head applied at every step (seed 000's RNN + Linear).

    ``y_t = W_o h_t + b_o`` with ``h_t`` from any rnnkit layer. For a Jordan network the
    layer's own output ``y_t`` (fed back at the next step) is the prediction, so the head is
    the identity when the sizes already match.
    """

    def __init__(self, cfg: ModelConfig, input_size: int = 1, output_size: int = 1) -> None:
        super().__init__()
        self.rnn = recurrent_from_config(cfg, input_size, jordan_output_size=output_size)
        width = self.rnn.out_features
        self.head = nn.Identity() if width == output_size else nn.Linear(width, output_size)

    def forward(self, x: Tensor, targets: Tensor | None = None, state=None):
        hidden, state = self.rnn(x, state)  # (N, L, D*H_out)
        output = self.head(hidden)  # (N, L, H_target)
        loss = None if targets is None else F.mse_loss(output, targets)
        return output, loss, state


def feed_forward(in_features: int, hidden_size: int, out_features: int) -> nn.Sequential:
    """Seed 003's FullyConnected network: ``Linear(in -> h)``, tanh, ``Linear(h -> h)``, tanh,
    ``Linear(h -> out)``; ``(N, in)`` -> ``(N, out)``. The regression and forecasting MLPs
    are this one network."""
    return nn.Sequential(
        nn.Linear(in_features, hidden_size),
        nn.Tanh(),
        nn.Linear(hidden_size, hidden_size),
        nn.Tanh(),
        nn.Linear(hidden_size, out_features),
    )


class FullyConnected(nn.Module):
    """Seed 003's feed-forward baseline over a whole window, window in and window out:
    :func:`feed_forward` with ``in = out = L``. Input and output ``(N, L, 1)``."""

    def __init__(self, window: int, hidden_size: int) -> None:
        super().__init__()
        self.net = feed_forward(window, hidden_size, window)

    def forward(self, x: Tensor, targets: Tensor | None = None, state=None):
        output = self.net(x.squeeze(-1)).unsqueeze(-1)  # (N, L) -> (N, L, 1)
        loss = None if targets is None else F.mse_loss(output, targets)
        return output, loss, None


__all__ = ["SequenceRegressor", "FullyConnected", "feed_forward"]
