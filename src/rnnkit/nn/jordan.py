r"""The Jordan network: a recurrent net that feeds back its previous *output*, not its state.

.. math::
    h_t = \sigma_h(W_h x_t + U_h y_{t-1} + b_h) \qquad y_t = \sigma_y(W_y h_t + b_y)

Compare Elman, :math:`h_t = \sigma_h(W_h x_t + U_h h_{t-1} + b_h)`, which feeds back ``h``.
Parameter names follow torch's convention of ``weight_<from><to>``: ``weight_ih`` is W_h,
``weight_yh`` is U_h, ``bias_h`` is b_h, ``weight_hy`` is W_y and ``bias_y`` is b_y.
torch has no Jordan layer, so only ``backend="scratch"`` exists.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from . import functional as RF
from ._checks import (
    check_choice,
    check_dropout,
    check_feature_size,
    check_positive_int,
    check_same_dtype_device,
    check_sequence_length,
    check_state_shape,
    shape_str,
)
from .scratch import ScratchLayerMixin

HIDDEN_ACTIVATIONS = ("tanh", "relu", "sigmoid")
OUTPUT_ACTIVATIONS = ("identity", "tanh", "sigmoid", "relu")


def _init_uniform(module: nn.Module, hidden_size: int) -> None:
    bound = 1.0 / math.sqrt(hidden_size)
    for weight in module.parameters():
        nn.init.uniform_(weight, -bound, bound)


class JordanCell(nn.Module):
    r"""One step of a Jordan network.

    .. math::
        h_t = \sigma_h(W_h x_t + U_h y_{t-1} + b_h) \qquad y_t = \sigma_y(W_y h_t + b_y)

    Args:
        input_size: H_in. hidden_size: H. output_size: O, features of ``y_t``.
        bias: include ``bias_h`` and ``bias_y``.
        nonlinearity: σ_h, ``"tanh"`` (default), ``"relu"`` or ``"sigmoid"``.
        output_activation: σ_y, ``"identity"`` (default), ``"tanh"``, ``"sigmoid"``, ``"relu"``.

    Inputs: ``input, y_prev``
        - input: ``(N, H_in)`` or unbatched ``(H_in,)``.
        - y_prev: the previous output ``(N, O)`` or ``(O,)``; zeros when omitted.

    Outputs: ``(h_t, y_t)`` of shapes ``(N, H)`` and ``(N, O)`` (unbatched ``(H,)``, ``(O,)``).

    Attributes:
        weight_ih ``(H, H_in)``, weight_yh ``(H, O)``, bias_h ``(H,)``, weight_hy ``(O, H)``,
        bias_y ``(O,)``, initialised from :math:`\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})`.

    Example::

        >>> cell = JordanCell(1, 8, 1)
        >>> y = None
        >>> for x_t in torch.randn(5, 2, 1):            # (L, N, H_in)
        ...     h, y = cell(x_t, y)
        >>> h.shape, y.shape
        (torch.Size([2, 8]), torch.Size([2, 1]))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        output_activation: str = "identity",
    ) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.output_size = check_positive_int("output_size", output_size)
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, HIDDEN_ACTIVATIONS)
        self.output_activation = check_choice(
            "output_activation", output_activation, OUTPUT_ACTIVATIONS
        )
        self.bias = bool(bias)
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size))
        self.weight_yh = nn.Parameter(torch.empty(hidden_size, output_size))
        self.weight_hy = nn.Parameter(torch.empty(output_size, hidden_size))
        self.bias_h = nn.Parameter(torch.empty(hidden_size)) if bias else None
        self.bias_y = nn.Parameter(torch.empty(output_size)) if bias else None
        _init_uniform(self, hidden_size)

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, {self.output_size}, bias={self.bias}, "
            f"nonlinearity={self.nonlinearity!r}, output_activation={self.output_activation!r}"
        )

    def forward(self, input: Tensor, y_prev: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if input.dim() not in (1, 2):
            raise ValueError(
                f"input must be 1-D (H_in,) unbatched or 2-D (N, H_in) batched, "
                f"received {input.dim()}-D with shape {shape_str(input.shape)}"
            )
        check_feature_size("input", input, self.input_size)
        check_same_dtype_device("input", input, self.weight_ih)
        unbatched = input.dim() == 1
        x = input.unsqueeze(0) if unbatched else input
        if y_prev is None:
            y = x.new_zeros(x.size(0), self.output_size)
        else:
            expected = (self.output_size,) if unbatched else (x.size(0), self.output_size)
            if tuple(y_prev.shape) != expected:
                raise ValueError(
                    f"y_prev must have shape {'(O,)' if unbatched else '(N, O)'} = "
                    f"{shape_str(expected)}, received {shape_str(y_prev.shape)}"
                )
            y = y_prev.unsqueeze(0) if unbatched else y_prev
        gi = nn.functional.linear(x, self.weight_ih, self.bias_h)  # W_h x_t + b_h, (N, H)
        y_next, h_next = RF.jordan_step(
            gi,
            y,
            self.weight_yh,
            self.weight_hy,
            self.bias_y,
            self.nonlinearity,
            self.output_activation,
        )
        if unbatched:
            return h_next.squeeze(0), y_next.squeeze(0)
        return h_next, y_next


class Jordan(ScratchLayerMixin, nn.Module):
    r"""A stacked, optionally bidirectional Jordan network over whole sequences.

    Every layer runs :class:`JordanCell`'s equations,

    .. math::
        h_t = \sigma_h(W_h x_t + U_h y_{t-1} + b_h) \qquad y_t = \sigma_y(W_y h_t + b_y)

    and layer ``l > 0`` reads the outputs ``y_t`` of layer ``l - 1`` (both directions
    concatenated, dropout in between). Shapes: N batch, L length, D directions, H_in input
    size, H hidden size, O output size.

    Args:
        input_size: H_in. hidden_size: H. output_size: O, per direction.
        num_layers, bias, batch_first, dropout, bidirectional: as ``torch.nn.RNN``.
        nonlinearity: σ_h. output_activation: σ_y (identity by default).
        backend: only ``"scratch"`` (torch has no Jordan kernel).

    Inputs: ``input, hx``
        - input: ``(L, N, H_in)``, ``(N, L, H_in)`` with ``batch_first``, ``(L, H_in)``
          unbatched, or a PackedSequence.
        - hx: the initial previous outputs ``y_0`` of shape ``(D*num_layers, N, O)``
          (unbatched ``(D*num_layers, O)``), or a tuple ``(h_0, y_0)`` as returned in
          ``(h_n, y_n)`` (``h_0``, of shape ``(D*num_layers, N, H)``, is checked but not used:
          the recurrence reads only ``y_{t-1}``). Zeros when omitted. Never batch-first.

    Outputs: ``output, (h_n, y_n)``
        - output: the last layer's ``y_t`` at every step, ``(L, N, D*O)`` (batch-first or
          unbatched as the input; a PackedSequence for packed input).
        - h_n: ``(D*num_layers, N, H)``; y_n: ``(D*num_layers, N, O)``.

    Example::

        >>> net = Jordan(1, 16, 1, batch_first=True)
        >>> y, (h_n, y_n) = net(torch.randn(4, 10, 1))      # (N, L, H_in)
        >>> y.shape, h_n.shape, y_n.shape
        (torch.Size([4, 10, 1]), torch.Size([1, 4, 16]), torch.Size([1, 4, 1]))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        output_activation: str = "identity",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        backend: str = "scratch",
    ) -> None:
        super().__init__()
        if backend != "scratch":
            raise ValueError(
                f"backend must be 'scratch' for Jordan (torch.nn has no Jordan network), "
                f"received {backend!r}"
            )
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.output_size = check_positive_int("output_size", output_size)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, HIDDEN_ACTIVATIONS)
        self.output_activation = check_choice(
            "output_activation", output_activation, OUTPUT_ACTIVATIONS
        )
        self.dropout = check_dropout(dropout)
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.bidirectional, self.backend = bool(bidirectional), backend
        directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else directions * output_size
            for direction in range(directions):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                self.register_parameter(
                    "weight_ih" + sfx, nn.Parameter(torch.empty(hidden_size, layer_in))
                )
                self.register_parameter(
                    "weight_yh" + sfx, nn.Parameter(torch.empty(hidden_size, output_size))
                )
                self.register_parameter(
                    "bias_h" + sfx, nn.Parameter(torch.empty(hidden_size)) if bias else None
                )
                self.register_parameter(
                    "weight_hy" + sfx, nn.Parameter(torch.empty(output_size, hidden_size))
                )
                self.register_parameter(
                    "bias_y" + sfx, nn.Parameter(torch.empty(output_size)) if bias else None
                )
        _init_uniform(self, hidden_size)

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, {self.output_size}, "
            f"num_layers={self.num_layers}, bidirectional={self.bidirectional}, "
            f"batch_first={self.batch_first}, output_activation={self.output_activation!r}"
        )

    @property
    def out_features(self) -> int:
        """Features of each ``output`` step: ``D * O``."""
        return (2 if self.bidirectional else 1) * self.output_size

    def _state_sizes(self) -> tuple[int, ...]:
        return (self.output_size, self.hidden_size)  # internal order (y, h): y is fed back

    def _scratch_step(self, layer: int, direction: int):
        sfx = f"_l{layer}" + ("_reverse" if direction else "")
        w_yh, w_hy = getattr(self, "weight_yh" + sfx), getattr(self, "weight_hy" + sfx)
        b_y = getattr(self, "bias_y" + sfx)
        act_h, act_y = self.nonlinearity, self.output_activation

        def step(gi, state):
            return RF.jordan_step(gi, state[0], w_yh, w_hy, b_y, act_h, act_y)

        return getattr(self, "weight_ih" + sfx), getattr(self, "bias_h" + sfx), step

    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        data = input.data if packed else input
        if not packed and data.dim() not in (2, 3):
            raise ValueError(
                f"input must be 3-D (L, N, H_in) (or (N, L, H_in) with batch_first) or "
                f"2-D (L, H_in) unbatched, received {data.dim()}-D with shape "
                f"{shape_str(data.shape)}"
            )
        check_feature_size("input", data, self.input_size)
        check_same_dtype_device("input", data, self.weight_ih_l0)
        if not packed:
            check_sequence_length(data, self.batch_first)
        states = None
        if hx is not None:
            h0, y0 = hx if isinstance(hx, (tuple, list)) else (None, hx)
            unbatched = not packed and data.dim() == 2
            n = int(input.batch_sizes[0]) if packed else data.size(0 if self.batch_first else 1)
            rows = self.num_layers * (2 if self.bidirectional else 1)
            lead = (rows,) if unbatched else (rows, n)
            check_state_shape("y0", y0, (*lead, self.output_size))
            check_same_dtype_device("y0", y0, self.weight_ih_l0)
            if h0 is not None:
                check_state_shape("h0", h0, (*lead, self.hidden_size))
            else:
                h0 = y0.new_zeros(*lead, self.hidden_size)
            states = (y0, h0)
        output, (y_n, h_n) = self._scratch_forward(input, states)
        return output, (h_n, y_n)
