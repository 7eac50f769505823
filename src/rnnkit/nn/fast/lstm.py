r"""LSTM over a whole sequence with a hand-written backward through time.

Forward, per step (torch's gate order i, f, g, o; ``gi = x_t W_ih^T + b_ih + b_hh`` for all
steps in one product by the caller, ``h, c``: (B_t, H)):

.. math::
    \begin{array}{ll}
    a_t = gi_t + h_{t-1} W_{hh}^T \quad (B_t, 4H) \\
    i, f, o = \sigma(a_{i,f,o}), \quad g = \tanh(a_g) \\
    c_t = f \odot c_{t-1} + i \odot g, \quad h_t = o \odot \tanh(c_t)
    \end{array}

computed with sigmoids only: :math:`\tanh x = 2\sigma(2x) - 1`. The caller doubles the
cell-gate rows of ``W_ih`` and the bias (:func:`doubled`), the kernel those of ``W_hh``, so
one ``sigmoid`` over the whole ``(B_t, 4H)`` pre-activation gives ``i, f, o`` and
:math:`\sigma(2a_g)`, and ``tanh(c_t)`` is a product, a sigmoid and an affine map. In this
torch build ``tanh`` costs about five times a ``sigmoid`` on a step's 2048 floats (5.4 against
1.1 us), so the step runs 9 cheap operations instead of 8 with two ``tanh``.

Saved: the activations ``(i, f, g, o)`` (L, N, 4H), ``c`` and ``h`` in slot buffers
(L+1, N, H) and ``tanh(c_t)`` (L, N, H). Backward, with ``dh_t`` = output gradient + recurrent
gradient and ``dc`` carried from the step after (``a'``: the pre-activation with the doubled
cell-gate block, whose gradient is returned for ``gi``):

.. math::
    \begin{array}{ll}
    dc_t = dc_{t+1} \odot f_{t+1} + dh_t \odot o \odot (1 - \tanh^2 c_t) \\
    da_i = dc_t \odot g \odot i(1-i), \quad da_f = dc_t \odot c_{t-1} \odot f(1-f) \\
    da'_g = dc_t \odot i \odot (1-g^2) / 2, \quad da_o = dh_t \odot \tanh c_t \odot o(1-o) \\
    dh_{t-1} \mathrel{+}= da'_t W'_{hh}
    \end{array}

The factors that do not depend on the gradient are computed for all steps at once before the
loop, so the loop does six small operations per step. Then ``dW'_hh = dA'^T H_prev`` is one
``(4H, L*N) @ (L*N, H)`` product (``dW_hh`` doubles its cell-gate rows again), and ``da'`` is
the gradient of ``gi`` (whose backward gives ``dW_ih``, ``dx`` and both biases).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from .compiled import loops
from .jit import Loop, per_step, rows
from .linear import step_on_dnn
from .precision import cast, compute_dtype, no_autocast
from .schedule import Schedule, new_buffer, outputs, put_first, take_last


def _forward_loop(
    gi: list[Tensor],
    w: Tensor,
    dnn: bool,
    hs: list[Tensor],
    cs: list[Tensor],
    acts: list[Tensor],
    gates: list[list[Tensor]],
    tcs: list[Tensor],
    steps: list[int],
    sizes: list[int],
    reverse: bool,
) -> None:
    i, f, g, o = gates  # per-step views of acts: (N, H) each
    minus_one = torch.full((1,), -1.0, dtype=w.dtype, device=w.device)
    w_t = w.t()
    for t in steps:
        b = sizes[t]
        p, q = (t + 1, t) if reverse else (t, t + 1)  # slots before / after step t
        a, c, tc, g_t = rows(acts[t], b), rows(cs[q], b), rows(tcs[t], b), rows(g[t], b)
        if dnn:  # a'_t = gi_t + h_{t-1} W'^T on oneDNN, then i, f, σ(2 a_g), o
            gemm = torch.ops.mkldnn._linear_pointwise(
                rows(hs[p], b), rows(gi[t], b), w, None, "add"
            )
            torch.sigmoid(gemm, out=a)
        else:
            torch.addmm(rows(gi[t], b), rows(hs[p], b), w_t, out=a)  # a'_t (B_t, 4H)
            a.sigmoid_()  # i, f, σ(2 a_g), o
        torch.add(minus_one, g_t, alpha=2, out=g_t)  # g = 2σ(2 a_g) - 1 = tanh(a_g)
        torch.mul(rows(f[t], b), rows(cs[p], b), out=c)  # f ⊙ c_{t-1}
        c.addcmul_(rows(i[t], b), g_t)  # c_t = f ⊙ c_{t-1} + i ⊙ g
        torch.mul(c, 2.0, out=tc)
        tc.sigmoid_()
        torch.add(minus_one, tc, alpha=2, out=tc)  # tanh(c_t) = 2σ(2 c_t) - 1
        torch.mul(rows(o[t], b), tc, out=rows(hs[q], b))  # h_t = o ⊙ tanh(c_t)


def _backward_loop(
    dout: list[Tensor],
    w: Tensor,
    dnn: bool,
    f: list[Tensor],
    da: list[Tensor],
    da_ifg: list[Tensor],
    da_o: list[Tensor],
    oc: list[Tensor],
    dh: Tensor,
    dc: Tensor,
    steps: list[int],
    sizes: list[int],
) -> None:
    w_t = w.t().contiguous()  # (H, 4H), oneDNN's weight layout for da_t W
    for t in steps:
        b = sizes[t]
        d = rows(dh, b) + rows(dout[t], b)  # dh_t
        dct = torch.addcmul(rows(dc, b), d, rows(oc[t], b))  # dc_t
        rows(da_ifg[t], b).mul_(dct.unsqueeze(1))  # da_i, da_f, da_g: (B_t, 3, H)
        rows(da_o[t], b).mul_(d)  # da_o
        torch.mul(dct, rows(f[t], b), out=rows(dc, b))  # to c_{t-1}: dc_t ⊙ f_t
        if dnn:  # to h_{t-1}: da_t W'_hh
            rows(dh, b).copy_(
                torch.ops.mkldnn._linear_pointwise(rows(da[t], b), w_t, None, "none", [], "")
            )
        else:
            torch.mm(rows(da[t], b), w, out=rows(dh, b))


FORWARD_LOOP = Loop(_forward_loop)
BACKWARD_LOOP = Loop(_backward_loop)


def _gate_factors(acts: Tensor, tcs: Tensor, c_prev: Tensor, valid: Tensor | None) -> Tensor:
    """``[g i(1-i), c_{t-1} f(1-f), i(1-g^2)/2, tanh(c_t) o(1-o)]`` for all steps, (L, N, 4H)
    (the cell gate's is halved: its pre-activation was doubled)."""
    i, f, g, o = acts.chunk(4, dim=2)
    factors = torch.addcmul(acts, acts, acts, value=-1)  # s(1-s) for every gate
    fi, ff, fg, fo = factors.chunk(4, dim=2)
    torch.addcmul(acts.new_full((), 0.5), g, g, value=-0.5, out=fg)  # (1 - g^2) / 2
    fi.mul_(g), ff.mul_(c_prev), fg.mul_(i), fo.mul_(tcs)
    if valid is not None:
        factors.mul_(valid)  # padding rows get no gradient
    return factors


class LSTMFunction(torch.autograd.Function):
    """``(gi (L, N, 4H), h0, c0 (N, H), W_hh (4H, H))`` -> ``(out (L, N, H), h_n, c_n)``."""

    @staticmethod
    def forward(ctx, gi, h0, c0, w_hh, schedule: Schedule, reverse: bool):
        dtype = compute_dtype(gi)
        ctx.dtypes = gi.dtype, h0.dtype, w_hh.dtype  # the dtypes of the returned gradients
        with no_autocast(gi):
            gi, w = gi.to(dtype), doubled(w_hh.to(dtype))
            dnn = step_on_dnn(schedule.batch, w)
            length, n, hid = schedule.length, schedule.batch, w_hh.size(1)
            hs, cs = (new_buffer(schedule, length + 1, n, hid, like=gi) for _ in range(2))
            acts = new_buffer(schedule, length, n, 4 * hid, like=gi)
            tcs = new_buffer(schedule, length, n, hid, like=gi)
            first = schedule.first_slot(reverse, gi.device)
            put_first(hs, h0.to(dtype), first)
            put_first(cs, c0.to(dtype), first)
            compiled = _compiled(dnn, gi)
            if compiled is not None:  # the same loop in C++ (.compiled)
                compiled.forward_loop(gi, w, hs, cs, acts, tcs, schedule.sizes, reverse)
            else:
                _script_forward(gi, w, dnn, hs, cs, acts, tcs, schedule, reverse)
            last = schedule.last_slot(reverse, gi.device)
            out = outputs(hs, schedule, reverse)
            h_n, c_n = take_last(hs, last), take_last(cs, last)
        ctx.schedule, ctx.reverse, ctx.dnn = schedule, reverse, dnn
        ctx.compiled = compiled
        ctx.buffers = hs, cs, acts, tcs
        ctx.save_for_backward(w_hh, out)
        return out, h_n, c_n

    @staticmethod
    @once_differentiable
    def backward(ctx, dout, dh_n, dc_n):
        w_hh, out = ctx.saved_tensors  # checks that nobody modified ``out`` in place
        hs, cs, acts, tcs = ctx.buffers
        schedule, reverse = ctx.schedule, ctx.reverse
        gi_dtype, state_dtype, w_dtype = ctx.dtypes
        dtype = acts.dtype
        with no_autocast(acts):
            dh, dc = (_carry(g, out[0], dtype) for g in (dh_n, dc_n))
            dout = torch.zeros_like(out) if dout is None else dout.to(dtype)
            w = doubled(cast(w_hh, dtype))
            if ctx.compiled is not None:  # the module the forward ran: gate factors, dW' too
                da, dw = torch.empty_like(acts), w.new_empty(w.shape)
                args = dout.contiguous(), w, acts, tcs, hs, cs, da, dh, dc, dw
                ctx.compiled.backward_loop(*args, schedule.sizes, reverse)
            else:
                c_prev = cs[1:] if reverse else cs[:-1]
                da = _gate_factors(acts, tcs, c_prev, schedule.valid(acts.device, dtype))
                oc = torch.addcmul(acts[..., 3 * w_hh.size(1) :], out, tcs, value=-1)  # o(1-th²)
                _script_backward(dout, w, ctx.dnn, acts, da, oc, dh, dc, schedule, reverse)
                h_prev = (hs[1:] if reverse else hs[:-1]).reshape(-1, hs.size(2))
                dw = da.view(-1, da.size(2)).t().mm(h_prev)
            dw_hh = doubled(dw)  # (4H, H)
        return (
            da.to(gi_dtype),
            dh.to(state_dtype),
            dc.to(state_dtype),
            dw_hh.to(w_dtype),
            None,
            None,
        )


def _compiled(dnn: bool, gi: Tensor):
    """The C++ loops (:mod:`.compiled`) for a float32 CPU step on ATen's product, else None."""
    if dnn or gi.dtype != torch.float32 or gi.device.type != "cpu":
        return None
    return loops()


def _script_forward(gi, w, dnn, hs, cs, acts, tcs, schedule: Schedule, reverse: bool) -> None:
    """The forward step loop in TorchScript (:data:`FORWARD_LOOP`) on per-step views."""
    FORWARD_LOOP(
        gi.unbind(0),
        w,
        dnn,
        hs.unbind(0),
        cs.unbind(0),
        acts.unbind(0),
        per_step(*acts.chunk(4, dim=2)),
        tcs.unbind(0),
        schedule.steps(reverse),
        schedule.sizes,
        reverse,
    )


def _script_backward(dout, w, dnn, acts, da, oc, dh, dc, schedule: Schedule, reverse: bool):
    """The backward step loop in TorchScript (:data:`BACKWARD_LOOP`) on per-step views."""
    hid = dh.size(1)
    BACKWARD_LOOP(
        dout.unbind(0),
        w,
        dnn,
        acts[..., hid : 2 * hid].unbind(0),
        da.unbind(0),
        da[..., : 3 * hid].unflatten(2, (3, hid)).unbind(0),  # (L, N, 3, H): da_i, da_f, da_g
        da[..., 3 * hid :].unbind(0),
        oc.unbind(0),
        dh,
        dc,
        schedule.steps(not reverse),
        schedule.sizes,
    )


def doubled(w: Tensor) -> Tensor:
    """``w`` (4H, ...) or (4H,) with its cell-gate rows ``2H:3H`` times 2 (a new tensor)."""
    hid = w.size(0) // 4
    scale = w.new_ones((4 * hid,) + (1,) * (w.dim() - 1))
    scale[2 * hid : 3 * hid] = 2.0
    return w * scale


def _carry(grad: Tensor | None, like: Tensor, dtype: torch.dtype) -> Tensor:
    """The gradient carried into the last step: the final-state gradient, as a fresh buffer."""
    return like.new_zeros(like.shape, dtype=dtype) if grad is None else grad.to(dtype, copy=True)
