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
from torch.autograd.function import once_differentiable

from .jit import Loop, per_step, rows
from .precision import cast, compute_dtype, no_autocast
from .schedule import Schedule, new_buffer, outputs, put_first, take_last


def _forward_loop(
    gi: list[list[Tensor]],
    w_t: Tensor,
    b_hh: Tensor | None,
    hs: list[Tensor],
    gh: list[list[Tensor]],
    act: list[list[Tensor]],
    diffs: list[Tensor],
    steps: list[int],
    sizes: list[int],
    reverse: bool,
) -> None:
    gi_rz, gi_n = gi  # per-step views (N, 2H), (N, H)
    gh_all, gh_rz, gh_n = gh  # (N, 3H), (N, 2H), (N, H)
    rz, r, z, n = act  # (N, 2H), then (N, H) each
    for t in steps:
        b = sizes[t]
        p, q = (t + 1, t) if reverse else (t, t + 1)  # slots before / after step t
        h_prev, n_t, diff = rows(hs[p], b), rows(n[t], b), rows(diffs[t], b)
        if b_hh is None:
            torch.mm(h_prev, w_t, out=rows(gh_all[t], b))
        else:
            torch.addmm(b_hh, h_prev, w_t, out=rows(gh_all[t], b))  # gh = h W_hh^T + b_hh
        torch.add(rows(gi_rz[t], b), rows(gh_rz[t], b), out=rows(rz[t], b)).sigmoid_()  # r, z
        torch.addcmul(rows(gi_n[t], b), rows(r[t], b), rows(gh_n[t], b), out=n_t).tanh_()
        torch.sub(h_prev, n_t, out=diff)  # h_{t-1} - n
        torch.addcmul(n_t, rows(z[t], b), diff, out=rows(hs[q], b))  # h_t = n + z ⊙ (h - n)


def _backward_loop(
    dout: list[Tensor],
    w: Tensor,
    r: list[Tensor],
    z: list[Tensor],
    dgi: list[list[Tensor]],
    dgh: list[list[Tensor]],
    dh: Tensor,
    steps: list[int],
    sizes: list[int],
) -> None:
    dr, dzn, dn, dgi_rz = dgi  # per-step views of d gi: (N, H), (N, 2, H), (N, H), (N, 2H)
    dgh_all, dgh_rz, dgh_n = dgh  # per-step views of d gh: (N, 3H), (N, 2H), (N, H)
    for t in steps:
        b = sizes[t]
        d = rows(dh, b) + rows(dout[t], b)  # dh_t
        dn_t = rows(dn[t], b)
        rows(dzn[t], b).mul_(d.unsqueeze(1))  # dz, dn
        rows(dr[t], b).mul_(dn_t)  # dr = dn ⊙ gh_n r(1-r)
        rows(dgh_rz[t], b).copy_(rows(dgi_rz[t], b))
        torch.mul(dn_t, rows(r[t], b), out=rows(dgh_n[t], b))  # dn ⊙ r
        torch.mul(d, rows(z[t], b), out=rows(dh, b))  # dh_t ⊙ z
        rows(dh, b).addmm_(rows(dgh_all[t], b), w)  # + d gh W_hh


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
            gi_views = per_step(gi[..., : 2 * hid], gi[..., 2 * hid :])
            gh_views = per_step(ghs, ghs[..., : 2 * hid], ghs[..., 2 * hid :])
            act_views = per_step(acts[..., : 2 * hid], *acts.chunk(3, dim=2))
            FORWARD_LOOP(
                gi_views,
                w_t,
                b,
                hs.unbind(0),
                gh_views,
                act_views,
                diffs.unbind(0),
                schedule.steps(reverse),
                schedule.sizes,
                reverse,
            )
            out = outputs(hs, schedule, reverse)
            h_n = take_last(hs, schedule.last_slot(reverse, gi.device))
        ctx.schedule, ctx.reverse, ctx.buffers = schedule, reverse, (hs, acts, ghs, diffs)
        ctx.save_for_backward(w_hh, out)
        return out, h_n

    @staticmethod
    @once_differentiable
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
            hid = dh.size(1)
            r, z, _ = acts.chunk(3, dim=2)
            dr, _, dn = dgi.chunk(3, dim=2)
            dgi_views = per_step(dr, dgi[..., hid:].unflatten(2, (2, hid)), dn, dgi[..., : 2 * hid])
            dgh_views = per_step(dgh, dgh[..., : 2 * hid], dgh[..., 2 * hid :])
            BACKWARD_LOOP(
                dout.unbind(0),
                cast(w_hh, dtype),
                r.unbind(0),
                z.unbind(0),
                dgi_views,
                dgh_views,
                dh,
                schedule.steps(not reverse),
                schedule.sizes,
            )
            h_prev = hs[1:] if reverse else hs[:-1]
            flat = dgh.view(-1, dgh.size(2))
            dw_hh = flat.t().mm(h_prev.reshape(-1, h_prev.size(2)))  # (3H, L*N) @ (L*N, H)
            db_hh = flat.sum(0, dtype=w_dtype) if ctx.has_bias else None  # float32 sum
        return dgi.to(gi_dtype), dh.to(state_dtype), dw_hh.to(w_dtype), db_hh, None, None
