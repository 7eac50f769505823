r"""GRU over a whole sequence with a hand-written backward through time.

Forward, per step (torch's gate order r, z, n; ``gi = x_t W_ih^T + b_ih`` for all steps in
one product by the caller; h: (B_t, H)):

.. math::
    \begin{array}{ll}
    gh_t = h_{t-1} W_{hh}^T + b_{hh} \quad (B_t, 3H) \\
    r = \sigma(gi_r + gh_r), \quad z = \sigma(gi_z + gh_z) \\
    n = \tanh(gi_n + r \odot gh_n) \\
    h_t = n + z \odot (h_{t-1} - n) = (1 - z) \odot n + z \odot h_{t-1}
    \end{array}

Saved: ``(r, z, n)`` (L, N, 3H), ``gh`` (L, N, 3H), ``h_{t-1} - n`` (L, N, H) and ``h`` in a
slot buffer. Backward, with ``dh_t`` = output gradient + recurrent gradient:

.. math::
    \begin{array}{ll}
    dn = dh_t \odot (1 - z)(1 - n^2), \quad dz = dh_t \odot (h_{t-1} - n)\, z(1 - z) \\
    dr = dn \odot gh_n\, r(1 - r) \\
    d\,gi = (dr, dz, dn), \quad d\,gh = (dr, dz, dn \odot r) \\
    dh_{t-1} = dh_t \odot z + d\,gh\, W_{hh}
    \end{array}

Because ``r`` multiplies ``gh_n``, the gradients of ``gi`` and ``gh`` differ in their n block,
so both are kept, each (L, N, 3H). Then ``dW_hh = dGH^T H_prev`` is one
``(3H, L*N) @ (L*N, H)`` product and ``db_hh`` one sum.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .jit import Loop
from .precision import cast, compute_dtype, no_autocast
from .schedule import Schedule, new_buffer, outputs, put_first, take_last


def _forward_loop(
    gi: Tensor, w_t: Tensor, b_hh: Tensor | None, hs: Tensor, acts: Tensor, ghs: Tensor,
    diffs: Tensor, steps: list[int], sizes: list[int], reverse: bool,
) -> None:  # fmt: skip
    hid = hs.size(2)
    for t in steps:
        b = sizes[t]
        p, q = (t + 1, t) if reverse else (t, t + 1)  # slots before / after step t
        gh = ghs[t, :b]
        if b_hh is None:
            torch.mm(hs[p, :b], w_t, out=gh)
        else:
            torch.addmm(b_hh, hs[p, :b], w_t, out=gh)  # gh_t = h_{t-1} W_hh^T + b_hh
        a = acts[t, :b]
        rz = a[:, : 2 * hid]
        torch.add(gi[t, :b, : 2 * hid], gh[:, : 2 * hid], out=rz)
        rz.sigmoid_()  # r, z
        n = a[:, 2 * hid :]
        torch.addcmul(gi[t, :b, 2 * hid :], rz[:, :hid], gh[:, 2 * hid :], out=n)
        n.tanh_()  # n = tanh(gi_n + r ⊙ gh_n)
        torch.sub(hs[p, :b], n, out=diffs[t, :b])  # h_{t-1} - n
        torch.addcmul(n, rz[:, hid:], diffs[t, :b], out=hs[q, :b])  # h_t = n + z ⊙ (h - n)


def _backward_loop(
    dout: Tensor, w: Tensor, acts: Tensor, dgi: Tensor, dgh: Tensor, dh: Tensor,
    steps: list[int], sizes: list[int],
) -> None:  # fmt: skip
    hid = dh.size(1)
    for t in steps:
        b = sizes[t]
        d = dh[:b] + dout[t, :b]  # dh_t
        g = dgi[t, :b]
        g[:, hid:].view(b, 2, hid).mul_(d.unsqueeze(1))  # dz, dn
        g[:, :hid].mul_(g[:, 2 * hid :])  # dr = dn ⊙ gh_n r(1-r)
        e = dgh[t, :b]
        e[:, : 2 * hid].copy_(g[:, : 2 * hid])
        torch.mul(g[:, 2 * hid :], acts[t, :b, :hid], out=e[:, 2 * hid :])  # dn ⊙ r
        torch.mul(d, acts[t, :b, hid : 2 * hid], out=dh[:b])  # dh_t ⊙ z
        dh[:b].addmm_(e, w)  # + d gh W_hh


FORWARD_LOOP = Loop(_forward_loop)
BACKWARD_LOOP = Loop(_backward_loop)


def _gate_factors(acts: Tensor, ghs: Tensor, diffs: Tensor, valid: Tensor | None) -> Tensor:
    """``[gh_n r(1-r), (h_{t-1}-n) z(1-z), (1-z)(1-n^2)]`` for all steps, (L, N, 3H)."""
    r, z, n = acts.chunk(3, dim=2)
    factors = torch.addcmul(acts, acts, acts, value=-1)  # s(1-s)
    fr, fz, fn = factors.chunk(3, dim=2)
    fr.mul_(ghs.chunk(3, dim=2)[2])
    fz.mul_(diffs)
    torch.addcmul(acts.new_ones(()), n, n, value=-1, out=fn)  # 1 - n^2
    fn.addcmul_(fn, z, value=-1)  # (1 - z)(1 - n^2)
    if valid is not None:
        factors.mul_(valid)  # padding rows get no gradient
    return factors


class GRUFunction(torch.autograd.Function):
    """``(gi (L, N, 3H), h0 (N, H), W_hh (3H, H), b_hh (3H,) or None)`` -> ``(out, h_n)``."""

    @staticmethod
    def forward(ctx, gi, h0, w_hh, b_hh, schedule: Schedule, reverse: bool):
        dtype = compute_dtype(gi)
        ctx.dtypes = gi.dtype, h0.dtype, w_hh.dtype  # the dtypes of the returned gradients
        ctx.has_bias = b_hh is not None
        with no_autocast(gi):
            gi, w_t, b = gi.to(dtype), w_hh.to(dtype).t(), cast(b_hh, dtype)
            length, n, hid = schedule.length, schedule.batch, w_hh.size(1)
            hs = new_buffer(schedule, length + 1, n, hid, like=gi)
            acts, ghs = (new_buffer(schedule, length, n, 3 * hid, like=gi) for _ in range(2))
            diffs = new_buffer(schedule, length, n, hid, like=gi)
            put_first(hs, h0.to(dtype), schedule.first_slot(reverse, gi.device))
            FORWARD_LOOP(gi, w_t, b, hs, acts, ghs, diffs, schedule.steps(reverse),
                         schedule.sizes, reverse)  # fmt: skip
            out = outputs(hs, schedule, reverse)
            h_n = take_last(hs, schedule.last_slot(reverse, gi.device))
        ctx.schedule, ctx.reverse, ctx.buffers = schedule, reverse, (hs, acts, ghs, diffs)
        ctx.save_for_backward(w_hh, out)
        return out, h_n

    @staticmethod
    def backward(ctx, dout, dh_n):
        w_hh, out = ctx.saved_tensors  # checks that nobody modified ``out`` in place
        hs, acts, ghs, diffs = ctx.buffers
        schedule, reverse = ctx.schedule, ctx.reverse
        gi_dtype, state_dtype, w_dtype = ctx.dtypes
        dtype = acts.dtype
        with no_autocast(acts):
            dgi = _gate_factors(acts, ghs, diffs, schedule.valid(acts.device, dtype))
            dgh = torch.zeros_like(dgi) if not schedule.is_padded else torch.empty_like(dgi)
            dh = out.new_zeros(out[0].shape) if dh_n is None else dh_n.to(dtype, copy=True)
            dout = torch.zeros_like(out) if dout is None else dout.to(dtype)
            BACKWARD_LOOP(dout, cast(w_hh, dtype), acts, dgi, dgh, dh,
                          schedule.steps(not reverse), schedule.sizes)  # fmt: skip
            h_prev = hs[1:] if reverse else hs[:-1]
            flat = dgh.view(-1, dgh.size(2))
            dw_hh = flat.t().mm(h_prev.reshape(-1, h_prev.size(2)))  # (3H, L*N) @ (L*N, H)
            db_hh = flat.sum(0).to(w_dtype) if ctx.has_bias else None
        return dgi.to(gi_dtype), dh.to(state_dtype), dw_hh.to(w_dtype), db_hh, None, None
