r"""Elman RNN (tanh or ReLU) over a whole sequence with a hand-written backward through time.

Forward, per step (``gi = x_t W_ih^T + b_ih + b_hh`` for all steps in one product by the
caller; h: (B_t, H)):

.. math::
    h_t = \phi(gi_t + h_{t-1} W_{hh}^T), \qquad \phi = \tanh \text{ or } \mathrm{relu}

Saved: ``h`` in a slot buffer (L+1, N, H). Backward: ``da_t = (dout_t + dh_t) \odot
\phi'(a_t)`` with ``\phi' = 1 - h_t^2`` (tanh) or ``[h_t > 0]`` (relu), computed for all steps
before the loop, and ``dh_{t-1} = da_t W_hh``: three small operations per step. Then
``dW_hh = dA^T H_prev`` is one ``(H, L*N) @ (L*N, H)`` product; ``da`` is the gradient of
``gi``.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from .jit import Loop, rows
from .precision import cast, compute_dtype, no_autocast
from .schedule import Schedule, new_buffer, outputs, put_first, take_last


def _forward_loop(
    gi: list[Tensor],
    w_t: Tensor,
    hs: list[Tensor],
    steps: list[int],
    sizes: list[int],
    reverse: bool,
    relu: bool,
) -> None:
    for t in steps:
        b = sizes[t]
        p, q = (t + 1, t) if reverse else (t, t + 1)  # slots before / after step t
        h = rows(hs[q], b)
        torch.addmm(rows(gi[t], b), rows(hs[p], b), w_t, out=h)  # a_t = gi_t + h_{t-1} W_hh^T
        if relu:
            h.relu_()
        else:
            h.tanh_()


def _backward_loop(
    dout: list[Tensor],
    w: Tensor,
    da: list[Tensor],
    dh: Tensor,
    steps: list[int],
    sizes: list[int],
) -> None:
    for t in steps:
        b = sizes[t]
        g = rows(da[t], b)
        g.mul_(rows(dh, b) + rows(dout[t], b))  # da_t = φ'(a_t) ⊙ dh_t
        torch.mm(g, w, out=rows(dh, b))  # to h_{t-1}: da_t W_hh


FORWARD_LOOP = Loop(_forward_loop)
BACKWARD_LOOP = Loop(_backward_loop)


class RNNFunction(torch.autograd.Function):
    """``(gi (L, N, H), h0 (N, H), W_hh (H, H))`` -> ``(out (L, N, H), h_n (N, H))``."""

    @staticmethod
    def forward(ctx, gi, h0, w_hh, schedule: Schedule, reverse: bool, relu: bool):
        dtype = compute_dtype(gi)
        ctx.dtypes = gi.dtype, h0.dtype, w_hh.dtype  # the dtypes of the returned gradients
        with no_autocast(gi):
            gi, w_t = gi.to(dtype), w_hh.to(dtype).t()
            hs = new_buffer(schedule, schedule.length + 1, schedule.batch, w_hh.size(1), like=gi)
            put_first(hs, h0.to(dtype), schedule.first_slot(reverse, gi.device))
            FORWARD_LOOP(
                gi.unbind(0),
                w_t,
                hs.unbind(0),
                schedule.steps(reverse),
                schedule.sizes,
                reverse,
                relu,
            )
            out = outputs(hs, schedule, reverse)
            h_n = take_last(hs, schedule.last_slot(reverse, gi.device))
        ctx.schedule, ctx.reverse, ctx.relu, ctx.hs = schedule, reverse, relu, hs
        ctx.save_for_backward(w_hh, out)
        return out, h_n

    @staticmethod
    @once_differentiable
    def backward(ctx, dout, dh_n):
        w_hh, out = ctx.saved_tensors  # checks that nobody modified ``out`` in place
        schedule, reverse, hs = ctx.schedule, ctx.reverse, ctx.hs
        gi_dtype, state_dtype, w_dtype = ctx.dtypes
        dtype = hs.dtype
        with no_autocast(hs):
            if ctx.relu:
                da = (out > 0).to(dtype)
            else:
                da = torch.addcmul(out.new_ones(()), out, out, value=-1)  # 1 - h_t^2
            valid = schedule.valid(hs.device, dtype)
            if valid is not None:
                da.mul_(valid)  # padding rows get no gradient
            dh = out.new_zeros(out[0].shape) if dh_n is None else dh_n.to(dtype, copy=True)
            dout = torch.zeros_like(out) if dout is None else dout.to(dtype)
            BACKWARD_LOOP(
                dout.unbind(0),
                cast(w_hh, dtype),
                da.unbind(0),
                dh,
                schedule.steps(not reverse),
                schedule.sizes,
            )
            h_prev = hs[1:] if reverse else hs[:-1]
            dw_hh = da.reshape(-1, da.size(2)).t().mm(h_prev.reshape(-1, h_prev.size(2)))
        return da.to(gi_dtype), dh.to(state_dtype), dw_hh.to(w_dtype), None, None, None
