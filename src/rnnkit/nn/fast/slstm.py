r"""The fast path of :class:`rnnkit.nn.SLSTM`: head-major layout, one fused product per step.

The readable step (:func:`rnnkit.nn.slstm.slstm_step`) keeps every tensor ``(B, 4H)`` in gate
order and reaches the block-diagonal ``R`` through an einsum and a reshape at every step.
Here, per layer and direction:

- the input projection ``gx = x W^T + b`` is one matrix product for all steps, permuted once
  to head-major ``(L, K, N, 4d)`` (head, then gate z|i|f|o, then unit);
- the state lives as ``(K, N, d)``, so each step's pre-activation is one batched product
  ``a_t = gx_t + h_{t-1} R^T`` (``torch.baddbmm`` over the K heads, ``R^T`` ``(K, d, 4d)``)
  and the gates are views of it;
- :class:`~.slstm_bptt.SLSTMFunction` runs the steps (TorchScript loops, :mod:`.jit`, eager
  if scripting fails) and back-propagates through time by hand: the factors that do not
  depend on the gradient are made for all steps at once, and ``dR`` is one batched product
  over all steps. The tests hold it to the readable loop's autograd gradients (1e-10, float64).

A packed batch runs padded and sorted by length (:mod:`.schedule`): a row past its length
keeps its state (``torch.where`` on a mask), so the reverse direction starts each sequence
at its own last element from its initial state. It applies to float32, float64 and bfloat16
input outside autocast with both switches on (``layer.fast`` and :func:`rnnkit.nn.fast.enabled`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from . import engine, is_enabled
from .precision import DTYPES
from .schedule import Schedule
from .slstm_bptt import SLSTMFunction, run_steps

State = tuple[Tensor, ...]


def applies(module, data: Tensor) -> bool:
    """True when an SLSTM with input ``data`` runs here rather than on the readable loop."""
    autocast = torch.is_autocast_enabled(data.device.type)
    return is_enabled() and getattr(module, "fast", True) and data.dtype in DTYPES and not autocast


def _direction(module, layer: int, direction: int, x: Tensor, state: State, valid):
    """One layer-direction: ``x (L, N, H_in)`` -> ``(out (L, N, H), (h_n, c_n, n_n, m_n))``."""
    sfx = f"_l{layer}" + ("_reverse" if direction else "")
    w_ih, w_hh = getattr(module, "weight_ih" + sfx), getattr(module, "weight_hh" + sfx)
    heads, _, d = w_hh.shape
    length, n = x.shape[:2]
    gx = F.linear(x, w_ih, getattr(module, "bias" + sfx))  # (L, N, 4H), one product
    gx = gx.view(length, n, 4, heads, d).permute(0, 3, 1, 2, 4).reshape(length, heads, n, 4 * d)
    heads_first = [s.view(n, heads, d).transpose(0, 1) for s in state]  # (K, N, d) each
    args = (valid, direction == 1, module.forget_gate == "exp")
    tensors = (gx, w_hh, *heads_first)
    if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
        out, *final = SLSTMFunction.apply(*tensors, *args)
    else:  # inference: nothing saved for a backward
        out, final, _ = run_steps(gx, w_hh, heads_first, *args, keep=False)
    out = out.permute(0, 2, 1, 3).reshape(length, n, heads * d)  # (L, N, H)
    return out, tuple(s.transpose(0, 1).reshape(n, heads * d) for s in final)


def run_layers(module, x: Tensor, sched: Schedule, states: State):
    """``x (L, N, H_in)`` padded and length-sorted, states ``(D*num_layers, N, H)`` ->
    ``(output (L, N, D*H), final states (D*num_layers, N, H))``."""
    valid = None
    if not sched.is_padded:
        steps = torch.arange(sched.length, device=x.device).unsqueeze(1)
        valid = (steps < sched.lengths.to(x.device))[:, None, :, None]  # (L, 1, N, 1)
    return engine.run_layers(module, x, valid, states, direction=_direction)
