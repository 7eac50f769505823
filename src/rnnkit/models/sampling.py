r"""Sampling the next token from logits: temperature, top-k and top-p (nucleus) filtering.

For logits :math:`z \in \mathbb{R}^V` and temperature :math:`\tau > 0` the sampling
distribution is :math:`\mathrm{softmax}(z / \tau)`, restricted

- to the ``top_k`` largest logits (``top_k = 0``: no restriction), then
- to the smallest set of most probable tokens whose probability reaches ``top_p``
  (``top_p = 1``: no restriction; the most probable token is always kept),

and renormalised. :math:`\tau \to 0` concentrates all the mass on the largest logit, so
``temperature = 0`` is defined as greedy decoding (``argmax``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnnkit.errors import ConfigError


def check_sampling(temperature: float, top_k: int, top_p: float) -> None:
    """Refuse out-of-range sampling settings with a message naming the argument."""
    if not temperature >= 0:
        raise ConfigError(f"temperature must be >= 0 (0 = greedy), received {temperature}")
    if top_k < 0:
        raise ConfigError(f"top_k must be >= 0 (0 = all tokens), received {top_k}")
    if not 0 < top_p <= 1:
        raise ConfigError(f"top_p must be in (0, 1] (1 = all tokens), received {top_p}")


def filter_logits(logits: Tensor, top_k: int = 0, top_p: float = 1.0) -> Tensor:
    """``(N, V)`` logits with the tokens outside top-k / top-p set to ``-inf``.

    >>> probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    >>> filter_logits(probs.log(), top_p=0.6).isfinite().tolist()  # 0.5 < 0.6 <= 0.5 + 0.3
    [[True, True, False, False]]
    """
    logits = logits.clone()
    if 0 < top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]  # (N, 1)
        logits[logits < kth] = float("-inf")
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = sorted_logits.softmax(dim=-1)
        before = probs.cumsum(dim=-1) - probs  # mass of the tokens ranked above each one
        drop_sorted = before >= top_p  # the first token (before = 0) is always kept
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        logits[drop] = float("-inf")
    return logits


def sample_next(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """One token per row of ``(N, V)`` logits: ``(N,)`` int64. ``temperature = 0`` is argmax.

    >>> logits = torch.tensor([[2.0, 1.0, 0.5, -1.0]])
    >>> sample_next(logits, temperature=0).tolist(), sample_next(logits, top_k=1).tolist()
    ([0], [0])
    """
    check_sampling(temperature, top_k, top_p)
    logits = logits.float()
    if temperature == 0:
        return logits.argmax(dim=-1)
    probs = filter_logits(logits / temperature, top_k, top_p).softmax(dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


__all__ = ["check_sampling", "filter_logits", "sample_next"]
