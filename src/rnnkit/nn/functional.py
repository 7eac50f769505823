r"""One time step of each recurrent cell, written from tensor operations.

The input half of every gate, ``gi = x_t W_ih^T + b_ih``, does not depend on the previous
state, so a layer computes it for all time steps in one matrix product and passes one row
block per step here; a cell computes it for its single step. Each function then adds the
hidden half ``gh = h_{t-1} W_hh^T + b_hh`` and applies the cell's equations.

Symbols follow ``torch.nn``: gates ``i, f, g, o`` for the LSTM and ``r, z, n`` for the GRU,
two biases per gate, weights stacked in that gate order along dimension 0.
Shapes: N batch, H hidden size, G number of gates (1, 4 or 3).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def rnn_tanh_step(gi: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None) -> Tensor:
    """Elman step: ``h_t = tanh(gi + h_{t-1} W_hh^T + b_hh)``; gi, h: (N, H) -> (N, H)."""
    return torch.tanh(gi + F.linear(h, weight_hh, bias_hh))


def rnn_relu_step(gi: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None) -> Tensor:
    """Elman step with ReLU: ``h_t = relu(gi + h_{t-1} W_hh^T + b_hh)``."""
    return torch.relu(gi + F.linear(h, weight_hh, bias_hh))


def lstm_step(
    gi: Tensor,
    h: Tensor,
    c: Tensor,
    weight_hh: Tensor,
    bias_hh: Tensor | None,
    weight_hr: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """LSTM step; gi: (N, 4H), h: (N, H_out), c: (N, H) -> (h_t (N, H_out), c_t (N, H))."""
    gates = gi + F.linear(h, weight_hh, bias_hh)  # (N, 4H), order i, f, g, o
    i, f, g, o = gates.chunk(4, dim=1)
    i = torch.sigmoid(i)  # input gate   i_t = σ(W_ii x + b_ii + W_hi h + b_hi)
    f = torch.sigmoid(f)  # forget gate  f_t = σ(W_if x + b_if + W_hf h + b_hf)
    g = torch.tanh(g)  # cell input   g_t = tanh(W_ig x + b_ig + W_hg h + b_hg)
    o = torch.sigmoid(o)  # output gate  o_t = σ(W_io x + b_io + W_ho h + b_ho)
    c_next = f * c + i * g  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_next = o * torch.tanh(c_next)  # h_t = o_t ⊙ tanh(c_t)
    if weight_hr is not None:
        h_next = F.linear(h_next, weight_hr)  # projection h_t = W_hr h_t, (N, H_out)
    return h_next, c_next


def gru_step(gi: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None) -> Tensor:
    """GRU step with torch's formula; gi: (N, 3H), h: (N, H) -> (N, H)."""
    gh = F.linear(h, weight_hh, bias_hh)  # (N, 3H), order r, z, n
    i_r, i_z, i_n = gi.chunk(3, dim=1)
    h_r, h_z, h_n = gh.chunk(3, dim=1)
    r = torch.sigmoid(i_r + h_r)  # reset   r_t = σ(W_ir x + b_ir + W_hr h + b_hr)
    z = torch.sigmoid(i_z + h_z)  # update  z_t = σ(W_iz x + b_iz + W_hz h + b_hz)
    n = torch.tanh(i_n + r * h_n)  # new     n_t = tanh(W_in x + b_in + r_t ⊙ (W_hn h + b_hn))
    return n + z * (h - n)  # h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}


ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "identity": lambda x: x,
}


def jordan_step(
    gi: Tensor,
    y: Tensor,
    weight_yh: Tensor,
    weight_hy: Tensor,
    bias_y: Tensor | None,
    activation_h: str = "tanh",
    activation_y: str = "identity",
) -> tuple[Tensor, Tensor]:
    """Jordan step; gi = W_h x_t + b_h (N, H), y: (N, O) -> (y_t (N, O), h_t (N, H)).

    ``h_t = σ_h(W_h x_t + U_h y_{t-1} + b_h)`` and ``y_t = σ_y(W_y h_t + b_y)``.
    """
    h_next = ACTIVATIONS[activation_h](gi + F.linear(y, weight_yh))  # (N, H)
    y_next = ACTIVATIONS[activation_y](F.linear(h_next, weight_hy, bias_y))  # (N, O)
    return y_next, h_next
