"""A streaming forecaster that carries its hidden state across calls.

The RNN reads the series one observation at a time; after each step ``t`` a Linear head
emits the next H values from ``h_t``. Training uses windows of L steps from a zero state and
scores every position past ``burn_in`` (targets ``x[t+1 : t+H+1]``), so the network learns to
forecast from a state that has read any amount of history. At prediction time the state
after the history is kept: new observations advance it by exactly their own steps, and the
forecast is ready without re-reading anything (``O(new steps)`` per call).

The series are scaled once by the per-series scaler fitted on training rows (no per-window
normalisation, which would need the whole window again).
"""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from rnnkit.errors import ConfigError
from rnnkit.models.common import recurrent_from_config
from rnnkit.models.forecasting.base import ForecastNet, step_inputs
from rnnkit.models.forecasting.recurrent import refuse_bidirectional


class StatefulRNN(ForecastNet):
    """``h_t = cell([z_t, feat_t, e_id], h_{t-1})``, ``f_t = Linear(h_t)`` ``(H, Q)``."""

    def __init__(self, cfg, input_length, horizon, n_series=1, n_features=0) -> None:
        no_revin = dataclasses.replace(cfg, revin="none")
        super().__init__(no_revin, input_length, horizon, n_series, n_features)
        refuse_bidirectional(cfg)
        self.burn_in = cfg.burn_in if cfg.burn_in else input_length // 4
        if not 0 <= self.burn_in < input_length:
            raise ConfigError(
                f"burn_in must be in [0, input_length={input_length}), received {self.burn_in}"
            )
        self.rnn = recurrent_from_config(cfg, 1 + n_features + self.embedding_size)
        self.head = torch.nn.Linear(self.rnn.out_features, horizon * self.outputs)

    def step(
        self, z: Tensor, state=None, ids: Tensor | None = None, feats: Tensor | None = None
    ) -> tuple[Tensor, object]:
        """Advance over ``z`` ``(N, T)`` new scaled values from ``state``; return the
        forecasts after every step ``(N, T, H, Q)`` and the new state."""
        out, state = self.rnn(step_inputs(z, feats, self.series_vector(ids)), state)
        raw = self.head(out).view(len(z), z.shape[1], self.horizon, self.outputs)
        return self.loss_fn.shape(raw), state

    def forward(self, x, targets=None, ids=None, past=None, future=None):
        every, _ = self.step(x, None, ids, past)  # (N, L, H, Q)
        loss = None
        if targets is not None:
            block = torch.cat([x, targets], 1)  # (N, L + H)
            per_step = block[:, 1:].unfold(1, self.horizon, 1)  # (N, L, H): targets after t
            b = self.burn_in
            loss = self.loss_fn(every[:, b:].flatten(0, 1), per_step[:, b:].flatten(0, 1))
        return every[:, -1], loss


__all__ = ["StatefulRNN"]
