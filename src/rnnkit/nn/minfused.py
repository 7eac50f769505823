r"""``min_fused``: a whole MinGRU/MinLSTM layer-direction, input projection included, in one C++
pass per row of the batch (``rnnkit/nn/fast/csrc/min_fused.cpp``).

It computes what :func:`~rnnkit.nn.minscan.min_scan` computes from ``x W^T``, for
``x`` ``(N, L, H_in)``, ``W`` ``(G*H, H_in)``, ``b`` ``(G*H,)`` and ``h0`` ``(N, H)``:

.. math::
    [k \mid p] = x W^T + b, \quad z = \sigma(k), \quad
    h_t = (1 - z_t) h_{t-1} + z_t\, g(p_t)

(minLSTM: ``[a_f | a_i | p]`` and :math:`z = i / (f + i)`), but the pre-activations of a chunk
of :data:`CHUNK` steps of one row are computed on AVX-512 register tiles into a buffer that
stays in the core's cache and scanned from there. The backward recomputes them chunk by chunk,
in the other order, and sums the weight gradient there:

.. math::
    dW \mathrel{+}= d(xW^T)_c^T\, x_c, \quad db \mathrel{+}= \textstyle\sum_t d(xW^T)_t, \quad
    dx_c = d(xW^T)_c\, W

So neither ``x W^T`` nor its gradient, ``(N, L, G*H)`` each, is written to memory and read
back (at N = 32, L = 2048, H = 256: 128 MB, four times per training step in
:func:`~rnnkit.nn.minscan.min_scan` plus its two large products). Rows run in parallel over
torch's threads, each thread summing its own ``dW`` (the same bits for the same thread count).

:func:`fusable` says when it runs: the compiled module is there with AVX-512, float32 on a CPU
without autocast, ``H`` a multiple of 16, and ``H_in`` a multiple of 16 when ``x`` needs a
gradient (the tiles' width); padded steps (``k = -inf``) are not read from ``x``, so a padded
or packed batch takes :func:`~rnnkit.nn.minscan.min_scan`. ``tests/nn/test_min_fused.py``
proves both equal; the speed is in ``benchmarks/RESULTS.md`` (MinGRU against native GRU).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from .fast.compiled import loops
from .minscan import _or_empty, _rows_of

CHUNK = 128  # steps per chunk of the C++ pass (its constant of the same name)


def fusable(x: Tensor, weight: Tensor, h0: Tensor):
    """The compiled module when :class:`MinFused` can run these operands, else None."""
    tensors = (x, weight, h0)
    if any(t.device.type != "cpu" or t.dtype != torch.float32 for t in tensors):
        return None
    if torch.is_autocast_enabled("cpu") or h0.size(-1) % 16:
        return None
    if x.size(-1) % 16 and x.requires_grad and torch.is_grad_enabled():
        return None
    module = loops()
    if module is None or not module.min_fused_available():
        return None
    return module


def _forward(x: Tensor, weight: Tensor, bias, h0: Tensor, reverse, lstm, time_major):
    """The C++ forward: ``(x, W^T, h0, h)``, the first three as the pass read them; ``h``
    ``(N, L, H)``, with ``time_major`` a transposed view of a contiguous ``(L, N, H)``."""
    x = x if x.stride(-1) == 1 else x.contiguous()
    wt, h0 = weight.t().contiguous(), h0.contiguous()
    batch, length, hidden = x.size(0), x.size(1), h0.size(-1)
    if time_major:
        out = x.new_empty(length, batch, hidden).transpose(0, 1)
    else:
        out = x.new_empty(batch, length, hidden)
    loops().min_fused_forward(x, wt, _or_empty(bias, x), h0, out, reverse, lstm)
    return x, wt, h0, out


class MinFused(torch.autograd.Function):
    """``(x (N, L, H_in), weight (G*H, H_in), bias (G*H,) or None, h0 (N, H))`` ->
    ``h (N, L, H)``; ``reverse`` runs right to left, ``lstm`` selects minLSTM (G = 3) over
    minGRU (G = 2), ``time_major`` writes the states as a transposed ``(L, N, H)``."""

    @staticmethod
    def forward(ctx, x, weight, bias, h0, reverse: bool, lstm: bool, time_major: bool):
        x, wt, h0, out = _forward(x, weight, bias, h0, reverse, lstm, time_major)
        ctx.save_for_backward(x, weight, wt, bias, h0, out)
        ctx.reverse, ctx.lstm = reverse, lstm
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_h: Tensor):
        x, weight, wt, bias, h0, out = ctx.saved_tensors
        batch, length, width = x.size(0), x.size(1), weight.size(0)
        grad_h = _rows_of(grad_h)  # strided or broadcast: read in place
        dwt = x.new_zeros(torch.get_num_threads(), x.size(-1), width)
        dx = x.new_empty(batch, length, x.size(-1) if ctx.needs_input_grad[0] else 0)
        dh0 = torch.empty_like(h0)
        rows = x.new_empty(0 if bias is None else batch, width)
        loops().min_fused_backward(
            x, wt, weight.contiguous(), _or_empty(bias, x), h0, out, grad_h, dwt,
            dx, dh0, rows, ctx.reverse, ctx.lstm,
        )  # fmt: skip
        grad_x = dx if ctx.needs_input_grad[0] else None
        grad_bias = None if bias is None else rows.sum(0)
        return grad_x, dwt.sum(0).t(), grad_bias, dh0, None, None, None


def min_fused(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    h0: Tensor,
    reverse: bool = False,
    lstm: bool = False,
    time_major: bool = False,
) -> Tensor:
    """All states ``(N, L, H)`` of the layer-direction (see the module docstring) for a
    batch-major ``x`` ``(N, L, H_in)``; call only where :func:`fusable` returned the module.
    Without a gradient wanted only the forward runs (nothing is kept)."""
    wanted = [t for t in (x, weight, bias, h0) if t is not None and t.requires_grad]
    if torch.is_grad_enabled() and wanted:
        return MinFused.apply(x, weight, bias, h0, reverse, lstm, time_major)
    return _forward(x, weight, bias, h0, reverse, lstm, time_major)[3]


__all__ = ["CHUNK", "MinFused", "fusable", "min_fused"]
