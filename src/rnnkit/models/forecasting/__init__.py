"""Forecasting models: recurrent networks over windows, non-recurrent references and
baselines, all built by :func:`build_forecaster` from the ``[model]`` section.

Every network follows one contract (shapes in :mod:`rnnkit.models.forecasting.base`)::

    forward(x, targets=None, ids=None, past=None, future=None) -> (forecast, loss)

A baseline (:class:`~rnnkit.models.forecasting.baselines.Baseline`) is a model with no
parameters that forecasts from whole histories.
"""

from __future__ import annotations

from torch import nn

from rnnkit.errors import ConfigError
from rnnkit.models.forecasting.baselines import Baseline
from rnnkit.models.forecasting.config import BASELINE_KINDS, KINDS, NETWORK_KINDS, ForecastModel
from rnnkit.models.forecasting.ensemble import Ensemble
from rnnkit.models.forecasting.feedforward import MLP, LinearForecaster
from rnnkit.models.forecasting.likelihood import LIKELIHOODS
from rnnkit.models.forecasting.recurrent import AutoregressiveRNN, DirectRNN, SegRNN
from rnnkit.models.forecasting.stateful import StatefulRNN

NETWORKS = {
    "direct": DirectRNN,
    "autoregressive": AutoregressiveRNN,
    "stateful": StatefulRNN,
    "mlp": MLP,
    "linear": LinearForecaster,
}


def build_forecaster(
    cfg: ForecastModel,
    input_length: int,
    horizon: int,
    n_series: int = 1,
    n_features: int = 0,
    season: int = 1,
) -> nn.Module:
    """The model ``cfg.kind`` names (an :class:`Ensemble` of them when ``cfg.members > 1`` or
    ``cfg.member_lengths`` is set); an unknown kind is a ConfigError listing the kinds."""
    if cfg.kind in BASELINE_KINDS:
        return Baseline(cfg.kind, horizon, season)
    if cfg.kind == "auto":
        raise ConfigError('model.kind "auto" is resolved by rnnkit.api.forecast_auto first')
    if cfg.loss in LIKELIHOODS and cfg.kind != "autoregressive":
        raise ConfigError(
            f"model.loss {cfg.loss!r} (a likelihood) needs model.kind 'autoregressive', "
            f"received {cfg.kind!r}"
        )
    if cfg.loss == "negbin" and cfg.revin != "none":
        raise ConfigError(
            f"model.loss 'negbin' models counts: model.revin must be 'none', received {cfg.revin!r}"
        )
    if cfg.members > 1 or cfg.member_lengths:
        if cfg.kind == "stateful":
            raise ConfigError("model.members must be 1 for kind 'stateful', received more")
        lengths = list(cfg.member_lengths) or [input_length]
        lookbacks = [lengths[k % len(lengths)] for k in range(max(cfg.members, len(lengths)))]
        too_long = [L for L in lookbacks if not 1 <= L <= input_length]
        if too_long:
            raise ConfigError(
                f"model.member_lengths must lie in 1..data.input_length = {input_length}, "
                f"received {too_long[0]}"
            )
        nets = [_network(cfg, L, horizon, n_series, n_features, season) for L in lookbacks]
        return Ensemble(nets, lookbacks)
    return _network(cfg, input_length, horizon, n_series, n_features, season)


def _network(cfg, input_length, horizon, n_series, n_features, season) -> nn.Module:
    if cfg.kind == "segrnn":
        W = cfg.segment_length or (season if season > 1 and input_length % season == 0 else 12)
        return SegRNN(cfg, input_length, horizon, n_series, n_features, W)
    if cfg.kind not in NETWORKS:
        raise ConfigError(f"model.kind must be one of {', '.join(KINDS)}, received {cfg.kind!r}")
    return NETWORKS[cfg.kind](cfg, input_length, horizon, n_series, n_features)


__all__ = [
    "build_forecaster",
    "ForecastModel",
    "KINDS",
    "NETWORK_KINDS",
    "BASELINE_KINDS",
    "Baseline",
    "Ensemble",
    "DirectRNN",
    "AutoregressiveRNN",
    "SegRNN",
    "StatefulRNN",
    "MLP",
    "LinearForecaster",
]
