"""Building blocks shared by the task models."""

from __future__ import annotations

import re

from torch import nn

from rnnkit.config import CELLS, ModelConfig
from rnnkit.errors import ConfigError
from rnnkit.nn import recurrent, weight_drop
from rnnkit.nn.regularize import RECURRENT_WEIGHTS


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
    p = getattr(cfg, "weight_drop", 0.0) or 0.0
    if p and not any(name.startswith(RECURRENT_WEIGHTS) for name, _ in layer.named_parameters()):
        raise ConfigError(  # MinGRU/MinLSTM: their gates read x_t only
            f"model.weight_drop needs a cell with hidden-to-hidden weights (rnn, lstm, gru, "
            f"jordan): {cfg.cell} has none, received {p}"
        )
    return weight_drop(layer, p)


def recurrent_layer_groups(rnn: nn.Module) -> list[list[nn.Parameter]]:
    """The parameters of a stacked recurrent layer, one list per layer, lowest layer first.

    A layer is what torch's names call ``_l<k>`` (both directions of layer k together), inside
    the submodule that holds it (a list of one-layer modules gives one group per module). A
    parametrized weight (e.g. weight drop: ``parametrizations.weight_hh_l0.original``) counts
    under its plain name.
    """
    groups: dict[tuple[str, int], list[nn.Parameter]] = {}
    for name, param in rnn.named_parameters():
        plain = re.sub(r"parametrizations\.(\w+)\.original\d*$", r"\1", name)
        path, _, leaf = plain.rpartition(".")
        layer = re.search(r"_l(\d+)", leaf)
        if layer is None:
            raise ValueError(f"recurrent parameter {name!r} names no layer (_l<k>)")
        groups.setdefault((path, int(layer.group(1))), []).append(param)
    paths = list(dict.fromkeys(path for path, _ in groups))  # in the order they come
    return [groups[key] for key in sorted(groups, key=lambda k: (paths.index(k[0]), k[1]))]
