"""Pool the outputs of a recurrent layer over the valid steps of each sequence only.

Input ``outputs (N, L, D*H)`` padded after ``lengths (N,)``; output ``(N, P)`` with
``P = len(kinds) * D*H``. Padding positions never reach the result, so appending padding
to a batch never changes it:

- ``last``: the final state of each direction (seed 004's ``hidden[-1]``): the forward half
  of the output at step ``length - 1`` and, when bidirectional, the backward half at step 0;
- ``mean``: the sum over the valid steps divided by the length;
- ``max``: the element-wise maximum over the valid steps;
- ``attention``: ``a = softmax_t(v . tanh(W o_t + b))`` over the valid steps, ``sum_t a_t o_t``.

Kinds combine with ``+``: ``"max+mean"`` concatenates the two. ``concat`` is ULMFiT's
concat pooling (Howard & Ruder 2018), ``last+max+mean`` in their order ``[h_T, max, mean]``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError

POOLINGS = ("last", "mean", "max", "attention")
ALIASES = {"concat": ("last", "max", "mean")}  # a name for a combination


def parse_pooling(spec: str) -> tuple[str, ...]:
    """``"max+mean"`` -> ``("max", "mean")``, ``"concat"`` -> ``("last", "max", "mean")``;
    an unknown kind is a ConfigError."""
    kinds: tuple[str, ...] = ()
    for kind in (k.strip() for k in str(spec).split("+")):
        if kind not in POOLINGS and kind not in ALIASES:
            raise ConfigError(
                f"model.pooling must be one of {', '.join(POOLINGS)}, or concat (= last+max+mean), "
                f"or several joined by '+' (e.g. 'max+mean'), received {spec!r}"
            )
        kinds += ALIASES.get(kind, (kind,))
    if len(set(kinds)) != len(kinds):
        raise ConfigError(f"model.pooling names a kind twice: {spec!r}")
    return kinds


class Pooling(nn.Module):
    """Masked pooling over time: ``(N, L, F), lengths (N,) -> (N, len(kinds) * F)``.

    Args:
        kinds: from :func:`parse_pooling`. features: F = D*H of the recurrent output.
        directions: D, which ``last`` needs to find each direction's final state.
    """

    def __init__(self, kinds: tuple[str, ...], features: int, directions: int = 1) -> None:
        super().__init__()
        self.kinds, self.features, self.directions = kinds, features, directions
        if "attention" in kinds:
            self.score = nn.Sequential(
                nn.Linear(features, features), nn.Tanh(), nn.Linear(features, 1, bias=False)
            )

    @property
    def out_features(self) -> int:
        return len(self.kinds) * self.features

    def forward(self, outputs: Tensor, lengths: Tensor) -> Tensor:
        lengths = lengths.to(outputs.device)
        steps = torch.arange(outputs.size(1), device=outputs.device)
        valid = (steps[None, :] < lengths[:, None]).unsqueeze(-1)  # (N, L, 1)
        pooled = [getattr(self, f"_{kind}")(outputs, lengths, valid) for kind in self.kinds]
        return torch.cat(pooled, dim=-1)

    def _last(self, outputs: Tensor, lengths: Tensor, valid: Tensor) -> Tensor:
        rows = torch.arange(outputs.size(0), device=outputs.device)
        forward = outputs[rows, lengths - 1]  # (N, F): the last valid step
        if self.directions == 1:
            return forward
        half = self.features // 2  # the backward direction ends at step 0
        return torch.cat([forward[:, :half], outputs[:, 0, half:]], dim=-1)

    def _mean(self, outputs: Tensor, lengths: Tensor, valid: Tensor) -> Tensor:
        total = outputs.masked_fill(~valid, 0.0).sum(dim=1)
        return total / lengths[:, None].to(outputs.dtype)

    def _max(self, outputs: Tensor, lengths: Tensor, valid: Tensor) -> Tensor:
        return outputs.masked_fill(~valid, float("-inf")).amax(dim=1)

    def _attention(self, outputs: Tensor, lengths: Tensor, valid: Tensor) -> Tensor:
        scores = self.score(outputs).masked_fill(~valid, float("-inf"))  # (N, L, 1)
        weights = torch.softmax(scores, dim=1)
        return (weights * outputs.masked_fill(~valid, 0.0)).sum(dim=1)
