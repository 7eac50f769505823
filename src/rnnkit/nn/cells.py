r"""From-scratch recurrent cells with the parameters of ``torch.nn.RNNCell/LSTMCell/GRUCell``.

A cell computes one time step. Its parameters have exactly torch's names, shapes and gate
order, so ``state_dict`` moves between an rnnkit cell and a torch cell in both directions.

Shape legend: N batch size, H_in input size, H hidden size.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from . import functional as RF
from ._checks import (
    check_choice,
    check_feature_size,
    check_positive_int,
    check_same_dtype_device,
    shape_str,
)


class _CellBase(nn.Module):
    """Owns ``weight_ih (G*H, H_in)``, ``weight_hh (G*H, H)`` and the two biases ``(G*H,)``."""

    num_gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.bias = bool(bias)
        gh = self.num_gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(gh, input_size))
        self.weight_hh = nn.Parameter(torch.empty(gh, hidden_size))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(gh))
            self.bias_hh = nn.Parameter(torch.empty(gh))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's initialisation: every parameter ~ U(-1/sqrt(H), 1/sqrt(H))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"

    def _prepare(self, input: Tensor, hx: Tensor | None, name: str = "hx") -> tuple[Tensor, bool]:
        """Check ``input``; return it batched ``(N, H_in)`` and whether it was unbatched."""
        if input.dim() not in (1, 2):
            raise ValueError(
                f"input must be 1-D (H_in,) unbatched or 2-D (N, H_in) batched, "
                f"received {input.dim()}-D with shape {shape_str(input.shape)}"
            )
        check_feature_size("input", input, self.input_size)
        check_same_dtype_device("input", input, self.weight_ih)
        return (input.unsqueeze(0), True) if input.dim() == 1 else (input, False)

    def _state(self, hx: Tensor | None, like: Tensor, unbatched: bool, name: str) -> Tensor:
        """Return the state as ``(N, H)``: zeros when absent, checked otherwise."""
        n = like.size(0)
        if hx is None:
            return like.new_zeros(n, self.hidden_size)
        expected = (self.hidden_size,) if unbatched else (n, self.hidden_size)
        if tuple(hx.shape) != expected:
            raise ValueError(
                f"{name} must have shape {'(H,)' if unbatched else '(N, H)'} = "
                f"{shape_str(expected)}, received {shape_str(hx.shape)}"
            )
        check_same_dtype_device(name, hx, self.weight_hh)
        return hx.unsqueeze(0) if unbatched else hx

    def _input_gates(self, x: Tensor) -> Tensor:
        return nn.functional.linear(x, self.weight_ih, self.bias_ih)  # (N, G*H)


class RNNCell(_CellBase):
    r"""An Elman cell, one step: :math:`h' = \tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`.

    With ``nonlinearity="relu"``, ReLU replaces tanh. Same parameters as ``torch.nn.RNNCell``.

    Args:
        input_size: H_in, features of ``x_t``.
        hidden_size: H, features of ``h_t``.
        bias: if False, ``bias_ih`` and ``bias_hh`` are absent (zero).
        nonlinearity: ``"tanh"`` or ``"relu"``.

    Inputs: ``input, hx``
        - input: ``(N, H_in)`` or unbatched ``(H_in,)``.
        - hx: ``(N, H)`` or unbatched ``(H,)``; zeros when omitted.

    Output: ``h'`` of shape ``(N, H)`` or unbatched ``(H,)``.

    Attributes:
        weight_ih ``(H, H_in)``, weight_hh ``(H, H)``, bias_ih ``(H,)``, bias_hh ``(H,)``,
        all initialised from :math:`\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})`.

    Example::

        >>> cell = RNNCell(4, 2)
        >>> x = torch.randn(3, 1, 4)                 # (L, N, H_in)
        >>> h = torch.zeros(1, 2)                    # (N, H)
        >>> for x_t in x:
        ...     h = cell(x_t, h)
        >>> h.shape
        torch.Size([1, 2])
    """

    num_gates = 1

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"
    ) -> None:
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(input_size, hidden_size, bias)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", nonlinearity={self.nonlinearity!r}"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, unbatched = self._prepare(input, hx)
        h = self._state(hx, x, unbatched, "hx")
        step = RF.rnn_tanh_step if self.nonlinearity == "tanh" else RF.rnn_relu_step
        h_next = step(self._input_gates(x), h, self.weight_hh, self.bias_hh)
        return h_next.squeeze(0) if unbatched else h_next


class LSTMCell(_CellBase):
    r"""A long short-term memory cell, one step, same parameters as ``torch.nn.LSTMCell``.

    .. math::
        \begin{array}{ll}
        i = \sigma(W_{ii} x + b_{ii} + W_{hi} h + b_{hi}) \\
        f = \sigma(W_{if} x + b_{if} + W_{hf} h + b_{hf}) \\
        g = \tanh(W_{ig} x + b_{ig} + W_{hg} h + b_{hg}) \\
        o = \sigma(W_{io} x + b_{io} + W_{ho} h + b_{ho}) \\
        c' = f \odot c + i \odot g \\
        h' = o \odot \tanh(c')
        \end{array}

    Args:
        input_size: H_in. hidden_size: H. bias: as for :class:`RNNCell`.

    Inputs: ``input, (h_0, c_0)``
        - input: ``(N, H_in)`` or unbatched ``(H_in,)``.
        - h_0, c_0: ``(N, H)`` or unbatched ``(H,)``; zeros when the tuple is omitted.

    Outputs: ``(h_1, c_1)``, each ``(N, H)`` or unbatched ``(H,)``.

    Attributes:
        weight_ih ``(4H, H_in)`` stacked ``(W_ii|W_if|W_ig|W_io)``, weight_hh ``(4H, H)``,
        bias_ih and bias_hh ``(4H,)``.

    Example::

        >>> cell = LSTMCell(10, 20)
        >>> h, c = cell(torch.randn(3, 10))
        >>> h.shape, c.shape
        (torch.Size([3, 20]), torch.Size([3, 20]))
    """

    num_gates = 4

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        x, unbatched = self._prepare(input, hx)
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(
                f"hx must be a tuple (h_0, c_0) for LSTMCell, received {type(hx).__name__}"
            )
        h = self._state(None if hx is None else hx[0], x, unbatched, "h_0")
        c = self._state(None if hx is None else hx[1], x, unbatched, "c_0")
        h_next, c_next = RF.lstm_step(self._input_gates(x), h, c, self.weight_hh, self.bias_hh)
        if unbatched:
            return h_next.squeeze(0), c_next.squeeze(0)
        return h_next, c_next


class GRUCell(_CellBase):
    r"""A gated recurrent unit, one step, with ``torch.nn.GRUCell``'s formula and parameters.

    .. math::
        \begin{array}{ll}
        r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}) \\
        z = \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}) \\
        n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})) \\
        h' = (1 - z) \odot n + z \odot h
        \end{array}

    The reset gate multiplies ``W_hn h + b_hn`` (after the matrix product), as in torch and
    cuDNN; some tutorials apply it to ``h`` before the product, which is another model.

    Inputs: ``input`` ``(N, H_in)`` or ``(H_in,)``; ``hx`` ``(N, H)`` or ``(H,)``, zeros when
    omitted. Output: ``h'`` ``(N, H)`` or ``(H,)``.

    Attributes:
        weight_ih ``(3H, H_in)`` stacked ``(W_ir|W_iz|W_in)``, weight_hh ``(3H, H)``,
        bias_ih and bias_hh ``(3H,)``.

    Example::

        >>> cell = GRUCell(10, 20)
        >>> cell(torch.randn(3, 10)).shape
        torch.Size([3, 20])
    """

    num_gates = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, unbatched = self._prepare(input, hx)
        h = self._state(hx, x, unbatched, "hx")
        h_next = RF.gru_step(self._input_gates(x), h, self.weight_hh, self.bias_hh)
        return h_next.squeeze(0) if unbatched else h_next
