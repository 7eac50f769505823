r"""AWD-LSTM's regularisers (Merity, Keskar & Socher 2018), for any recurrent layer of rnnkit.

- :func:`weight_drop`: DropConnect on the hidden-to-hidden weights. One Bernoulli mask per
  weight matrix is drawn at the start of each forward call of the layer and used at every
  time step of that call (and by every engine: torch's fused kernel reads the dropped matrix
  once, rnnkit's loop reads it once per layer and direction):

  .. math:: \tilde W_{hh} = W_{hh} \odot M / (1 - p), \qquad M_{ij} \sim \mathrm{Bernoulli}(1 - p)

  It is a :mod:`torch.nn.utils.parametrize` parametrization, so the raw weight stays the
  parameter that the optimiser moves, under ``parametrizations.<name>.original`` in the
  state dict (:func:`plain_state_dict` gives the names without it). Off in eval mode.
- :class:`LockedDropout`: variational dropout, one mask per sequence and feature, the same at
  every step (Gal & Ghahramani 2016).
- :func:`embedding_dropout`: drops whole rows of an embedding matrix (a dropped word is
  zeros wherever it occurs in the batch), the kept rows scaled by ``1 / (1 - p)``.
- :func:`activation_regularization`: AR and TAR, the penalties added to a language model's
  loss: :math:`\alpha\,\mathrm{mean}(\tilde h_t^2) + \beta\,\mathrm{mean}((h_t - h_{t-1})^2)`
  with :math:`\tilde h` the dropped and :math:`h` the raw output of the last layer.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize

RECURRENT_WEIGHTS = ("weight_hh", "weight_yh")  # hidden-to-hidden (Jordan: output-to-hidden)


def check_probability(name: str, p: object) -> float:
    """``p`` as a float in ``[0, 1)`` (1 would drop everything and divide by zero)."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= float(p) < 1.0:
        raise ValueError(f"{name} must be a number in [0, 1), received {p!r}")
    return float(p)


def _bernoulli_mask(shape, p: float, like: Tensor) -> Tensor:
    """A mask of ``0`` and ``1 / (1 - p)`` values, in ``like``'s dtype and device."""
    keep = torch.empty(shape, dtype=like.dtype, device=like.device).bernoulli_(1.0 - p)
    return keep / (1.0 - p)


class DropConnect(nn.Module):
    """A parametrization ``W -> W * mask``: the mask is drawn on first use after
    :meth:`resample` (called by the layer's forward pre-hook) and kept until the next one."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = check_probability("weight_drop", p)
        self.mask: Tensor | None = None

    def resample(self) -> None:
        self.mask = None

    def forward(self, weight: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return weight
        if self.mask is None or self.mask.shape != weight.shape:
            self.mask = _bernoulli_mask(weight.shape, self.p, weight)
        return weight * self.mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _resample_masks(layer: nn.Module, args) -> None:
    for name in layer.parametrizations:
        for fn in layer.parametrizations[name]:
            if isinstance(fn, DropConnect):
                fn.resample()


def weight_drop(layer: nn.Module, p: float) -> nn.Module:
    """Put DropConnect (probability ``p``) on every recurrent weight of ``layer`` (names that
    start with ``weight_hh``, or ``weight_yh`` for a Jordan layer) and return ``layer``.

    ``p = 0`` leaves the layer untouched (no parametrization, the same state dict).

    Example::

        >>> from rnnkit.nn import LSTM
        >>> lstm = weight_drop(LSTM(4, 8, num_layers=2), 0.5)
        >>> sorted(lstm.parametrizations.keys())
        ['weight_hh_l0', 'weight_hh_l1']
    """
    if check_probability("weight_drop", p) == 0.0:
        return layer
    names = [
        name
        for name, _ in layer.named_parameters(recurse=False)
        if name.startswith(RECURRENT_WEIGHTS)
    ]
    if not names:
        raise ValueError(f"{type(layer).__name__} has no recurrent weight to drop")
    for name in names:
        parametrize.register_parametrization(layer, name, DropConnect(p))
    layer.register_forward_pre_hook(_resample_masks)
    return layer


def plain_state_dict(module: nn.Module) -> dict[str, Tensor]:
    """``module.state_dict()`` with parametrized weights under their plain names
    (``parametrizations.weight_hh_l0.original`` -> ``weight_hh_l0``)."""
    out = {}
    for key, value in module.state_dict().items():
        if ".original" in key and "parametrizations." in key:
            head, rest = key.split("parametrizations.", 1)
            key = head + rest.removesuffix(".original")
        out[key] = value
    return out


def load_plain_state_dict(module: nn.Module, state: dict[str, Tensor]) -> None:
    """Load a state dict with plain names (:func:`plain_state_dict`) into ``module``, whether
    or not ``module`` has parametrized (weight-dropped) weights; every key must match."""
    plain_to_own = {}
    for key in module.state_dict():
        plain = key
        if ".original" in key and "parametrizations." in key:
            head, rest = key.split("parametrizations.", 1)
            plain = head + rest.removesuffix(".original")
        plain_to_own[plain] = key
    missing = sorted(set(plain_to_own) - set(state))
    unexpected = sorted(set(state) - set(plain_to_own))
    if missing or unexpected:
        raise ValueError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    module.load_state_dict({plain_to_own[k]: v for k, v in state.items()})


class LockedDropout(nn.Module):
    """Variational dropout: one mask per sequence and feature, shared over time.

    Input and output: ``(N, L, F)`` (batch-first). The mask is ``(N, 1, F)``, of ``0`` and
    ``1 / (1 - p)``, drawn anew at each call in training mode; identity in eval mode.

    Example::

        >>> drop = LockedDropout(0.5)
        >>> y = drop(torch.ones(2, 4, 3))
        >>> bool((y == y[:, :1]).all())      # every step of a sequence has the same mask
        True
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = check_probability("p", p)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        return x * _bernoulli_mask((x.size(0), 1, x.size(2)), self.p, x)  # (N, L, F)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def embedding_dropout(embed: nn.Embedding, ids: Tensor, p: float, training: bool) -> Tensor:
    """``embed(ids)`` with whole words dropped: each row of the ``(V, E)`` matrix is zeroed
    with probability ``p`` (one draw per call, shared by every position of the batch) and the
    kept rows are scaled by ``1 / (1 - p)``. ``ids``: any shape; output: ``ids.shape + (E,)``."""
    check_probability("embedding_dropout", p)
    weight = embed.weight
    if training and p > 0.0:
        weight = weight * _bernoulli_mask((weight.size(0), 1), p, weight)  # (V, E)
    return F.embedding(ids, weight, embed.padding_idx, embed.max_norm, embed.norm_type)


def activation_regularization(raw: Tensor, dropped: Tensor, alpha: float, beta: float) -> Tensor:
    r"""AR + TAR: ``alpha * mean(dropped**2) + beta * mean((raw[:, 1:] - raw[:, :-1])**2)``.

    ``raw``, ``dropped``: ``(N, L, H)`` batch-first outputs of the last recurrent layer,
    before and after the output dropout (AWD-LSTM penalises the dropped output's size and the
    raw output's change from step to step). A sequence of one step has no TAR term.
    """
    total = raw.new_zeros(())
    if alpha:
        total = total + alpha * dropped.float().pow(2).mean()
    if beta and raw.size(1) > 1:
        total = total + beta * (raw[:, 1:] - raw[:, :-1]).float().pow(2).mean()
    return total


__all__ = [
    "DropConnect",
    "LockedDropout",
    "weight_drop",
    "embedding_dropout",
    "activation_regularization",
    "plain_state_dict",
    "load_plain_state_dict",
]
