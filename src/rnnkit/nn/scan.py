r"""The parallel scan behind :class:`~rnnkit.nn.MinGRU` and :class:`~rnnkit.nn.MinLSTM`.

Both cells reduce to one *gated linear recurrence* whose gate depends on the input only:

.. math::
    z_t = \sigma(k_t), \qquad \tilde h_t = g(p_t), \qquad
    h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t
        = a_t \odot h_{t-1} + b_t

with :math:`g(x) = x + 0.5` for :math:`x \ge 0` and :math:`\sigma(x)` below (positive, so that
the log-space form of Feng et al. 2024 exists). Since ``a_t`` and ``b_t`` do not depend on
``h``, the pairs compose associatively, :math:`(a_1, b_1) \circ (a_2, b_2) = (a_1 a_2,\;
a_2 b_1 + b_2)`, and all ``L`` states come out of a tree of ``2 log2(L)`` levels instead of a
chain of ``L`` steps.

Three ways to compute the same ``h`` ``(L, N, H)``:

- :func:`linear_scan_`: the Brent-Kung (Blelloch, inclusive) tree on ``(a, b)`` in place, an
  up-sweep of ``log2(L)`` levels that builds block products and a down-sweep that completes
  the prefixes. Only products of ``a`` in (0, 1) and sums: nothing is divided, so it is as
  stable as the log space without its ``exp``/``log`` per element, and ``h`` may have any
  sign (an initial state from elsewhere). :func:`rnnkit.nn.minscan.min_scan` runs it with a
  hand-written backward (the gradient is the same recurrence run backwards in time).
- :func:`log_space_scan`: the paper's form, ``log h_t = a*_t + logcumsumexp(log b - a*)_t``
  with ``a* = cumsum(log a)``, plus ``exp(a*_t) h_0`` for the initial state (of any sign). It
  is kept as the textbook reference; on a CPU ``torch.logcumsumexp`` is slower than a GRU.
- :func:`min_step`: one step, for streaming and generation, and the tests' oracle.

Every function works on time-major tensors ``(L, N, H)``; ``reverse=True`` runs right to left
(``h_t`` depends on ``h_{t+1}``), which the backward direction of a layer uses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def g(x: Tensor) -> Tensor:
    """The candidate's activation: ``x + 0.5`` for ``x >= 0``, else ``sigmoid(x)`` (> 0)."""
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def log_g(x: Tensor) -> Tensor:
    """``log g(x)``, stable: ``log(x + 0.5)`` for ``x >= 0``, else ``-softplus(-x)``."""
    return torch.where(x >= 0, torch.log(F.relu(x) + 0.5), -F.softplus(-x))


def min_step(k_t: Tensor, p_t: Tensor, h_prev: Tensor) -> Tensor:
    """One step: ``h_t = (1 - z) h_{t-1} + z g(p)``, ``z = sigmoid(k)``. Shapes ``(N, H)``."""
    z = torch.sigmoid(k_t)  # update gate  (N, H)
    return (1 - z) * h_prev + z * g(p_t)  # (N, H)


def tree_levels(length: int) -> list[tuple[str, int, slice, slice]]:
    """The scan's schedule: ``(phase, stride, targets, sources)`` per level, forward order.

    At each level every target ``i`` absorbs its source ``i - stride`` at once:
    ``(a_i, b_i) <- (a_src, b_src) o (a_i, b_i)``. ``phase`` is ``"up"`` (``log2`` levels that
    build the product of each aligned block) or ``"down"`` (the levels that complete the
    prefixes). Example: ``length = 8`` has up-strides 1, 2, 4 and down-strides 2, 1.
    """
    levels, stride = [], 1
    while 2 * stride - 1 < length:
        levels.append(("up", stride, *_pairs(length, 2 * stride - 1, stride)))
        stride *= 2
    stride //= 2
    while stride >= 1:
        if 3 * stride - 1 < length:
            levels.append(("down", stride, *_pairs(length, 3 * stride - 1, stride)))
        stride //= 2
    return levels


def _pairs(length: int, first: int, stride: int) -> tuple[slice, slice]:
    count = len(range(first, length, 2 * stride))
    last = first + 2 * stride * (count - 1)
    return slice(first, last + 1, 2 * stride), slice(first - stride, last - stride + 1, 2 * stride)


def _mirror(cut: slice, length: int) -> slice:
    """The same positions counted from the end (``i -> length - 1 - i``), ascending."""
    first, last = cut.start, cut.stop - 1
    return slice(length - 1 - last, length - first, cut.step)


def linear_scan_(a: Tensor, b: Tensor, reverse: bool = False) -> Tensor:
    """In place: ``b`` becomes ``h`` with ``h_t = a_t h_{t-1} + b_t`` (``h_{-1} = 0``).

    ``a``, ``b``: ``(L, ...)``, time first; ``a`` is overwritten with block products.
    ``reverse=True`` computes ``h_t = a_t h_{t+1} + b_t`` instead. Returns ``b``.
    """
    length = a.size(0)
    for phase, _, targets, sources in tree_levels(length):
        if reverse:
            targets, sources = _mirror(targets, length), _mirror(sources, length)
        b[targets].addcmul_(a[targets], b[sources])  # b_i <- a_i b_src + b_i
        if phase == "up":
            a[targets].mul_(a[sources])  # a_i <- a_src a_i
    return b


def log_space_scan(k: Tensor, p: Tensor, h0: Tensor) -> Tensor:
    """The paper's log-space scan (forward in time), ``(L, N, H)``; ``h0`` ``(N, H)``.

    ``log a = -softplus(k)``, ``log b = -softplus(-k) + log g(p)``, ``a* = cumsum(log a)``:
    ``h_t = exp(a*_t + logcumsumexp(log b - a*)_t) + exp(a*_t) h_0``.
    """
    log_a = -F.softplus(k)  # log(1 - z)
    log_b = -F.softplus(-k) + log_g(p)  # log(z g(p))
    a_star = torch.cumsum(log_a, dim=0)  # (L, N, H)
    return torch.exp(a_star + torch.logcumsumexp(log_b - a_star, dim=0)) + torch.exp(a_star) * h0


def step_loop(k: Tensor, p: Tensor, h0: Tensor, reverse: bool = False) -> Tensor:
    """:func:`min_step` one step at a time over ``k, p`` ``(L, N, H)`` (the tests' oracle)."""
    steps = range(k.size(0) - 1, -1, -1) if reverse else range(k.size(0))
    out: list[Tensor] = [h0] * k.size(0)
    h = h0
    for t in steps:
        h = min_step(k[t], p[t], h)
        out[t] = h
    return torch.stack(out)


__all__ = [
    "g",
    "linear_scan_",
    "log_g",
    "log_space_scan",
    "min_step",
    "step_loop",
    "tree_levels",
]
