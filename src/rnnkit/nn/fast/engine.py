"""Run a whole stacked, optionally bidirectional layer on the fast kernels.

Each layer and direction computes its input projection ``gi = x W_ih^T + b`` for all steps in
one matrix product, then hands it to the kernel of its cell (:mod:`.rnn`, :mod:`.lstm`,
:mod:`.gru`). The LSTM and the Elman RNN fold ``b_hh`` into that bias, since both biases
add to the same pre-activation; the GRU cannot (its reset gate multiplies ``W_hn h + b_hn``),
so its kernel adds ``b_hh`` itself.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .gru import GRUFunction
from .linear import linear
from .lstm import LSTMFunction, doubled
from .lstm_fused import FusedLSTMFunction, fused
from .rnn import RNNFunction
from .schedule import Schedule, packed_from_padded, padded_from_packed

State = tuple[Tensor, ...]


def _direction(module, layer: int, direction: int, x: Tensor, state: State, sched: Schedule):
    """One layer-direction: ``x (L, N, H_in)`` -> ``(out (L, N, H), final state tuple)``."""
    w_ih, w_hh, b_ih, b_hh = module._weights(layer, direction)
    reverse = direction == 1
    if module.mode == "GRU":
        out, h_n = GRUFunction.apply(linear(x, w_ih, b_ih), state[0], w_hh, b_hh, sched, reverse)
        return out, (h_n,)
    bias = None if b_ih is None else b_ih + b_hh
    if module.mode == "LSTM" and (compiled := fused(x, w_ih, w_hh, sched.batch)) is not None:
        grad = torch.is_grad_enabled()
        args = x, w_ih, bias, state[0], state[1], w_hh, sched, reverse, compiled, grad
        out, h_n, c_n = FusedLSTMFunction.apply(*args)  # projection inside the step (C++)
        return out, (h_n, c_n)
    if module.mode == "LSTM":  # its kernel takes the cell gate's pre-activation doubled
        gi = linear(x, doubled(w_ih), None if bias is None else doubled(bias))  # (L, N, 4H)
        out, h_n, c_n = LSTMFunction.apply(gi, state[0], state[1], w_hh, sched, reverse)
        return out, (h_n, c_n)
    gi = linear(x, w_ih, bias)  # (L, N, G*H), one product for every step (oneDNN on a CPU)
    relu = module.mode == "RNN_RELU"
    out, h_n = RNNFunction.apply(gi, state[0], w_hh, sched, reverse, relu)
    return out, (h_n,)


def run_layers(module, x: Tensor, sched, states: State, direction=_direction):
    """``x (L, N, H_in)`` padded and length-sorted, states ``(D*num_layers, N, .)`` ->
    ``(output (L, N, D*H), final states (D*num_layers, N, .))``: each layer and direction
    by ``direction(module, layer, d, x, state, sched)`` (``sched``: the :class:`Schedule`, or
    whatever that function needs of it), dropout between the layers."""
    directions = 2 if module.bidirectional else 1
    finals: list[list[Tensor]] = [[] for _ in states]
    for layer in range(module.num_layers):
        outs = []
        for d in range(directions):
            k = layer * directions + d
            out, final = direction(module, layer, d, x, tuple(s[k] for s in states), sched)
            outs.append(out)
            for j, f in enumerate(final):
                finals[j].append(f)
        x = outs[0] if directions == 1 else torch.cat(outs, dim=2)
        if module.dropout and module.training and layer < module.num_layers - 1:
            x = F.dropout(x, module.dropout, training=True)
    return x, tuple(torch.stack(f) for f in finals)


def run_rows(module, data: Tensor, steps: list[int], states: State, batch_sizes, layers=run_layers):
    """Packed rows ``(sum B_t, H_in)`` (or a padded ``(L*N, H_in)`` when ``batch_sizes`` is
    None) -> ``(rows (sum B_t, D*H), final states)`` through ``layers(module, x, schedule,
    states)`` on the padded ``x (L, N, H_in)``."""
    if batch_sizes is None:
        schedule = Schedule.padded(len(steps), steps[0])
        x = data.view(len(steps), steps[0], data.size(1))  # (L, N, H_in)
    else:
        schedule = Schedule.from_batch_sizes(batch_sizes)
        x = padded_from_packed(data, schedule)
    out, finals = layers(module, x, schedule, states)  # (L, N, D*H)
    if batch_sizes is None:
        return out.reshape(-1, out.size(2)), finals
    return packed_from_padded(out, schedule), finals
