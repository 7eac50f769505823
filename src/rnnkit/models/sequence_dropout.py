r"""Dropout over padded sequences ``(N, L, F)`` that draws its masks per sentence or per token,
as Flair's sequence tagger does (Akbik et al. 2018; Gal & Ghahramani 2016 for the locked
mask). Both are the identity outside training and for ``p = 0``; ``u ~ U[0, 1)``.

- :func:`locked_dropout`: one mask per sentence and feature, shared by all its positions,
  :math:`y_{n,t,f} = x_{n,t,f} \cdot [u_{n,f} \ge p] / (1 - p)`: a dropped feature is gone
  from the whole sentence (variational dropout), not from scattered words.
- :func:`token_dropout`: one draw per token, :math:`y_{n,t,f} = x_{n,t,f} \cdot [u_{n,t} \ge
  p]`: a dropped token loses its whole representation. Not rescaled, as Flair's
  ``WordDropout``: with ``p = 0.05`` a token's features are 5% smaller on average in training.
"""

from __future__ import annotations

import torch
from torch import Tensor


def locked_dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """``x`` ``(N, L, F)`` with features dropped per sentence (module docstring)."""
    if not training or p == 0.0:
        return x
    keep = torch.rand(x.size(0), 1, x.size(2), device=x.device) >= p  # (N, 1, F)
    return x * keep.to(x.dtype) / (1.0 - p)


def token_dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """``x`` ``(N, L, F)`` with whole tokens zeroed (module docstring)."""
    if not training or p == 0.0:
        return x
    keep = torch.rand(x.size(0), x.size(1), 1, device=x.device) >= p  # (N, L, 1)
    return x * keep.to(x.dtype)


__all__ = ["locked_dropout", "token_dropout"]
