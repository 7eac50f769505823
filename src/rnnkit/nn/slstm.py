r"""sLSTM, the scalar-memory LSTM of xLSTM (Beck et al. 2024), with torch.nn's layer contract.

The LSTM with exponential gating: the input gate (and optionally the forget gate) is an
exponential instead of a sigmoid, so a new input can outweigh everything stored, and the cell
is divided by a normaliser state :math:`n_t` that sums the gate weights. A stabiliser state
:math:`m_t` (a running maximum in log space) keeps the exponentials from overflowing; it
cancels out of :math:`h_t` exactly. The recurrent matrix is block-diagonal over ``num_heads``
heads ("memory mixing" within each head only).

Shape legend: N batch size; L sequence length; D = 2 if bidirectional else 1; H_in
input_size; H = H_out = hidden_size; K = num_heads; d = H / K the head size.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._checks import check_choice, check_positive_int, check_same_dtype_device, check_state_shape
from .fast import engine as fast_engine
from .fast import slstm as fast_slstm
from .layers import _RecurrentLayer

FORGET_GATES = ("sigmoid", "exp")
STATE_NAMES = ("h0", "c0", "n0", "m0")


def slstm_step(
    gi: Tensor, state: tuple[Tensor, ...], weight_hh: Tensor, exp_forget: bool
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    r"""One sLSTM step. ``gi = x_t W^T + b`` (B, 4H) in gate order z, i, f, o; state
    ``(h, c, n, m)`` (B, H) each; ``weight_hh`` (K, 4d, d) -> the new ``(h, c, n, m)``.

    A state with ``n = 0`` is empty (the default initial state): nothing is carried from it,
    so its first step sets :math:`m_t = \tilde i_t`, :math:`i'_t = 1` and :math:`n_t = 1`.
    """
    h, c, n, m = state
    heads, rows, d = weight_hh.shape
    r = weight_hh.view(heads, 4, d, d)  # R[k, gate] (d, d) acts on head k's slice of h
    rec = torch.einsum("bkd,kgjd->bgkj", h.view(-1, heads, d), r).reshape(h.size(0), 4 * heads * d)
    z_pre, i_pre, f_pre, o_pre = (gi + rec).chunk(4, dim=1)  # z~, i~, f~, o~ (B, H)
    log_f = f_pre if exp_forget else F.logsigmoid(f_pre)  # log f_t
    carried = (log_f + m).masked_fill(n == 0, -math.inf)  # log f_t + m_{t-1}; -inf if empty
    m_new = torch.maximum(carried, i_pre)  # m_t = max(log f_t + m_{t-1}, i~_t)
    i = torch.exp(i_pre - m_new)  # i'_t = exp(i~_t - m_t)
    f = torch.exp(carried - m_new)  # f'_t = exp(log f_t + m_{t-1} - m_t)
    c_new = f * c + i * torch.tanh(z_pre)  # c_t = f'_t c_{t-1} + i'_t z_t
    n_new = f * n + i  # n_t = f'_t n_{t-1} + i'_t
    h_new = torch.sigmoid(o_pre) * c_new / n_new  # h_t = o_t c_t / n_t
    return h_new, c_new, n_new, m_new


def normalized_state(state) -> tuple[Tensor, Tensor]:
    """``(h, c, n, m)`` -> ``(h, c / n)``: the hidden state and the memory as a weighted mean
    of the ``z`` read so far, free of the stabiliser's scale (what a bridge may transform)."""
    h, c, n, _ = state
    return h, c / n


def state_from_normalized(h: Tensor, memory: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``(h, c/n)`` -> a full state ``(h, c/n, 1, 0)``: the memory counts as one input read
    with weight 1 (``n = 1``, ``m = 0``), so the next step weighs it against the new ``z``."""
    return h, memory, torch.ones_like(memory), torch.zeros_like(memory)


class SLSTM(_RecurrentLayer, nn.Module):
    r"""sLSTM layer (xLSTM, Beck et al. 2024), stacked and bidirectional like ``torch.nn.LSTM``.

    .. math::
        \begin{array}{ll}
        [\tilde z_t, \tilde i_t, \tilde f_t, \tilde o_t] = W x_t + R h_{t-1} + b
            \quad (R \text{ block-diagonal over K heads}) \\
        z_t = \tanh(\tilde z_t), \quad o_t = \sigma(\tilde o_t), \quad
            \log f_t = \log\sigma(\tilde f_t) \text{ (or } \tilde f_t \text{ if exp)} \\
        m_t = \max(\log f_t + m_{t-1},\ \tilde i_t) \\
        i'_t = \exp(\tilde i_t - m_t), \quad f'_t = \exp(\log f_t + m_{t-1} - m_t) \\
        c_t = f'_t \odot c_{t-1} + i'_t \odot z_t, \quad n_t = f'_t \odot n_{t-1} + i'_t \\
        h_t = o_t \odot c_t / n_t
        \end{array}

    :math:`c_t / n_t` is a weighted mean of the :math:`z` seen so far, with weights
    :math:`\exp(\tilde i_s) \prod_{s<u\le t} f_u`; :math:`m_t` rescales ``c`` and ``n`` alike and
    cancels out of :math:`h_t`. A state with :math:`n_{t-1} = 0` (the default, all zeros) is
    empty: nothing is carried from it (:math:`f'_t = 0`, :math:`m_t = \tilde i_t`), so after
    any step :math:`n_t \ge 1` and the division is safe.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: as
            ``torch.nn.LSTM`` (no ``proj_size``).
        num_heads: K, the blocks of the recurrent matrix ``R``; must divide ``hidden_size``
            (default 4; 1 gives a dense ``R``).
        forget_gate: ``"sigmoid"`` (default, as the xLSTM reference code runs it: a gate in
            (0, 1), :math:`\log f = \log\sigma(\tilde f)`) or ``"exp"`` (:math:`f = \exp\tilde f`).
        backend: only ``"scratch"`` (torch.nn has no sLSTM). The readable per-step loop
            (:func:`slstm_step`) runs when ``layer.fast`` is False or
            ``rnnkit.nn.fast.enabled(False)`` is set, or under autocast; otherwise the fast
            path :mod:`rnnkit.nn.fast.slstm` (same numbers, tested to 1e-10 in float64).

    Inputs: ``input, hx``
        - input: ``(L, N, H_in)``; ``(N, L, H_in)`` when ``batch_first=True``; ``(L, H_in)``
          unbatched; or a :class:`~torch.nn.utils.rnn.PackedSequence`.
        - hx: a 4-tuple ``(h_0, c_0, n_0, m_0)``, each ``(D*num_layers, N, H)`` (unbatched
          ``(D*num_layers, H)``), exactly as returned in the final state, so a state carries
          from one call to the next; zeros (an empty state) when omitted. Never batch-first.

    Outputs: ``output, (h_n, c_n, n_n, m_n)``
        - output: ``(L, N, D*H)``; ``(N, L, D*H)`` when ``batch_first=True``; ``(L, D*H)``
          unbatched; a PackedSequence for packed input: the last layer's ``h_t``.
        - h_n, c_n, n_n, m_n: ``(D*num_layers, N, H)`` each (unbatched: no N), layer-major.

    Attributes:
        weight_ih_l[k] ``(4H, H_in)`` stacked ``(W_z|W_i|W_f|W_o)`` (``D*H`` columns for k > 0);
        weight_hh_l[k] ``(K, 4d, d)``: head k's block ``(R_z|R_i|R_f|R_o)``, acting on
        ``h[k*d:(k+1)*d]``; bias_l[k] ``(4H,)``; ``_reverse`` suffix for the backward direction.

    Initialisation: ``W`` and ``R`` uniform in :math:`\pm 1/\sqrt{H}` (torch's rule for its
    RNNs); the biases 0 except the forget gate's, spread evenly over [3, 6] across the units
    (a positive forget bias, as the paper recommends, so memory is kept at the start; with
    ``forget_gate="exp"`` the forget bias starts at 0 instead, :math:`f = 1`, an even
    running mean, since a positive one would let the first inputs dominate).

    Example::

        >>> slstm = SLSTM(10, 16, num_layers=2, batch_first=True, num_heads=4)
        >>> out, (h_n, c_n, n_n, m_n) = slstm(torch.randn(3, 5, 10))   # (N, L, H_in)
        >>> out.shape, h_n.shape, n_n.shape
        (torch.Size([3, 5, 16]), torch.Size([2, 3, 16]), torch.Size([2, 3, 16]))
    """

    proj_size = 0

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        num_heads: int = 4,
        forget_gate: str = "sigmoid",
        device=None,
        dtype=None,
        backend: str = "scratch",
    ) -> None:
        super().__init__()
        if backend != "scratch":
            raise ValueError(
                f"backend must be 'scratch' for SLSTM (torch.nn has no sLSTM), received {backend!r}"
            )
        self._validate_init(input_size, hidden_size, num_layers, dropout, backend)
        check_positive_int("num_heads", num_heads)
        if hidden_size % num_heads:
            raise ValueError(
                f"num_heads must divide hidden_size={hidden_size}, received {num_heads}"
            )
        self.forget_gate = check_choice("forget_gate", forget_gate, FORGET_GATES)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bool(bias), bool(batch_first), float(dropout)
        self.bidirectional, self.num_heads, self.backend = bool(bidirectional), num_heads, backend
        self._make_parameters(torch.empty(0, device=device, dtype=dtype))
        self.reset_parameters()

    def _make_parameters(self, like: Tensor) -> None:
        hid, heads, d = self.hidden_size, self.num_heads, self.hidden_size // self.num_heads
        directions = 2 if self.bidirectional else 1
        for layer in range(self.num_layers):
            layer_in = self.input_size if layer == 0 else directions * hid
            for direction in range(directions):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                new = like.new_empty
                self.register_parameter("weight_ih" + sfx, nn.Parameter(new(4 * hid, layer_in)))
                self.register_parameter("weight_hh" + sfx, nn.Parameter(new(heads, 4 * d, d)))
                bias = nn.Parameter(new(4 * hid)) if self.bias else None
                self.register_parameter("bias" + sfx, bias)

    def reset_parameters(self) -> None:
        """Weights uniform in ±1/sqrt(H); biases 0, the forget gate's over [3, 6] (sigmoid)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if not name.startswith("bias"):
                    p.uniform_(-bound, bound)
                    continue
                p.zero_()
                if self.forget_gate == "sigmoid":
                    hid = self.hidden_size
                    p[2 * hid : 3 * hid] = torch.linspace(3.0, 6.0, hid, dtype=p.dtype)

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"num_heads={self.num_heads}, forget_gate={self.forget_gate!r}, "
            f"bidirectional={self.bidirectional}, batch_first={self.batch_first}"
        )

    def _state_sizes(self) -> tuple[int, ...]:
        return (self.hidden_size,) * 4

    def forward(self, input, hx: tuple[Tensor, ...] | None = None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 4):
            got = f"{len(hx)}-tuple" if isinstance(hx, (tuple, list)) else type(hx).__name__
            raise TypeError(f"hx must be a tuple (h0, c0, n0, m0) for SLSTM, received {got}")
        self._check_call(input, None)
        states = None if hx is None else tuple(hx)
        if states is not None:
            self._check_states(input, states)
        output, finals = self._scratch_forward(input, states)
        return output, finals

    def _check_states(self, input, states: tuple[Tensor, ...]) -> None:
        packed = not isinstance(input, Tensor)
        unbatched = not packed and input.dim() == 2
        if packed:
            n = int(input.batch_sizes[0])
        else:
            n = 1 if unbatched else input.size(0 if self.batch_first else 1)
        rows = self.num_layers * (2 if self.bidirectional else 1)
        expected = (rows, self.hidden_size) if unbatched else (rows, n, self.hidden_size)
        for name, state in zip(STATE_NAMES, states):
            if not isinstance(state, Tensor):
                raise TypeError(f"{name} must be a Tensor, received {type(state).__name__}")
            check_state_shape(name, state, expected)
            check_same_dtype_device(name, state, self.weight_ih_l0)

    def _scratch_step(self, layer: int, direction: int):
        sfx = f"_l{layer}" + ("_reverse" if direction else "")
        w_hh, exp_forget = getattr(self, "weight_hh" + sfx), self.forget_gate == "exp"
        w_ih, b = getattr(self, "weight_ih" + sfx), getattr(self, "bias" + sfx)
        return w_ih, b, lambda gi, state: slstm_step(gi, state, w_hh, exp_forget)

    def _run(self, data: Tensor, steps: list[int], states, batch_sizes: Tensor | None):
        """Packed rows ``(sum B_t, H_in)`` -> ``(sum B_t, D*H)`` and the final states."""
        if not fast_slstm.applies(self, data):
            return self._run_layers(data, steps, states)
        return fast_engine.run_rows(self, data, steps, states, batch_sizes, fast_slstm.run_layers)


__all__ = ["SLSTM", "slstm_step", "FORGET_GATES", "normalized_state", "state_from_normalized"]
