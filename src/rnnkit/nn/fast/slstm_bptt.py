r"""sLSTM over a whole sequence with a hand-written backward through time.

Layout: head-major, K heads of size d. ``gx`` (L, K, N, 4d) is the input projection of every
step (gate order z, i, f, o within each head), ``R`` (K, 4d, d) the recurrent blocks, the
states ``h, c, n, m`` (K, N, d). Forward, per step (see :class:`rnnkit.nn.SLSTM`):

.. math::
    \begin{array}{ll}
    a_t = gx_t + h_{t-1} R^T, \quad a = [\tilde z, \tilde i, \tilde f, \tilde o] \\
    \ell = \log f(\tilde f) + m_{t-1} \ (-\infty \text{ where } n_{t-1} = 0), \quad
    m_t = \max(\ell, \tilde i) \\
    i' = e^{\tilde i - m_t}, \ f' = e^{\ell - m_t}, \ z = \tanh\tilde z, \ o = \sigma(\tilde o),
    \ c_t = f' c_{t-1} + i' z, \ n_t = f' n_{t-1} + i', \ h_t = o\, c_t / n_t
    \end{array}

Saved: ``h, c, n, m`` in slot buffers (L+1, K, N, d) (slot ``t`` before step ``t`` in the
forward direction, slot ``t+1`` in the reverse one), the activations ``(z, i', f', o)``
(4, L, K, N, d), one contiguous block per gate, and :math:`1 - \sigma(\tilde f)` for the
sigmoid forget gate; the share ``w`` of :math:`m_t` that came from :math:`\ell` is read back
from them in backward (see :func:`_factors`).
Backward, with ``dh`` = output gradient + recurrent gradient and ``dc, dn, dm`` carried:

.. math::
    \begin{array}{ll}
    dc_t = dc + dh\, o / n_t, \quad dn_t = dn - dh\, h_t / n_t, \quad
    d\tilde o = dh\, (c_t / n_t)\, o (1 - o), \quad d\tilde z = dc_t\, i' (1 - z^2) \\
    g_i = (dc_t z + dn_t)\, i', \quad g_f = (dc_t c_{t-1} + dn_t n_{t-1})\, f', \quad
    dm_t = dm - g_i - g_f \\
    d\ell = g_f + dm_t w, \quad d\tilde i = g_i + dm_t (1 - w), \quad
    d\tilde f = d\ell \ (\times (1 - \sigma(\tilde f)) \text{ for the sigmoid}) \\
    dc \leftarrow dc_t f', \quad dn \leftarrow dn_t f', \quad dm \leftarrow d\ell, \quad
    dh \leftarrow da_t R \ (\text{batched over heads})
    \end{array}

Then ``dR = sum_t da_t^T h_{t-1}`` is one batched product over all steps (K, 4d, L*N) @
(K, L*N, d), and ``da`` is the gradient of ``gx``. A packed batch (``valid`` (L, 1, N, 1)
bool) keeps each row's state past its length; its gradient passes those steps unchanged.
"""

from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from .jit import Loop, per_step


def _forward_loop(
    gx: list[Tensor],
    r_t: Tensor,
    hs: list[Tensor],
    cs: list[Tensor],
    ns: list[Tensor],
    ms: list[Tensor],
    acts: list[list[Tensor]],
    sfs: list[Tensor],
    valid: Optional[Tensor],  # noqa: UP045 - TorchScript reads Optional, not "X | None"
    reverse: bool,
    exp_forget: bool,
) -> None:
    z, i, f, o = acts  # per-step views of the activation buffer: (K, N, d) each
    length = len(gx)
    for s in range(length):
        t = length - 1 - s if reverse else s
        p, q = (t + 1, t) if reverse else (t, t + 1)  # slots before / after step t
        a = torch.baddbmm(gx[t], hs[p], r_t)  # a_t = gx_t + h_{t-1} R^T  (K, N, 4d)
        z_pre, i_pre, f_pre, o_pre = a.chunk(4, dim=2)
        if exp_forget:
            log_f = f_pre
        else:
            log_f = F.logsigmoid(f_pre)
            torch.sigmoid(-f_pre, out=sfs[t])  # 1 - sigma(f~), for the backward
        carried = log_f + ms[p]  # l = log f + m_{t-1}
        if s == 0 or valid is not None:  # an empty state (n = 0) carries nothing; after a
            carried.masked_fill_(ns[p] == 0, -math.inf)  # step n >= min(1, n_0) > 0
        torch.maximum(carried, i_pre, out=ms[q])  # m_t = max(l, i~)
        torch.exp(i_pre - ms[q], out=i[t])  # i' = exp(i~ - m_t)
        torch.exp(carried - ms[q], out=f[t])  # f' = exp(l - m_t)
        torch.tanh(z_pre, out=z[t])
        torch.sigmoid(o_pre, out=o[t])
        torch.mul(f[t], cs[p], out=cs[q]).addcmul_(i[t], z[t])  # c_t = f' c_{t-1} + i' z
        torch.mul(f[t], ns[p], out=ns[q]).add_(i[t])  # n_t = f' n_{t-1} + i'
        torch.mul(o[t], cs[q], out=hs[q]).div_(ns[q])  # h_t = o c_t / n_t
        if valid is not None:  # rows past their length keep their state
            v = valid[t]
            for slots in (hs, cs, ns, ms):
                slots[q].copy_(torch.where(v, slots[q], slots[p]))


def _backward_loop(
    dout: list[Tensor],
    w: Tensor,
    f: list[Tensor],
    i: list[Tensor],
    factors: list[list[Tensor]],
    das: list[list[Tensor]],
    da: list[Tensor],
    carry: list[Tensor],
    valid: Optional[Tensor],  # noqa: UP045
    reverse: bool,
) -> list[Tensor]:
    p_o, b_c, b_n, d_z, zi, e_c, e_n, share, rest, sf = factors  # see _factors, per step
    dz, di, df, do = das  # per-step views of the gradient of gx: (K, N, d) each
    dh, dc, dn, dm = carry
    length = len(dout)
    exp_forget = len(sf) == 0
    for s in range(length):
        t = s if reverse else length - 1 - s  # the forward order, backwards
        dh_t = dh + dout[t]
        torch.mul(dh_t, p_o[t], out=do[t])  # do~ = dh (c/n) o(1-o)
        dc_t = torch.addcmul(dc, dh_t, b_c[t])  # dc + dh o / n
        dn_t = torch.addcmul(dn, dh_t, b_n[t], value=-1.0)  # dn - dh h / n
        torch.mul(dc_t, d_z[t], out=dz[t])  # dz~ = dc_t i' (1 - z^2)
        g_i = torch.addcmul(dn_t * i[t], dc_t, zi[t])  # (dc_t z + dn_t) i'
        g_f = torch.addcmul(dn_t * e_n[t], dc_t, e_c[t])  # (dc_t c_{t-1} + dn_t n_{t-1}) f'
        dm_t = dm - g_i - g_f
        dl = torch.addcmul(g_f, dm_t, share[t])  # dl = g_f + dm_t w
        torch.addcmul(g_i, dm_t, rest[t], out=di[t])  # di~ = g_i + dm_t (1 - w)
        if exp_forget:
            df[t].copy_(dl)
        else:
            torch.mul(dl, sf[t], out=df[t])  # df~ = dl (1 - sigma(f~))
        dh_prev = torch.bmm(da[t], w)  # da_t R, per head  (K, N, d)
        dc_prev, dn_prev = dc_t * f[t], dn_t * f[t]
        if valid is not None:  # past a row's length: nothing computed, the gradient passes
            v = valid[t]
            da[t].masked_fill_(~v, 0.0)
            dh_prev, dc_prev = torch.where(v, dh_prev, dh_t), torch.where(v, dc_prev, dc)
            dn_prev, dl = torch.where(v, dn_prev, dn), torch.where(v, dl, dm)
        dh, dc, dn, dm = dh_prev, dc_prev, dn_prev, dl
    return [dh, dc, dn, dm]


FORWARD_LOOP = Loop(_forward_loop)
BACKWARD_LOOP = Loop(_backward_loop)


def _factors(slots: list[Tensor], acts: Tensor, sfs: Tensor, reverse: bool) -> list[Tensor]:
    r"""What the backward multiplies by, for all steps at once (L, K, N, d) each:
    ``(c/n) o(1-o), o/n, h/n, i'(1-z^2), z i', c_{t-1} f', n_{t-1} f', w, 1-w, 1-sigma(f~)``.

    ``w`` is the share of :math:`m_t`'s gradient that goes to :math:`\ell` (1 where
    ``f' = 1 > i'``, 1/2 at a tie, as ``torch.maximum`` splits it). It barely matters: ``h``
    does not depend on the stabiliser, so the total ``dm_t`` is zero up to rounding unless the
    loss reads ``m_n`` itself."""
    hs, cs, ns = slots
    after, before = (slice(0, -1), slice(1, None)) if reverse else (slice(1, None), slice(0, -1))
    z, i, f, o = acts
    inv_n = ns[after].reciprocal()
    share = torch.gt(f, i).to(f.dtype).add_(torch.eq(f, i).to(f.dtype), alpha=0.5)
    return [
        cs[after] * inv_n * o * (1 - o),
        o * inv_n,
        hs[after] * inv_n,
        i * (1 - z * z),
        z * i,
        cs[before] * f,
        ns[before] * f,
        share,
        1 - share,
        sfs,
    ]


def run_steps(gx, w_hh, states, valid, reverse: bool, exp_forget: bool, keep: bool):
    """The forward loop: ``(out (L, K, N, d), final states, saved buffers)``. With ``keep`` every
    step's state and activations stay in buffers for the backward; without (inference) only
    ``h`` of every step does, the other states alternate between two slots and one set of
    activations is reused, so memory does not grow with L beyond the output."""
    length, heads, n, four_d = gx.shape
    d, alive = four_d // 4, length + 1 if keep else 2
    bufs = [gx.new_empty(length + 1, heads, n, d)]  # h of every slot
    bufs += [gx.new_empty(alive, heads, n, d) for _ in range(3)]  # c, n, m
    acts = gx.new_empty(4, length if keep else 1, heads, n, d)  # z, i', f', o
    sfs = gx.new_empty(0 if exp_forget else acts.size(1), heads, n, d)
    lists = [b.unbind(0) if b.size(0) == length + 1 else [b[k % 2] for k in range(length + 1)]
             for b in bufs]  # fmt: skip
    first, last = (length, 0) if reverse else (0, length)
    for slots, s0 in zip(lists, states):
        slots[first].copy_(s0)
    steps = per_step(*acts) if keep else [[a[0]] * length for a in acts]
    FORWARD_LOOP(
        gx.unbind(0), w_hh.transpose(1, 2).contiguous(), *lists, steps,
        sfs.unbind(0) if keep or exp_forget else [sfs[0]] * length, valid, reverse, exp_forget,
    )  # fmt: skip
    out = (bufs[0][:-1] if reverse else bufs[0][1:]).clone()  # h_t of every step
    return out, [slots[last].clone() for slots in lists], (bufs[:3], acts, sfs)


class SLSTMFunction(torch.autograd.Function):
    """``(gx (L, K, N, 4d), R (K, 4d, d), h0, c0, n0, m0 (K, N, d), valid, reverse,
    exp_forget)`` -> ``(out (L, K, N, d), h_n, c_n, n_n, m_n)``."""

    @staticmethod
    def forward(ctx, gx, w_hh, h0, c0, n0, m0, valid, reverse: bool, exp_forget: bool):
        states = (h0, c0, n0, m0)
        out, finals, ctx.buffers = run_steps(gx, w_hh, states, valid, reverse, exp_forget, True)
        ctx.settings = valid, reverse
        ctx.save_for_backward(w_hh)
        return (out, *finals)

    @staticmethod
    @once_differentiable
    def backward(ctx, dout, dh_n, dc_n, dn_n, dm_n):
        (w_hh,) = ctx.saved_tensors
        slots, acts, sfs = ctx.buffers
        valid, reverse = ctx.settings
        hs = slots[0]
        carry = [
            hs.new_zeros(hs.shape[1:]) if g is None else g.clone() for g in (dh_n, dc_n, dn_n, dm_n)
        ]
        dout = torch.zeros_like(hs[1:]) if dout is None else dout
        length, heads, n, d = acts.shape[1:]
        da = acts.new_empty(length, heads, n, 4 * d)  # the gradient of gx
        _, i, f, _ = acts
        d_state = BACKWARD_LOOP(
            dout.unbind(0), w_hh, f.unbind(0), i.unbind(0),
            per_step(*_factors(slots, acts, sfs, reverse)), per_step(*da.chunk(4, dim=3)),
            da.unbind(0), carry, valid, reverse,
        )  # fmt: skip
        h_prev = hs[1:] if reverse else hs[:-1]  # (L, K, N, d)
        heads, d = h_prev.size(1), h_prev.size(3)
        flat_da = da.transpose(0, 1).reshape(heads, -1, 4 * d)  # (K, L*N, 4d)
        flat_h = h_prev.transpose(0, 1).reshape(heads, -1, d)  # (K, L*N, d)
        dw_hh = torch.bmm(flat_da.transpose(1, 2), flat_h)  # dR = sum_t da_t^T h_{t-1}
        return (da, dw_hh, *d_state, None, None, None)
