r"""Attention of a decoder query over the encoder's outputs, with the padding masked.

For a query :math:`q \in \mathbb{R}^{H_q}` (the decoder's state) and keys
:math:`k_1..k_S \in \mathbb{R}^{H_k}` (the encoder's outputs) the scores are

- ``additive`` (Bahdanau et al. 2015): :math:`e_s = v^\top \tanh(W_q q + W_k k_s)`;
- ``multiplicative`` (Luong et al. 2015, "general"): :math:`e_s = q^\top W k_s`;
- ``dot`` (Luong, "dot"): :math:`e_s = q^\top k_s` (needs :math:`H_q = H_k`);

the weights :math:`a = \mathrm{softmax}(e)` over the valid source positions only (padding
gets exactly 0) and the context is :math:`c = \sum_s a_s k_s`.

Shapes: query ``(N, H_q)``; keys ``(N, S, H_k)``; mask ``(N, S)`` bool, True at real
positions; context ``(N, H_k)``; weights ``(N, S)``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError

KINDS = ("additive", "multiplicative", "dot")


class Attention(nn.Module):
    """Score, mask, softmax, weighted sum. ``prepare(keys)`` once per source, then
    ``forward(query, keys, prepared, mask)`` at each decoder step."""

    def __init__(self, kind: str, query_size: int, key_size: int, attention_size: int = 0):
        super().__init__()
        if kind not in KINDS:
            raise ConfigError(
                f"model.attention must be one of {', '.join(KINDS)}, received {kind!r}"
            )
        if kind == "dot" and query_size != key_size:
            raise ConfigError(
                f"model.attention 'dot' needs the decoder size ({query_size}) to equal the "
                f"encoder output size ({key_size}); use 'multiplicative' or 'additive'"
            )
        self.kind = kind
        size = attention_size or query_size
        if kind == "additive":
            self.key_proj = nn.Linear(key_size, size, bias=False)  # W_k
            self.query_proj = nn.Linear(query_size, size)  # W_q (and a bias)
            self.v = nn.Linear(size, 1, bias=False)  # v
        elif kind == "multiplicative":
            self.key_proj = nn.Linear(key_size, query_size, bias=False)  # W

    def prepare(self, keys: Tensor) -> Tensor:
        """The query-independent part of the scores: ``W_k k`` (additive), ``W k``
        (multiplicative) or ``k`` (dot); ``(N, S, ·)``."""
        return keys if self.kind == "dot" else self.key_proj(keys)

    def forward(
        self, query: Tensor, keys: Tensor, prepared: Tensor, mask: Tensor
    ) -> tuple[Tensor, Tensor]:
        if self.kind == "additive":
            hidden = torch.tanh(prepared + self.query_proj(query)[:, None, :])  # (N, S, A)
            scores = self.v(hidden).squeeze(-1)  # (N, S)
        else:
            scores = torch.bmm(prepared, query[:, :, None]).squeeze(-1)  # (N, S)
        scores = scores.float().masked_fill(~mask, float("-inf"))
        weights = scores.softmax(dim=-1)  # (N, S), 0 on padding
        context = torch.bmm(weights[:, None, :].to(keys.dtype), keys).squeeze(1)  # (N, H_k)
        return context, weights


__all__ = ["Attention", "KINDS"]
