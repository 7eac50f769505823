r"""The fast path of :class:`rnnkit.nn.SLSTM`: head-major layout, one fused product per step.

The readable step (:func:`rnnkit.nn.slstm.slstm_step`) keeps every tensor ``(B, 4H)`` in gate
order and reaches the block-diagonal ``R`` through an einsum and a reshape at every step.
Here, per layer and direction:

- the input projection ``gx = x W^T + b`` is one matrix product for all steps, permuted once
  to head-major ``(L, K, N, 4d)`` (head, then gate z|i|f|o, then unit);
- the state lives as ``(K, N, d)``, so each step's pre-activation is one batched product
  ``a_t = gx_t + h_{t-1} R^T`` (``torch.baddbmm`` over the K heads, ``R^T`` ``(K, d, 4d)``)
  and the gates are views of it;
- the step loop runs as TorchScript (:mod:`.jit`, eager if scripting fails); autograd
  differentiates it (no hand-written backward: the gradients are autograd's, exactly).

A packed batch runs padded and sorted by length (:mod:`.schedule`): a row past its length
keeps its state (``torch.where`` on a mask), so the reverse direction starts each sequence
at its own last element from its initial state. It applies to float32, float64 and bfloat16
input outside autocast with both switches on (``layer.fast`` and :func:`rnnkit.nn.fast.enabled`).
"""

from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from . import is_enabled
from .jit import Loop
from .precision import DTYPES
from .schedule import Schedule

State = tuple[Tensor, ...]


def applies(module, data: Tensor) -> bool:
    """True when an SLSTM with input ``data`` runs here rather than on the readable loop."""
    autocast = torch.is_autocast_enabled(data.device.type)
    return is_enabled() and getattr(module, "fast", True) and data.dtype in DTYPES and not autocast


def _loop(
    gx: list[Tensor],
    r_t: Tensor,
    h: Tensor,
    c: Tensor,
    n: Tensor,
    m: Tensor,
    valid: Optional[Tensor],  # noqa: UP045 - TorchScript reads Optional, not "X | None"
    reverse: bool,
    exp_forget: bool,
):
    """gx: L steps (K, N, 4d) (a list: indexing one tensor per step would cost a full-size
    gradient per step in backward), r_t (K, d, 4d), states (K, N, d), valid (L, 1, N, 1)
    bool or None -> (h_t for every step (L, K, N, d), h_n, c_n, n_n, m_n)."""
    length = len(gx)
    outs: list[Tensor] = []
    for s in range(length):
        t = length - 1 - s if reverse else s
        a = torch.baddbmm(gx[t], h, r_t)  # a_t = gx_t + h_{t-1} R^T  (K, N, 4d)
        z_pre, i_pre, f_pre, o_pre = a.chunk(4, dim=2)
        log_f = f_pre if exp_forget else F.logsigmoid(f_pre)
        carried = (log_f + m).masked_fill(n == 0, -math.inf)  # log f_t + m_{t-1}
        m_new = torch.maximum(carried, i_pre)  # m_t
        i = torch.exp(i_pre - m_new)  # i'_t
        f = torch.exp(carried - m_new)  # f'_t
        c_new = f * c + i * torch.tanh(z_pre)  # c_t
        n_new = f * n + i  # n_t
        h_new = torch.sigmoid(o_pre) * c_new / n_new  # h_t
        if valid is not None:  # rows past their length keep their state
            v = valid[t]
            h_new, c_new = torch.where(v, h_new, h), torch.where(v, c_new, c)
            n_new, m_new = torch.where(v, n_new, n), torch.where(v, m_new, m)
        outs.append(h_new)
        h, c, n, m = h_new, c_new, n_new, m_new
    if reverse:
        outs.reverse()
    return torch.stack(outs), h, c, n, m


LOOP = Loop(_loop)


def _direction(module, layer: int, direction: int, x: Tensor, state: State, valid):
    """One layer-direction: ``x (L, N, H_in)`` -> ``(out (L, N, H), (h_n, c_n, n_n, m_n))``."""
    sfx = f"_l{layer}" + ("_reverse" if direction else "")
    w_ih, w_hh = getattr(module, "weight_ih" + sfx), getattr(module, "weight_hh" + sfx)
    heads, _, d = w_hh.shape
    length, n = x.shape[:2]
    gx = F.linear(x, w_ih, getattr(module, "bias" + sfx))  # (L, N, 4H), one product
    gx = gx.view(length, n, 4, heads, d).permute(0, 3, 1, 2, 4).reshape(length, heads, n, 4 * d)
    heads_first = [s.view(n, heads, d).transpose(0, 1) for s in state]  # (K, N, d) each
    out, *final = LOOP(
        gx.unbind(0), w_hh.transpose(1, 2), *heads_first, valid, direction == 1, module.forget_gate == "exp"
    )
    out = out.permute(0, 2, 1, 3).reshape(length, n, heads * d)  # (L, N, H)
    return out, tuple(s.transpose(0, 1).reshape(n, heads * d) for s in final)


def run_layers(module, x: Tensor, sched: Schedule, states: State):
    """``x (L, N, H_in)`` padded and length-sorted, states ``(D*num_layers, N, H)`` ->
    ``(output (L, N, D*H), final states (D*num_layers, N, H))``."""
    valid = None
    if not sched.is_padded:
        steps = torch.arange(sched.length, device=x.device).unsqueeze(1)
        valid = (steps < sched.lengths.to(x.device))[:, None, :, None]  # (L, 1, N, 1)
    directions = 2 if module.bidirectional else 1
    finals: list[list[Tensor]] = [[] for _ in states]
    for layer in range(module.num_layers):
        outs = []
        for direction in range(directions):
            k = layer * directions + direction
            out, final = _direction(module, layer, direction, x, tuple(s[k] for s in states), valid)
            outs.append(out)
            for j, f in enumerate(final):
                finals[j].append(f)
        x = outs[0] if directions == 1 else torch.cat(outs, dim=2)
        if module.dropout and module.training and layer < module.num_layers - 1:
            x = F.dropout(x, module.dropout, training=True)
    return x, tuple(torch.stack(f) for f in finals)
