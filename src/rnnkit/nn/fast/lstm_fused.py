r"""A whole LSTM layer-direction, input projection included, in one C++ pass per step.

:class:`FusedLSTMFunction` is :class:`~.lstm.LSTMFunction` with the input projection moved
inside the step: per step ``t`` (``'``: the cell-gate rows doubled, as in :mod:`.lstm`)

.. math::
    a'_t = b' + x_t W_{ih}'^T + h_{t-1} W_{hh}'^T \quad (B_t, 4H)

on AVX-512 register tiles (``csrc/small_gemm.h``), then the same cell. An input width that is
not a multiple of the tiles' 16 is padded with zero columns (of ``x`` and ``W_ih``), which
add nothing to ``a'`` and whose gradients are dropped. The backward sums
every weight gradient step by step, while the step's rows are still in the core's L1:

.. math::
    dW_{hh}' \mathrel{+}= da'^T_t h_{t-1}, \quad dW_{ih}' \mathrel{+}= da'^T_t x_t, \quad
    db' \mathrel{+}= \textstyle\sum_{rows} da'_t, \quad dx_t = da'_t W_{ih}', \quad
    dh_{t-1} = da'_t W_{hh}'

So no ``(L, N, 4H)`` pre-activation or gradient is written to memory and read back, and no
large product runs after the loop. Without a gradient wanted, the activations of one step are
kept instead of all L. Where the module is built with OpenMP (:mod:`.compiled`) a step's rows,
then the weight gradients' rows, are split over torch's threads, with the same bits as one
thread. ``benchmarks/lstm_gap.py``, one thread: forward and backward at
``(N=32, L=200, H_in=32, H=64)`` took 0.70x the time of ``torch.nn.LSTM`` (1.15x with the
step loops of :mod:`.lstm` and the projection on oneDNN), and at ``(64, 100, 128, 256)`` 0.92x
against 1.24x; on two threads 0.80x and 0.93x (``benchmarks/RESULTS.md``).

:func:`fused` says when it runs: the compiled module is there and was built with AVX-512,
float32 on a CPU without autocast, ``H`` a multiple of 16 and at most 256 (at 512 the tiles
lost to oneDNN: 387 against 329 ms at N=32, L=100), and unless the module has no threads while
torch has several and the step is at least :data:`~.linear.STEP_DNN_MACS` (then oneDNN's
parallel product won: 143 against 171 ms at (64, 100, 128, 256) on two threads).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from .compiled import loops
from .linear import step_on_dnn
from .lstm import _carry, doubled
from .schedule import Schedule, new_buffer, outputs, put_first, take_last


def fused(x: Tensor, w_ih: Tensor, w_hh: Tensor, batch: int):
    """The compiled module when :class:`FusedLSTMFunction` can run these operands, else None."""
    hid = w_hh.size(1)
    if x.device.type != "cpu" or torch.is_autocast_enabled("cpu"):
        return None
    if any(t.dtype != torch.float32 for t in (x, w_ih, w_hh)):
        return None
    if hid % 16:
        return None
    module = loops()
    if module is None or hid > module.fused_max_hidden():
        return None
    if step_on_dnn(batch, w_hh) and torch.get_num_threads() > 1 and not module.parallel():
        return None  # a large step, tiles on one core: oneDNN's parallel product wins
    return module


class FusedLSTMFunction(torch.autograd.Function):
    """``(x (L, N, H_in), w_ih (4H, H_in), bias (4H,) or None, h0, c0 (N, H), w_hh (4H, H))``
    -> ``(out (L, N, H), h_n, c_n)``; ``bias`` is ``b_ih + b_hh``. ``grad``: whether autograd
    was on at the call (inside ``forward`` it is off); without it, or when no input needs a
    gradient, the activations of one step are kept instead of all L."""

    @staticmethod
    def forward(
        ctx, x, w_ih, bias, h0, c0, w_hh, schedule: Schedule, reverse: bool, module, grad: bool
    ):
        width = x.size(2)
        x, wi = _padded(x.contiguous(), width), _padded(doubled(w_ih), width)
        wh = doubled(w_hh)
        b = w_hh.new_zeros(w_hh.size(0)) if bias is None else doubled(bias)
        length, n, hid = schedule.length, schedule.batch, w_hh.size(1)
        hs, cs = (new_buffer(schedule, length + 1, n, hid, like=x) for _ in range(2))
        kept = length if grad and any(ctx.needs_input_grad) else 1  # else one step's scratch
        acts = new_buffer(schedule, kept, n, 4 * hid, like=x)
        tcs = new_buffer(schedule, kept, n, hid, like=x)
        first = schedule.first_slot(reverse, x.device)
        put_first(hs, h0.to(x.dtype), first)
        put_first(cs, c0.to(x.dtype), first)
        module.fused_forward(x, wi, b.contiguous(), wh, hs, cs, acts, tcs, schedule.sizes, reverse)
        last = schedule.last_slot(reverse, x.device)
        out = outputs(hs, schedule, reverse)
        h_n, c_n = take_last(hs, last), take_last(cs, last)
        ctx.schedule, ctx.reverse, ctx.module = schedule, reverse, module
        ctx.has_bias, ctx.state_dtype, ctx.width = bias is not None, h0.dtype, width
        ctx.buffers = hs, cs, acts, tcs, wi, wh
        ctx.save_for_backward(x, w_hh, out)
        return out, h_n, c_n

    @staticmethod
    @once_differentiable
    def backward(ctx, dout, dh_n, dc_n):
        x, w_hh, out = ctx.saved_tensors  # checks that nobody modified ``out`` in place
        hs, cs, acts, tcs, wi, wh = ctx.buffers
        dh, dc = (_carry(g, out[0], out.dtype) for g in (dh_n, dc_n))
        dout = torch.zeros_like(out) if dout is None else dout.float().contiguous()
        dx = torch.empty_like(x) if ctx.needs_input_grad[0] else x.new_empty(0)
        dw_ih, dw_hh, db = wi.new_zeros(wi.shape), wh.new_zeros(wh.shape), wh.new_zeros(wh.size(0))
        args = dout, x, wi, wh, acts, tcs, hs, cs, dh, dc, dx, dw_ih, dw_hh, db
        ctx.module.fused_backward(*args, ctx.schedule.sizes, ctx.reverse)
        return (
            dx[..., : ctx.width] if ctx.needs_input_grad[0] else None,
            doubled(dw_ih[:, : ctx.width]),
            doubled(db) if ctx.has_bias else None,
            dh.to(ctx.state_dtype),
            dc.to(ctx.state_dtype),
            doubled(dw_hh),
            None,
            None,
            None,
            None,
        )


def _padded(t: Tensor, width: int) -> Tensor:
    """``t (..., H_in)`` with zero columns up to a multiple of 16, the tiles' width."""
    extra = -width % 16
    return torch.nn.functional.pad(t, (0, extra)) if extra else t
