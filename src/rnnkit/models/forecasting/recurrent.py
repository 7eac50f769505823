"""The recurrent forecasters over a window: direct, autoregressive and SegRNN-style.

Each takes any cell and backend of :mod:`rnnkit.nn` through
:func:`~rnnkit.models.common.recurrent_from_config` and follows the contract of
:mod:`rnnkit.models.forecasting.base` (shapes there).

* :class:`DirectRNN`: encode L steps, a Linear head emits all H values from the last state.
* :class:`AutoregressiveRNN`: one step at a time, feeding back its own forecast; while
  training with ``teacher_forcing`` the true previous values are fed, in one parallel pass.
* :class:`SegRNN`: the window is cut into segments of W steps embedded by a Linear; the cell
  runs over L/W segments; H/W output segments are decoded in parallel from the final state,
  each from a position embedding (plus the series embedding), as in SegRNN (Lin et al. 2023).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.errors import ConfigError
from rnnkit.models.common import recurrent_from_config
from rnnkit.models.forecasting.base import ForecastNet, map_state, step_inputs
from rnnkit.models.forecasting.config import ForecastModel


def refuse_bidirectional(cfg: ForecastModel) -> None:
    """A forecast step cannot read the future: only ``direct`` may be bidirectional."""
    if cfg.bidirectional:
        raise ConfigError(
            f"model.bidirectional must be false for kind {cfg.kind!r} (a forecast step "
            f"cannot read the future), received true"
        )


class DirectRNN(ForecastNet):
    """Encoder RNN over ``[x_t, past_t, e_id]``; ``Linear([h_L, e_id, future]) -> H * Q``."""

    def __init__(self, cfg, input_length, horizon, n_series=1, n_features=0) -> None:
        super().__init__(cfg, input_length, horizon, n_series, n_features)
        self.rnn = recurrent_from_config(cfg, 1 + n_features + self.embedding_size)
        width = self.rnn.out_features + self.embedding_size + horizon * n_features
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(width, horizon * self.outputs)

    def forward(self, x, targets=None, ids=None, past=None, future=None):
        z, stats = self.revin.normalise(x)  # (N, L)
        e = self.series_vector(ids)  # (N, E) or None
        out, _ = self.rnn(step_inputs(z, past, e))  # (N, L, D*H_out)
        parts = [out[:, -1]] + ([e] if e is not None else [])
        if self.n_features:
            parts.append(future.flatten(1))  # (N, H*F)
        y = self.head(self.drop(torch.cat(parts, -1)))  # (N, H*Q)
        return self.finish(y.view(x.size(0), self.horizon, self.outputs), stats, targets)


class AutoregressiveRNN(ForecastNet):
    """One RNN over ``[value_t, features_t, e_id]`` for the input and then each forecast step;
    ``Linear(h_t) -> Q`` gives the next value, whose point forecast is fed back."""

    def __init__(self, cfg, input_length, horizon, n_series=1, n_features=0) -> None:
        super().__init__(cfg, input_length, horizon, n_series, n_features)
        refuse_bidirectional(cfg)
        self.teacher_forcing = cfg.teacher_forcing
        self.rnn = recurrent_from_config(cfg, 1 + n_features + self.embedding_size)
        self.head = nn.Linear(self.rnn.out_features, self.outputs)

    def forward(self, x, targets=None, ids=None, past=None, future=None):
        z, stats = self.revin.normalise(x)
        e = self.series_vector(ids)
        feats_in = past[:, :-1] if self.n_features else None
        _, state = self.rnn(step_inputs(z[:, :-1], feats_in, e))
        last = z[:, -1:]  # (N, 1): the value that enters the first decoding step
        feats = torch.cat([past[:, -1:], future[:, :-1]], 1) if self.n_features else None
        if targets is not None and self.training and self.teacher_forcing:
            loc, scale = stats
            shifted = torch.cat([last, ((targets - loc) / scale)[:, :-1]], 1)  # (N, H)
            out, _ = self.rnn(step_inputs(shifted, feats, e), state)
            return self.finish(self.head(out), stats, targets)  # (N, H, Q)
        steps = []
        for h in range(self.horizon):
            f_h = feats[:, h : h + 1] if feats is not None else None
            out, state = self.rnn(step_inputs(last, f_h, e), state)
            steps.append(self.loss_fn.shape(self.head(out)))  # (N, 1, Q)
            last = self.loss_fn.point(steps[-1])  # (N, 1)
        return self.finish(torch.cat(steps, 1), stats, targets, shaped=True)

    @torch.no_grad()
    def sample(self, x, num_samples: int, ids=None, past=None, future=None) -> Tensor:
        """Ancestral sampling (DeepAR): ``num_samples`` paths ``(K, N, H)``, each step drawn
        from the likelihood and fed back. Needs a likelihood loss (``gaussian``,
        ``student_t``, ``negbin``)."""
        lik = self.loss_fn.likelihood
        if lik is None:
            raise ConfigError(
                f"sampling needs a likelihood loss (gaussian, student_t, negbin), this model "
                f"has loss {self.loss_fn.kind!r}"
            )
        K, N = num_samples, x.size(0)
        rep = lambda t: None if t is None else t.repeat(K, *([1] * (t.dim() - 1)))  # noqa: E731
        x, ids, past, future = rep(x), rep(ids), rep(past), rep(future)
        z, (loc, scale) = self.revin.normalise(x)
        e = self.series_vector(ids)
        _, state = self.rnn(step_inputs(z[:, :-1], past[:, :-1] if self.n_features else None, e))
        last = z[:, -1:]
        feats = torch.cat([past[:, -1:], future[:, :-1]], 1) if self.n_features else None
        draws = []
        for h in range(self.horizon):
            f_h = feats[:, h : h + 1] if feats is not None else None
            out, state = self.rnn(step_inputs(last, f_h, e), state)
            last = lik.sample(self.loss_fn.shape(self.head(out)))  # (K*N, 1)
            draws.append(last)
        paths = torch.cat(draws, 1)  # (K*N, H), normalised
        paths = paths * scale + (0 if lik.kind == "negbin" else loc)
        return paths.view(K, N, self.horizon)


class SegRNN(ForecastNet):
    """Segment-recurrent encoder, parallel decoder (SegRNN).

    Encoder: ``x`` ``(N, L)`` -> ``(N, L/W, W [+ W F])`` -> ``Linear + ReLU`` -> ``(N, L/W, d)``
    -> RNN (``d = hidden_size``) -> final state. Decoder: P = ceil(H/W) inputs
    ``[pos_p, e_id]`` (+ a Linear of the known features of segment p), each one RNN step from
    the final state, all P at once as a batch of N * P; ``Linear(d -> W Q)`` -> ``(N, H, Q)``.
    """

    def __init__(self, cfg, input_length, horizon, n_series=1, n_features=0, segment_length=12):
        super().__init__(cfg, input_length, horizon, n_series, n_features)
        W, d = segment_length, cfg.hidden_size
        if W < 1 or input_length % W:
            raise ConfigError(
                f"input_length must be a multiple of segment_length={W}, received {input_length}"
            )
        refuse_bidirectional(cfg)
        if d - self.embedding_size < 1:
            raise ConfigError(
                f"id_embedding must be smaller than hidden_size={d}, received {cfg.id_embedding}"
            )
        self.segment_length, self.segments_out = W, math.ceil(horizon / W)
        self.segment = nn.Sequential(nn.Linear(W * (1 + n_features), d), nn.ReLU())
        self.rnn = recurrent_from_config(cfg, d)
        self.position = nn.Parameter(torch.randn(self.segments_out, d - self.embedding_size) * 0.02)
        self.future_proj = nn.Linear(W * n_features, d) if n_features else None
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(self.rnn.out_features, W * self.outputs)

    def forward(self, x, targets=None, ids=None, past=None, future=None):
        N, W, P = x.size(0), self.segment_length, self.segments_out
        z, stats = self.revin.normalise(x)
        seg = z.view(N, self.input_length // W, W)  # (N, L/W, W)
        if self.n_features:
            seg = torch.cat([seg, past.reshape(N, self.input_length // W, -1)], -1)
        _, state = self.rnn(self.segment(seg))  # state (layers, N, d)
        dec = self.position.unsqueeze(0).expand(N, -1, -1)  # (N, P, d - E)
        e = self.series_vector(ids)
        if e is not None:
            dec = torch.cat([dec, e.unsqueeze(1).expand(-1, P, -1)], -1)  # (N, P, d)
        if self.n_features:
            fut = F.pad(future, (0, 0, 0, P * W - self.horizon)).reshape(N, P, -1)
            dec = dec + self.future_proj(fut)
        state = map_state(lambda s: s.repeat_interleave(P, dim=1), state)  # (layers, N*P, d)
        out, _ = self.rnn(dec.reshape(N * P, 1, -1), state)  # (N*P, 1, d)
        y = self.head(self.drop(out[:, 0])).view(N, P * W, self.outputs)[:, : self.horizon]
        return self.finish(y, stats, targets)


__all__ = ["DirectRNN", "AutoregressiveRNN", "SegRNN", "refuse_bidirectional"]
