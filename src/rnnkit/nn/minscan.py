r"""``min_scan``: the whole-sequence recurrence of MinGRU/MinLSTM as one autograd Function.

Forward, for pre-activations ``[k | p] = x W^T + b`` and ``h0`` ``(N, H)``:

.. math::
    z = \sigma(k), \quad a = 1 - z, \quad b = z\, g(p), \quad b_0 \mathrel{+}= a_0 h_0,
    \quad h = \mathrm{scan}(a, b)

with :func:`~rnnkit.nn.scan.linear_scan_`. Backward, with :math:`G_t = \partial L/\partial h_t`
summed over every later use of ``h_t``:

.. math::
    G_t = \bar h_t + a_{t+1} G_{t+1}, \quad
    \frac{\partial L}{\partial k_t} = G_t (g(p_t) - h_{t-1})\, z_t (1 - z_t), \quad
    \frac{\partial L}{\partial p_t} = G_t z_t\, g'(p_t), \quad
    \frac{\partial L}{\partial h_0} = a_0 G_0

(:math:`\bar h_t` the incoming gradient): ``G`` is the same linear recurrence run the other
way in time, so the backward is a scan too. ``reverse=True`` swaps the roles of ``t - 1`` and
``t + 1``. A step with ``k = -inf`` has ``z = 0`` and keeps the state: padding. For minLSTM,
:math:`k = \mathrm{softplus}(-a_f) - \mathrm{softplus}(-a_i)` (so :math:`z = i / (f + i)`) is
computed inside too, and its gradient is :math:`-\sigma(-a_f)\,\partial k` and
:math:`\sigma(-a_i)\,\partial k`.

Speed on a CPU: every operation here is elementwise and memory-bound, so the work runs
batch-major ``(N, L, .)``, cut into blocks of rows of about ``BLOCK`` values, each one
contiguous piece of memory that stays in cache while a dozen operations run over it (the bias
is added there too, instead of broadcast over the whole ``x W^T``); ``torch.where`` and
``1 - x`` (slow paths in torch's CPU kernels) are replaced by ``clamp`` and ``mul``/``add``:
:math:`g(p) = \max(p + 1/2, \sigma(p))` equals the piecewise definition. Measured
in ``benchmarks/RESULTS.md`` (section "MinGRU and MinLSTM against native GRU and LSTM").
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from .fast.compiled import loops
from .scan import linear_scan_

BLOCK = 1 << 17  # values of one batch block (L * rows * H), ~512 KB in float32
PAD = 16  # floats after each row of a column-major dL/dxw (see _compiled_backward)


def _one_minus(x: Tensor) -> Tensor:
    return x.mul(-1.0).add_(1.0)


class MinScan(torch.autograd.Function):
    """``h (N, L, H) = scan(x W^T + b, h0, reverse, lstm)`` from ``xw = x W^T`` ``(N, L, G*H)``
    and ``bias`` ``(G*H,)`` or None, batch-major so that each block of rows is one contiguous
    piece of memory; see the module docstring and :func:`min_scan`. The bias is added block
    by block (in cache) rather than broadcast over all of ``xw`` first."""

    @staticmethod
    def forward(
        ctx,
        xw: Tensor,
        bias,
        h0: Tensor,
        reverse: bool,
        lstm: bool,
        transposed: bool = False,
        time_major: bool = False,
    ) -> Tensor:
        ctx.reverse, ctx.lstm, ctx.transposed = reverse, lstm, transposed
        ctx.compiled = _compiled(xw, bias, h0)
        if ctx.compiled is not None:  # one C++ pass; the backward recomputes z and g from xw
            args = ctx.compiled, xw, bias, h0, reverse, lstm, time_major
            xw, h0, out = _compiled_forward(*args)
            ctx.save_for_backward(xw, out, h0, bias)
            return out
        out, z_all, cand_all = scan_blocks(xw, bias, h0, reverse, lstm, keep=True)
        ctx.save_for_backward(z_all, cand_all, out, h0, xw if lstm else None, bias)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_h: Tensor):
        if ctx.compiled is not None:
            return _compiled_backward(ctx, grad_h)
        z_all, cand_all, out, h0, xw, bias = ctx.saved_tensors
        batch, length, hidden = out.shape
        grad_xw = grad_h.new_empty(batch, length, (3 if ctx.lstm else 2) * hidden)
        grad_bias = None if bias is None else torch.zeros_like(bias)
        grad_h0 = torch.empty_like(h0)
        for block in _blocks(length, batch, hidden):
            z, cand, grad = _tm(z_all, block), _tm(cand_all, block), _tm(grad_xw, block)
            dk = torch.empty_like(z) if ctx.lstm else grad[..., :hidden]
            grad_h0[block] = _block_backward(
                _tm(grad_h, block), z, cand, _tm(out, block), h0[block], ctx.reverse, dk,
                grad[..., -hidden:],
            )  # fmt: skip
            if ctx.lstm:  # k = softplus(-a_f) - softplus(-a_i)
                gates = _tm(xw, block)[..., : 2 * hidden]
                gates = gates if bias is None else gates + bias[: 2 * hidden]
                torch.mul(dk, torch.sigmoid(gates[..., :hidden].neg()), out=grad[..., :hidden])
                grad[..., :hidden].neg_()
                torch.mul(
                    dk, torch.sigmoid(gates[..., hidden:].neg()), out=grad[..., hidden:-hidden]
                )
            if grad_bias is not None:
                grad_bias += grad.sum((0, 1))
        return grad_xw, grad_bias, grad_h0, None, None, None, None


def _compiled(xw: Tensor, bias, h0: Tensor):
    """The C++ pass (:mod:`rnnkit.nn.fast.compiled`) for float32 tensors on a CPU, else None."""
    tensors = [t for t in (xw, bias, h0) if t is not None]
    if any(t.dtype != torch.float32 or t.device.type != "cpu" for t in tensors):
        return None
    return loops()


def _compiled_forward(
    compiled, xw: Tensor, bias, h0: Tensor, reverse: bool, lstm: bool, time_major: bool = False
):
    """The C++ forward pass: ``(xw, h0, h)``, the first two as the pass read them (contiguous);
    ``h`` ``(N, L, H)``, with ``time_major`` a transposed view of a contiguous ``(L, N, H)``."""
    xw, h0 = xw.contiguous(), h0.contiguous()
    batch, length, hidden = xw.size(0), xw.size(1), h0.size(-1)
    if time_major:
        out = xw.new_empty(length, batch, hidden).transpose(0, 1)
    else:
        out = xw.new_empty(batch, length, hidden)
    compiled.min_forward(xw, _or_empty(bias, xw), h0, out, reverse, lstm)
    return xw, h0, out


def _or_empty(bias, like: Tensor) -> Tensor:
    return like.new_empty(0) if bias is None else bias.contiguous()


def _rows_of(grad: Tensor) -> Tensor:
    """``grad`` ``(N, L, H)`` as the C++ pass reads it, any strides over N and L and 1 over H:
    as it is when it already is (a time-major layer's transposed gradient), one row when it is
    a broadcast value (the gradient of ``out.sum()``), else a contiguous copy."""
    if grad.stride(-1) == 1:
        return grad
    if grad.stride() == (0, 0, 0):
        return grad[0, 0].contiguous().expand_as(grad)
    return grad.contiguous()


def _compiled_backward(ctx, grad_h: Tensor):
    """dL/dxw from the C++ pass; with ``ctx.transposed`` laid out column-major (the same
    values, as a transposed view of a ``(G*H, N*L)`` tensor): the layout in which oneDNN
    computes the projection's ``dW`` (see :class:`rnnkit.nn.fast.linear.DnnLinear`)."""
    xw, out, h0, bias = ctx.saved_tensors
    batch, length, width = xw.shape
    if ctx.transposed:  # rows padded by one cache line: no power-of-two stride between them
        grad_xw = xw.new_empty(width, batch * length + PAD)[:, : batch * length]
    else:
        grad_xw = torch.empty_like(xw)
    grad_h0 = torch.empty_like(h0)
    rows = xw.new_empty(0 if bias is None else batch, width)  # per-row dL/dbias
    ctx.compiled.min_backward(
        xw, _or_empty(bias, xw), h0, out, _rows_of(grad_h), grad_xw, grad_h0, rows,
        ctx.reverse, ctx.lstm, ctx.transposed,
    )  # fmt: skip
    if ctx.transposed:
        grad_xw = grad_xw.t().view(batch, length, width)
    return grad_xw, None if bias is None else rows.sum(0), grad_h0, None, None, None, None


def scan_blocks(xw: Tensor, bias, h0: Tensor, reverse: bool, lstm: bool, keep: bool):
    """The forward pass, block by block: ``(h, z, g(p))``, each ``(N, L, H)``; without
    ``keep`` (no gradient wanted) ``z`` and ``g(p)`` live in per-block buffers and are None."""
    batch, length, hidden = xw.size(0), xw.size(1), h0.size(-1)
    out = xw.new_empty(batch, length, hidden)
    z_all = torch.empty_like(out) if keep else None
    cand_all = torch.empty_like(out) if keep else None
    first = -1 if reverse else 0
    for block in _blocks(length, batch, hidden):
        gates = xw[block] if bias is None else xw[block] + bias  # (n, L, G*H)
        gates = gates.transpose(0, 1)  # (L, n, G*H): the scan runs over dim 0
        z = torch.sigmoid(
            _update_logit(gates, hidden, lstm), out=_tm(z_all, block) if keep else None
        )
        p = gates[..., -hidden:]
        cand = torch.sigmoid(p, out=_tm(cand_all, block) if keep else None)
        torch.maximum(cand, p.add(0.5), out=cand)  # g(p) = max(p + 1/2, sigmoid(p))
        a = _one_minus(z)  # (L, n, H)
        h = torch.mul(z, cand, out=_tm(out, block))  # b_t, becomes h_t
        h[first].addcmul_(a[first], h0[block])  # b_0 += a_0 h_0
        linear_scan_(a, h, reverse)
    return out, z_all, cand_all


def _tm(batch_major: Tensor, block: slice) -> Tensor:
    """Rows ``block`` of a ``(N, L, ...)`` tensor, seen time-major ``(L, n, ...)``."""
    return batch_major[block].transpose(0, 1)


def _blocks(length: int, batch: int, hidden: int) -> list[slice]:
    rows = max(1, min(batch, BLOCK // max(1, length * hidden)))
    return [slice(lo, lo + rows) for lo in range(0, batch, rows)]


def _update_logit(gates: Tensor, hidden: int, lstm: bool) -> Tensor:
    """``k`` with ``z = sigmoid(k)``: the first block, or minLSTM's ``i / (f + i)`` in log
    space, ``softplus(-a_f) - softplus(-a_i)`` (finite where both gates underflow)."""
    if not lstm:
        return gates[..., :hidden]
    a_f, a_i = gates[..., :hidden], gates[..., hidden : 2 * hidden]
    return F.softplus(a_f.neg()).sub_(F.softplus(a_i.neg()))


def _block_backward(grad_h, z, cand, h, h0, reverse: bool, dk: Tensor, dp: Tensor) -> Tensor:
    """Write ``dL/dk`` and ``dL/dp`` of one block into ``dk, dp``; return ``dL/dh0``."""
    later = torch.empty_like(z)  # a_{t+1} = 1 - z_{t+1} (reverse: a_{t-1}), G_{t+1}'s weight
    diff = cand.clone()  # g(p_t) - h_{t-1}
    if reverse:
        torch.mul(z[:-1], -1.0, out=later[1:]).add_(1.0)
        later[0] = 0.0
        diff[:-1] -= h[1:]
        diff[-1] -= h0
    else:
        torch.mul(z[1:], -1.0, out=later[:-1]).add_(1.0)
        later[-1] = 0.0
        diff[1:] -= h[:-1]
        diff[0] -= h0
    G = linear_scan_(later, grad_h.clone(memory_format=torch.contiguous_format), not reverse)
    first = -1 if reverse else 0
    grad_h0 = G[first] * (1.0 - z[first])  # dL/dh_0 = a_0 G_0
    gz = G.mul_(z)  # G z (G itself is not needed again)
    t = diff.mul_(gz)  # G (g - h_prev) z
    torch.addcmul(t, t, z, value=-1.0, out=dk)  # ... (1 - z)
    low = cand.clamp(max=0.5)  # sigmoid(p) where p < 0, else 0.5
    slope = torch.addcmul(low, low, low, value=-1.0)  # sigmoid'(p) where p < 0
    slope.add_(cand.ge(0.5).to(slope.dtype), alpha=0.75)  # 1 where p >= 0
    torch.mul(slope, gz, out=dp)  # G z g'(p)
    return grad_h0


def min_scan(
    gates: Tensor,
    h0: Tensor,
    reverse: bool = False,
    lstm: bool = False,
    bias: Tensor | None = None,
    batch_first: bool = False,
    transposed_grad: bool = False,
    time_major: bool = False,
) -> Tensor:
    """All states ``(L, N, H)`` of ``h_t = (1 - z_t) h_{t-1} + z_t g(p_t)`` from ``h0 (N, H)``.

    ``gates`` (plus ``bias`` ``(G*H,)`` if given): ``[k | p]`` ``(L, N, 2H)`` with
    ``z = sigmoid(k)`` (minGRU), or with ``lstm=True`` ``[a_f | a_i | p]`` ``(L, N, 3H)`` with
    ``z = i / (f + i)`` (minLSTM). ``reverse`` runs right to left. With ``batch_first`` the
    gates and the result are ``(N, L, .)`` (the layout the scan runs in, without copies).
    ``transposed_grad`` (batch-first gates on the C++ pass only) hands the gates' gradient back
    column-major, for a projection whose input needs no gradient (see ``_compiled_backward``).
    On the C++ pass the states are written time-major (the result with ``batch_first`` is then
    a transposed view of a contiguous ``(L, N, H)``) when ``batch_first`` is False or
    ``time_major`` is True: a time-major layer returns them without a copy.
    """
    xw = gates if batch_first else gates.transpose(0, 1)
    time_major = time_major or not batch_first
    wanted = [t for t in (gates, bias, h0) if t is not None and t.requires_grad]
    if torch.is_grad_enabled() and wanted:
        transposed = transposed_grad and batch_first
        out = MinScan.apply(xw, bias, h0, reverse, lstm, transposed, time_major)
    elif (compiled := _compiled(xw, bias, h0)) is not None:  # inference, in one C++ pass
        out = _compiled_forward(compiled, xw, bias, h0, reverse, lstm, time_major)[2]
    else:  # inference: z and g(p) need not be kept for a backward
        out = scan_blocks(xw, bias, h0, reverse, lstm, keep=False)[0]
    return out if batch_first else out.transpose(0, 1)


__all__ = ["BLOCK", "MinScan", "min_scan"]
