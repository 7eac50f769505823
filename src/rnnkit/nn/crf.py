r"""A linear-chain conditional random field over tag sequences, batched over padded sentences.

For emission scores :math:`e_t(y)` (from the tagger, one per position and tag), transition
scores :math:`T_{ij}` (tag i followed by tag j), and start and end scores :math:`s_j`,
:math:`f_i`, a tag sequence :math:`y_1 \dots y_n` scores

.. math::

    \mathrm{score}(y) = s_{y_1} + \sum_{t=1}^{n} e_t(y_t)
        + \sum_{t=2}^{n} T_{y_{t-1} y_t} + f_{y_n}

and :math:`p(y \mid x) = \exp(\mathrm{score}(y)) / Z` with
:math:`\log Z = \log \sum_{y'} \exp(\mathrm{score}(y'))`, computed by the forward algorithm
in log space:

.. math::

    \alpha_1(j) = s_j + e_1(j), \qquad
    \alpha_t(j) = e_t(j) + \log \sum_i \exp\big(\alpha_{t-1}(i) + T_{ij}\big), \qquad
    \log Z = \log \sum_i \exp\big(\alpha_n(i) + f_i\big).

Viterbi decoding replaces the log-sum-exp by a max and keeps the arg-max as back-pointers.
A padded position (``mask`` False) carries :math:`\alpha` through unchanged, so one loop over
the longest sentence serves the whole batch. Forbidden moves (e.g. ``O -> I-PER`` in BIO) get
the score :data:`IMPOSSIBLE` added, which no path through them can make up for.

Shapes: N sentences, L the padded length, K tags. ``emissions`` ``(N, L, K)``, ``tags``
``(N, L)`` (any value at padded positions), ``mask`` ``(N, L)`` bool, True on the first
``length`` positions of each row, and every length at least 1.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

IMPOSSIBLE = -10000.0  # added to the score of a forbidden move: exp(-1e4) is 0 in float32


class CRF(nn.Module):
    """Linear-chain CRF with learned transitions, start and end scores, and optional
    constraints.

    Args:
        num_tags: K.
        allowed: optional ``(K, K)`` bool, ``allowed[i, j]`` = tag j may follow tag i.
        allowed_start, allowed_end: optional ``(K,)`` bool, tags that may begin / end a
            sentence.

    Example::

        >>> crf = CRF(3)
        >>> emissions, mask = torch.randn(2, 4, 3), torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
        >>> crf.nll(emissions, torch.zeros(2, 4, dtype=torch.long), mask.bool()).shape
        torch.Size([2])
        >>> crf.decode(emissions, mask.bool())[0].shape
        torch.Size([2, 4])
    """

    def __init__(
        self,
        num_tags: int,
        allowed: Tensor | None = None,
        allowed_start: Tensor | None = None,
        allowed_end: Tensor | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(num_tags, int) or num_tags < 1:
            raise ValueError(f"num_tags must be a positive integer, received {num_tags!r}")
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags))  # T[i, j]: i -> j
        self.start = nn.Parameter(torch.empty(num_tags))
        self.end = nn.Parameter(torch.empty(num_tags))
        nn.init.uniform_(self.transitions, -0.1, 0.1)
        nn.init.uniform_(self.start, -0.1, 0.1)
        nn.init.uniform_(self.end, -0.1, 0.1)
        k = num_tags
        self.register_buffer("penalty", self._penalty(allowed, (k, k), "allowed"))
        self.register_buffer("start_penalty", self._penalty(allowed_start, (k,), "allowed_start"))
        self.register_buffer("end_penalty", self._penalty(allowed_end, (k,), "allowed_end"))

    @staticmethod
    def _penalty(allowed: Tensor | None, shape: tuple[int, ...], name: str) -> Tensor:
        if allowed is None:
            return torch.zeros(shape)
        allowed = torch.as_tensor(allowed, dtype=torch.bool)
        if tuple(allowed.shape) != shape:
            raise ValueError(f"{name} must have shape {shape}, received {tuple(allowed.shape)}")
        return torch.where(allowed, 0.0, IMPOSSIBLE)

    def scores(self) -> tuple[Tensor, Tensor, Tensor]:
        """Transition, start and end scores with the constraint penalties added."""
        return (
            self.transitions + self.penalty,
            self.start + self.start_penalty,
            self.end + self.end_penalty,
        )

    def _check(self, emissions: Tensor, mask: Tensor) -> None:
        if emissions.dim() != 3 or emissions.size(-1) != self.num_tags:
            raise ValueError(
                f"emissions must be (N, L, K={self.num_tags}), received {tuple(emissions.shape)}"
            )
        if mask.shape != emissions.shape[:2] or mask.dtype != torch.bool:
            raise ValueError(
                f"mask must be a bool tensor of shape {tuple(emissions.shape[:2])}, received "
                f"{mask.dtype} {tuple(mask.shape)}"
            )
        if not bool(mask[:, 0].all()):
            raise ValueError("mask must be True at position 0 of every sentence (length >= 1)")

    def log_partition(self, emissions: Tensor, mask: Tensor) -> Tensor:
        """log Z of each sentence by the forward algorithm: ``(N,)``."""
        self._check(emissions, mask)
        trans, start, end = self.scores()
        alpha = start + emissions[:, 0]  # (N, K)
        for t in range(1, emissions.size(1)):
            step = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]  # (N, K)
            alpha = torch.where(mask[:, t : t + 1], step, alpha)
        return torch.logsumexp(alpha + end, dim=1)

    def score(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        """score(y) of the given tag paths: ``(N,)``."""
        self._check(emissions, mask)
        trans, start, end = self.scores()
        tags = tags.masked_fill(~mask, 0)  # padding may hold any value
        maskf = mask.to(emissions.dtype)
        emitted = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (N, L)
        total = start[tags[:, 0]] + (emitted * maskf).sum(1)
        moves = trans[tags[:, :-1], tags[:, 1:]]  # (N, L-1)
        total = total + (moves * maskf[:, 1:]).sum(1)
        last = mask.long().sum(1) - 1  # (N,)
        return total + end[tags.gather(1, last.unsqueeze(1)).squeeze(1)]

    def nll(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        """Negative log-likelihood ``log Z - score(y)`` of each gold path: ``(N,)``."""
        return self.log_partition(emissions, mask) - self.score(emissions, tags, mask)

    def marginals(self, emissions: Tensor, mask: Tensor) -> Tensor:
        r"""Marginal probabilities :math:`p(y_t = j \mid x)` ``(N, L, K)``, 0 at padding.

        The forward-backward algorithm, run by autograd: :math:`p(y_t = j \mid x) =
        \partial \log Z / \partial e_t(j)` (works under ``torch.no_grad()``; the weights
        get no gradient)."""
        with torch.enable_grad():
            dtype = torch.promote_types(emissions.dtype, torch.float32)  # bf16 -> float32
            e = emissions.detach().to(dtype).requires_grad_(True)
            (grad,) = torch.autograd.grad(self.log_partition(e, mask).sum(), e)
        return grad * mask.unsqueeze(-1)

    def decode(self, emissions: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """Viterbi: the best path of each sentence ``(N, L)`` (0 at padding) and its score
        ``(N,)``."""
        self._check(emissions, mask)
        trans, start, end = self.scores()
        n, length, k = emissions.shape
        best = start + emissions[:, 0]  # (N, K): best score of a path ending in each tag
        keep = torch.arange(k, device=emissions.device).expand(n, k)
        pointers = []
        for t in range(1, length):
            step, arg = (best.unsqueeze(2) + trans).max(dim=1)  # (N, K) each
            on = mask[:, t : t + 1]
            best = torch.where(on, step + emissions[:, t], best)
            pointers.append(torch.where(on, arg, keep))  # padding points to itself
        final, tag = (best + end).max(dim=1)  # (N,)
        path = [tag]
        for arg in reversed(pointers):
            tag = arg.gather(1, tag.unsqueeze(1)).squeeze(1)
            path.append(tag)
        path = torch.stack(path[::-1], dim=1)  # (N, L)
        return path.masked_fill(~mask, 0), final

    def extra_repr(self) -> str:
        constrained = bool((self.penalty != 0).any() or (self.start_penalty != 0).any())
        return f"num_tags={self.num_tags}, constrained={constrained}"
