"""An ensemble of forecasting networks trained together: one run, one checkpoint.

K members read the same windows (member k the last ``lookbacks[k]`` steps of the input, so
members may differ in look-back as in N-BEATS), each with its own initial weights and its own
loss; the training loss is the mean of theirs (each member's gradient is its own), and the
forecast is the median of the members' forecasts, per series, step and output:

.. math::

    \\hat y_{i,h,q} = \\operatorname{median}_k \\hat y^{(k)}_{i,h,q}.

Shapes follow :mod:`rnnkit.models.forecasting.base`: ``x`` ``(N, L)`` with L the longest
look-back, ``forecast`` ``(N, H, Q)``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError


class Ensemble(nn.Module):
    """``members``: forecasting networks with the contract of ``ForecastNet``;
    ``lookbacks``: the input length of each (at most the window's)."""

    def __init__(self, members: list[nn.Module], lookbacks: list[int]) -> None:
        super().__init__()
        if len(members) != len(lookbacks) or not members:
            raise ConfigError(
                f"an ensemble needs one look-back per member, received {len(members)} members "
                f"and {len(lookbacks)} look-backs"
            )
        self.members = nn.ModuleList(members)
        self.lookbacks = list(lookbacks)

    @property
    def loss_fn(self):
        """The members' loss (it gives the point forecast among the outputs)."""
        return self.members[0].loss_fn

    def forward(self, x: Tensor, targets=None, ids=None, past=None, future=None):
        outs, losses = [], []
        for member, L in zip(self.members, self.lookbacks):
            p = None if past is None else past[:, -L:]
            out, loss = member(x[:, -L:], targets, ids, p, future)  # (N, H, Q)
            outs.append(out)
            losses.append(loss)
        forecast = torch.quantile(torch.stack(outs), 0.5, dim=0)  # (N, H, Q)
        loss = None if targets is None else torch.stack(losses).mean()
        return forecast, loss


class RunEnsemble(nn.Module):
    """The trained models of an ensemble's member runs, frozen (nothing left to train); the
    forecasting itself is the task's ``EnsemblePredictor``, in data units."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, *args, **kwargs):
        raise TypeError("a run ensemble forecasts through its task's EnsemblePredictor")


__all__ = ["Ensemble", "RunEnsemble"]
