"""What every forecasting network shares: the contract, the loss, RevIN, the series embedding.

One contract for all of them::

    forward(x, targets=None, ids=None, past=None, future=None) -> (forecast, loss)

Shapes (N windows, L input steps, H horizon, F known features, Q outputs per step):

* ``x`` ``(N, L)``: the input window, scaled per series;
* ``targets`` ``(N, H)``: the next H values (None at prediction time: ``loss`` is None);
* ``ids`` ``(N,)``: the series index of each window (read by the id embedding);
* ``past`` ``(N, L, F)`` and ``future`` ``(N, H, F)``: known features at the input and the
  forecast steps (calendar features, covariates; past-only covariates are zero in ``future``);
* ``forecast`` ``(N, H, Q)``: Q = 1, or one output per quantile of ``loss = "quantile"``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.errors import DataError
from rnnkit.models.forecasting.config import ForecastModel
from rnnkit.models.forecasting.losses import ForecastLoss
from rnnkit.models.forecasting.revin import RevIN


def map_state(fn, state):
    """Apply ``fn`` to every tensor of a recurrent state (``h``, ``(h, c)`` or ``(h, y)``)."""
    if isinstance(state, Tensor):
        return fn(state)
    return type(state)(fn(s) for s in state)


def step_inputs(values: Tensor, feats: Tensor | None, series: Tensor | None) -> Tensor:
    """The per-step input of a recurrent forecaster: ``[value_t, features_t, e_id]``.

    ``values`` ``(N, T)``, ``feats`` ``(N, T, F)`` or None, ``series`` ``(N, E)`` or None
    -> ``(N, T, 1 + F + E)``.
    """
    parts = [values.unsqueeze(-1)]
    if feats is not None:
        parts.append(feats)
    if series is not None:
        parts.append(series.unsqueeze(1).expand(-1, values.shape[1], -1))
    return torch.cat(parts, -1)


class ForecastNet(nn.Module):
    """Base of the networks: ``input_length`` L, ``horizon`` H, ``n_features`` F, the loss
    (whose ``outputs`` is Q), per-window RevIN and an optional series-id embedding of size E."""

    def __init__(
        self, cfg: ForecastModel, input_length: int, horizon: int, n_series: int, n_features: int
    ) -> None:
        super().__init__()
        self.input_length, self.horizon, self.n_features = input_length, horizon, n_features
        self.loss_fn = ForecastLoss(cfg.loss, cfg.quantiles)
        self.outputs = self.loss_fn.outputs
        self.revin = RevIN(cfg.revin)
        self.embedding_size = cfg.id_embedding
        self.embed = nn.Embedding(n_series, cfg.id_embedding) if cfg.id_embedding else None

    def series_vector(self, ids: Tensor | None) -> Tensor | None:
        """The embedding ``(N, E)`` of each window's series, or None without an embedding."""
        if self.embed is None:
            return None
        if ids is None:
            raise DataError("this model has a series-id embedding: pass ids (N,)")
        return self.embed(ids)

    def finish(
        self, out: Tensor, stats, targets: Tensor | None, shaped: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        """Make raw head outputs ``(N, H, Q)`` forecasts (quantiles that cannot cross, unless
        ``shaped`` already), undo RevIN, and score them against ``targets`` if given."""
        out = self.loss_fn.denormalise(
            out if shaped else self.loss_fn.shape(out), self.revin, stats
        )
        loss = None if targets is None else self.loss_fn(out, targets)
        return out, loss


__all__ = ["ForecastNet", "map_state", "step_inputs"]
