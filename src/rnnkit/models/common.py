"""Building blocks shared by the task models."""

from __future__ import annotations

from torch import nn

from rnnkit.config import CELLS, ModelConfig
from rnnkit.errors import ConfigError
from rnnkit.nn import recurrent, weight_drop


def recurrent_from_config(
    cfg: ModelConfig,
    input_size: int,
    *,
    batch_first: bool = True,
    jordan_output_size: int | None = None,
) -> nn.Module:
    """The recurrent layer a ``[model]`` section describes (any cell, any backend).

    A Jordan network feeds back its own output, so it needs ``output_size``: the task's
    target size where the Jordan output *is* the prediction, else ``hidden_size``.
    ``cfg.weight_drop > 0`` puts DropConnect on the recurrent weights
    (:func:`~rnnkit.nn.regularize.weight_drop`).
    """
    if cfg.cell not in CELLS:  # a section built by hand: name the field, not the factory's
        raise ConfigError(f"model.cell must be one of {', '.join(CELLS)}, received {cfg.cell!r}")
    kwargs = dict(
        input_size=input_size,
        hidden_size=cfg.hidden_size,
        num_layers=cfg.num_layers,
        bidirectional=cfg.bidirectional,
        batch_first=batch_first,
        dropout=cfg.dropout if cfg.num_layers > 1 else 0.0,
    )
    if cfg.cell == "rnn":
        kwargs["nonlinearity"] = cfg.nonlinearity
    if cfg.cell == "jordan":
        kwargs["output_size"] = jordan_output_size or cfg.hidden_size
        kwargs["nonlinearity"] = cfg.nonlinearity
    layer = recurrent(cfg.cell, backend=cfg.backend, **kwargs)
    return weight_drop(layer, getattr(cfg, "weight_drop", 0.0) or 0.0)
