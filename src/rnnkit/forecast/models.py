"""Forecasting networks. One contract for all of them::

    forward(x, targets=None, ids=None, past=None, future=None) -> (forecast, loss)

with ``x`` ``(N, L)`` the (scaled) input window, ``targets`` ``(N, H)``, ``ids`` ``(N,)`` the
series index (for the id embedding), ``past`` ``(N, L, F)`` and ``future`` ``(N, H, F)`` the
known covariates at input and target steps (calendar features, user covariates), and
``forecast`` ``(N, H, Q)`` with Q = 1 or the number of quantiles. ``loss`` is None without
targets. Each recurrent model takes any cell and backend of :mod:`rnnkit.nn` through
:func:`~rnnkit.models.common.recurrent_from_config`.

* :class:`DirectRNN`: encode L steps, a Linear head emits all H values from the last state.
* :class:`AutoregressiveRNN`: one step at a time, feeding back its own forecast; while
  training with ``teacher_forcing`` the true previous values are fed, in one parallel pass.
* :class:`SegRNN`: the window is cut into segments of W steps embedded by a Linear; the cell
  runs over L/W segments; H/W output segments are decoded in parallel from the final state,
  each from a position embedding (plus the series embedding), as in SegRNN (Lin et al. 2023).
* :class:`MLP`: seed 003's FullyConnected net on the window. :class:`LinearForecaster`:
  DLinear's trend/remainder decomposition with one Linear map each.
* :class:`StatefulRNN` lives in :mod:`rnnkit.forecast.stateful`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.forecast.config import ForecastModel
from rnnkit.forecast.losses import ForecastLoss
from rnnkit.forecast.scaling import RevIN
from rnnkit.models.common import recurrent_from_config


def map_state(fn, state):
    """Apply ``fn`` to every tensor of a recurrent state (``h``, ``(h, c)`` or ``(h, y)``)."""
    if isinstance(state, Tensor):
        return fn(state)
    return type(state)(fn(s) for s in state)


class _Base(nn.Module):
    """Shared parts: the loss, RevIN and the optional series-id embedding."""

    def __init__(
        self, cfg: ForecastModel, input_length: int, horizon: int, n_series: int, n_features: int
    ) -> None:
        super().__init__()
        self.L, self.H, self.F = input_length, horizon, n_features
        self.loss_fn = ForecastLoss(cfg.loss, cfg.quantiles)
        self.Q = self.loss_fn.outputs
        self.revin = RevIN(cfg.revin)
        self.embed = nn.Embedding(n_series, cfg.id_embedding) if cfg.id_embedding else None
        self.E = cfg.id_embedding

    def _id_vec(self, ids: Tensor | None, n: int, x: Tensor) -> Tensor | None:
        if self.embed is None:
            return None
        if ids is None:
            raise ValueError("this model has a series-id embedding: pass ids (N,)")
        return self.embed(ids)

    def _finish(self, out: Tensor, stats, targets: Tensor | None):
        out = self.revin.denormalise(out, stats)
        loss = None if targets is None else self.loss_fn(out, targets)
        return out, loss


class DirectRNN(_Base):
    """Encoder RNN over ``[x_t, past_t, e_id]``; ``Linear([h_L, e_id, future]) -> H * Q``."""

    def __init__(
        self,
        cfg: ForecastModel,
        input_length: int,
        horizon: int,
        n_series: int = 1,
        n_features: int = 0,
    ) -> None:
        super().__init__(cfg, input_length, horizon, n_series, n_features)
        self.rnn = recurrent_from_config(cfg, 1 + n_features + self.E)
        width = self.rnn.out_features + self.E + horizon * n_features
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(width, horizon * self.Q)

    def forward(self, x, targets=None, ids=None, past=None, future=None):
        z, stats = self.revin.normalise(x)  # (N, L)
        e = self._id_vec(ids, x.size(0), x)
        steps = [z.unsqueeze(-1)]
        if self.F:
            steps.append(past)
        if e is not None:
            steps.append(e.unsqueeze(1).expand(-1, self.L, -1))
        out, _ = self.rnn(torch.cat(steps, -1))  # (N, L, D*H_out)
        parts = [out[:, -1]]
        if e is not None:
            parts.append(e)
        if self.F:
            parts.append(future.flatten(1))
        y = self.head(self.drop(torch.cat(parts, -1))).view(x.size(0), self.H, self.Q)
        return self._finish(y, stats, targets)


class AutoregressiveRNN(_Base):
    """One RNN over ``[value_t, features_t, e_id]`` for the input and then each forecast step;
    ``Linear(h_t) -> Q`` gives the next value, whose point forecast is fed back."""

    def __init__(
        self,
        cfg: ForecastModel,
        input_length: int,
        horizon: int,
        n_series: int = 1,
        n_features: int = 0,
    ) -> None:
        super().__init__(cfg, input_length, horizon, n_series, n_features)
        if cfg.bidirectional:
            raise ValueError(
                "model.bidirectional must be false for kind 'autoregressive' "
                "(a forecast step cannot read the future), received true"
            )
        self.teacher_forcing = cfg.teacher_forcing
        self.rnn = recurrent_from_config(cfg, 1 + n_features + self.E)
        self.head = nn.Linear(self.rnn.out_features, self.Q)

    def _inputs(self, values: Tensor, feats: Tensor | None, e: Tensor | None) -> Tensor:
        parts = [values.unsqueeze(-1)]
        if feats is not None:
            parts.append(feats)
        if e is not None:
            parts.append(e.unsqueeze(1).expand(-1, values.shape[1], -1))
        return torch.cat(parts, -1)

    def forward(self, x, targets=None, ids=None, past=None, future=None):
        z, stats = self.revin.normalise(x)
        e = self._id_vec(ids, x.size(0), x)
        out, state = self.rnn(self._inputs(z[:, :-1], past[:, :-1] if self.F else None, e))
        last = z[:, -1:]  # (N, 1): the value that enters the first decoding step
        feats = torch.cat([past[:, -1:], future[:, :-1]], 1) if self.F else None  # (N, H, F)
        if targets is not None and self.training and self.teacher_forcing:
            loc, scale = stats
            shifted = torch.cat([last, ((targets - loc) / scale)[:, :-1]], 1)  # (N, H)
            out, _ = self.rnn(self._inputs(shifted, feats, e), state)
            y = self.head(out)  # (N, H, Q)
            return self._finish(y, stats, targets)
        steps = []
        for h in range(self.H):
            f_h = feats[:, h : h + 1] if feats is not None else None
            out, state = self.rnn(self._inputs(last, f_h, e), state)
            y_h = self.head(out)  # (N, 1, Q)
            steps.append(y_h)
            last = self.loss_fn.point(y_h)  # (N, 1)
        return self._finish(torch.cat(steps, 1), stats, targets)


class SegRNN(_Base):
    """Segment-recurrent encoder, parallel decoder (SegRNN).

    Encoder: ``x`` ``(N, L)`` -> ``(N, L/W, W [+ W F])`` -> ``Linear + ReLU`` -> ``(N, L/W, d)``
    -> RNN (``d = hidden_size``) -> final state. Decoder: P = ceil(H/W) inputs
    ``[pos_p, e_id]`` (+ a Linear of the known features of segment p), each one RNN step from
    the final state, all P at once as a batch of N * P; ``Linear(d -> W Q)`` -> ``(N, H, Q)``.
    """

    def __init__(
        self,
        cfg: ForecastModel,
        input_length: int,
        horizon: int,
        n_series: int = 1,
        n_features: int = 0,
        segment_length: int = 12,
    ) -> None:
        super().__init__(cfg, input_length, horizon, n_series, n_features)
        W = segment_length
        if W < 1 or input_length % W:
            raise ValueError(
                f"input_length must be a multiple of segment_length={W}, received {input_length}"
            )
        if cfg.bidirectional:
            raise ValueError("model.bidirectional must be false for kind 'segrnn', received true")
        d = cfg.hidden_size
        self.W, self.P = W, math.ceil(horizon / W)
        self.segment = nn.Sequential(nn.Linear(W * (1 + n_features), d), nn.ReLU())
        self.rnn = recurrent_from_config(cfg, d)
        pos = d - self.E
        if pos < 1:
            raise ValueError(
                f"id_embedding must be smaller than hidden_size={d}, received {self.E}"
            )
        self.position = nn.Parameter(torch.randn(self.P, pos) * 0.02)
        self.future_proj = nn.Linear(W * n_features, d) if n_features else None
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(self.rnn.out_features, W * self.Q)

    def forward(self, x, targets=None, ids=None, past=None, future=None):
        N, W, P = x.size(0), self.W, self.P
        z, stats = self.revin.normalise(x)
        seg = z.view(N, self.L // W, W)
        if self.F:
            seg = torch.cat([seg, past.reshape(N, self.L // W, W * self.F)], -1)
        _, state = self.rnn(self.segment(seg))  # state (layers, N, d)
        dec = self.position.unsqueeze(0).expand(N, -1, -1)  # (N, P, d - E)
        e = self._id_vec(ids, N, x)
        if e is not None:
            dec = torch.cat([dec, e.unsqueeze(1).expand(-1, P, -1)], -1)
        if self.F:
            pad = P * W - self.H
            fut = F.pad(future, (0, 0, 0, pad)).reshape(N, P, W * self.F)
            dec = dec + self.future_proj(fut)
        state = map_state(lambda s: s.repeat_interleave(P, dim=1), state)  # (layers, N*P, d)
        out, _ = self.rnn(dec.reshape(N * P, 1, -1), state)  # (N*P, 1, d)
        y = self.head(self.drop(out[:, 0])).view(N, P * W, self.Q)[:, : self.H]
        return self._finish(y, stats, targets)


class MLP(_Base):
    """Seed 003's FullyConnected on the window: ``Linear(L, h)``, tanh, ``Linear(h, h)``, tanh,
    ``Linear(h, H Q)``."""

    def __init__(
        self,
        cfg: ForecastModel,
        input_length: int,
        horizon: int,
        n_series: int = 1,
        n_features: int = 0,
    ) -> None:
        super().__init__(cfg, input_length, horizon, n_series, n_features)
        h = cfg.hidden_size
        self.net = nn.Sequential(
            nn.Linear(input_length, h),
            nn.Tanh(),
            nn.Linear(h, h),
            nn.Tanh(),
            nn.Linear(h, horizon * self.Q),
        )

    def forward(self, x, targets=None, ids=None, past=None, future=None):
        z, stats = self.revin.normalise(x)
        y = self.net(z).view(x.size(0), self.H, self.Q)
        return self._finish(y, stats, targets)


def moving_average(x: Tensor, kernel: int) -> Tensor:
    """Centred moving average of ``(N, L)`` with the ends repeated, same shape (DLinear)."""
    left, right = (kernel - 1) // 2, kernel // 2
    padded = torch.cat([x[:, :1].expand(-1, left), x, x[:, -1:].expand(-1, right)], 1)
    return F.avg_pool1d(padded.unsqueeze(1), kernel, stride=1).squeeze(1)


class LinearForecaster(_Base):
    """DLinear-style: ``x = trend + remainder`` (moving average of 25 steps, at most L),
    ``f = Linear_t(trend) + Linear_r(remainder)``, each ``L -> H Q``."""

    def __init__(
        self,
        cfg: ForecastModel,
        input_length: int,
        horizon: int,
        n_series: int = 1,
        n_features: int = 0,
        kernel: int = 25,
    ) -> None:
        super().__init__(cfg, input_length, horizon, n_series, n_features)
        self.kernel = min(kernel, input_length)
        self.trend = nn.Linear(input_length, horizon * self.Q)
        self.remainder = nn.Linear(input_length, horizon * self.Q)

    def forward(self, x, targets=None, ids=None, past=None, future=None):
        z, stats = self.revin.normalise(x)
        trend = moving_average(z, self.kernel)
        y = (self.trend(trend) + self.remainder(z - trend)).view(x.size(0), self.H, self.Q)
        return self._finish(y, stats, targets)


def build_model(
    cfg: ForecastModel,
    input_length: int,
    horizon: int,
    n_series: int = 1,
    n_features: int = 0,
    season: int = 1,
) -> nn.Module:
    """The network ``cfg.kind`` names; an unknown kind is a ValueError listing the kinds."""
    if cfg.kind == "stateful":
        from rnnkit.forecast.stateful import StatefulRNN

        return StatefulRNN(cfg, input_length, horizon, n_series, n_features)
    if cfg.kind == "segrnn":
        W = cfg.segment_length or (season if season > 1 and input_length % season == 0 else 12)
        return SegRNN(cfg, input_length, horizon, n_series, n_features, W)
    kinds = {
        "direct": DirectRNN,
        "autoregressive": AutoregressiveRNN,
        "mlp": MLP,
        "linear": LinearForecaster,
    }
    if cfg.kind not in kinds:
        from rnnkit.forecast.config import KINDS

        raise ValueError(f"model.kind must be one of {', '.join(KINDS)}, received {cfg.kind!r}")
    return kinds[cfg.kind](cfg, input_length, horizon, n_series, n_features)
