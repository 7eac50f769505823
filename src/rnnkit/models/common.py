"""Building blocks shared by the task models."""

from __future__ import annotations

import re

import torch
from torch import Tensor, nn

from rnnkit.config import CELLS, ModelConfig
from rnnkit.errors import ConfigError
from rnnkit.nn import pack, recurrent, unpack, weight_drop
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


def run_over_lengths(rnn: nn.Module, x: Tensor, lengths: Tensor) -> Tensor:
    """``x (N, L, H_in)`` batch-first with ``lengths (N,)`` -> outputs ``(N, L, D*H)``, zero
    past each row's length: what ``unpack(rnn(pack(x, lengths)))`` gives.

    A one-directional layer on torch's kernel runs on the padded batch instead and the padding
    steps are zeroed: its output at step ``t < length`` reads no step after ``t``, so it is the
    same, while torch's CPU kernel back-propagates a packed batch in time quadratic in its
    length (29 s against 1.0 s for 2 layers of 512 at L = 400 here). Everything else is packed.
    """
    if getattr(rnn, "backend", None) == "native" and not getattr(rnn, "bidirectional", True):
        out, _ = rnn(x)
        steps = torch.arange(x.size(1), device=x.device)
        valid = steps[None, :] < lengths.to(x.device)[:, None]  # (N, L)
        return out * valid.unsqueeze(-1).to(out.dtype)
    out, _ = rnn(pack(x, lengths, batch_first=True))
    out, _ = unpack(out, batch_first=True, total_length=x.size(1))
    return out
