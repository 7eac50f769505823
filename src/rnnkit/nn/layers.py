r"""Recurrent layers ``RNN``, ``LSTM`` and ``GRU`` with two engines behind one interface.

Each class *is* its ``torch.nn`` counterpart (a subclass), with the same constructor, the same
parameters (``weight_ih_l0``, ``weight_hh_l0_reverse``, ...), the same call contract and the
same state dict. ``backend`` chooses who computes:

- ``"native"``: ``torch.nn``'s fused kernels (oneDNN on CPU, cuDNN on GPU);
- ``"scratch"``: rnnkit's own computation, proved equal to native in outputs, final states
  and gradients by the tests: the fast kernels of :mod:`rnnkit.nn.fast` where they apply
  (see "Fast path" in each layer's docstring), else the readable loop over the cell
  equations of :mod:`rnnkit.nn.functional`.

Both engines run the same argument checks first, with messages that name the argument.
Shape legend for every layer:

- N: batch size; L: sequence length; D: 2 if bidirectional else 1;
- H_in: input_size; H_out: proj_size if > 0 (LSTM) else hidden_size; H_cell: hidden_size.
"""

from __future__ import annotations

from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from . import functional as RF
from ._checks import (
    check_choice,
    check_dropout,
    check_feature_size,
    check_non_negative_int,
    check_positive_int,
    check_same_dtype_device,
    check_sequence_length,
    check_state_shape,
    shape_str,
)
from .scratch import ScratchLayerMixin

BACKENDS = ("native", "scratch")

_SHAPES_DOC = r"""
    Inputs: ``input, h_0``
        - input: ``(L, N, H_in)``; ``(N, L, H_in)`` when ``batch_first=True``; ``(L, H_in)``
          unbatched; or a :class:`~torch.nn.utils.rnn.PackedSequence`.
        - h_0: ``(D*num_layers, N, H_out)`` or unbatched ``(D*num_layers, H_out)``, zeros when
          omitted. It is **never** batch-first, whatever ``batch_first`` says.

    Outputs: ``output, h_n``
        - output: ``(L, N, D*H_out)``; ``(N, L, D*H_out)`` when ``batch_first=True``;
          ``(L, D*H_out)`` unbatched; a PackedSequence when the input was packed. It holds the
          last layer's ``h_t`` at every step (both directions concatenated).
        - h_n: ``(D*num_layers, N, H_out)`` (unbatched ``(D*num_layers, H_out)``): the final
          state of every layer and direction, layer-major (``h_n.view(num_layers, D, N, H)``).
"""

_FAST_DOC = r"""
    Fast path: with ``backend="scratch"`` the layer runs :mod:`rnnkit.nn.fast` (one autograd
    Function per layer-direction, hand-written backward through time, TorchScript step loops)
    when it has no ``proj_size``, the input is float32, float64 or bfloat16 (also float32
    under ``torch.autocast("cpu", dtype=torch.bfloat16)``), and both ``layer.fast`` and
    ``rnnkit.nn.fast.enabled()`` are on (the defaults). Padded, batch-first, unbatched and
    packed input all qualify. Anything else runs the readable per-step loop of
    :mod:`rnnkit.nn.scratch`, which is also what the tests compare the fast path with.
"""


class _RecurrentLayer(ScratchLayerMixin):
    """Checks shared by both engines, then dispatch on ``self.backend``."""

    backend: str

    def _validate_init(self, input_size, hidden_size, num_layers, dropout, backend) -> None:
        check_positive_int("input_size", input_size)
        check_positive_int("hidden_size", hidden_size)
        check_positive_int("num_layers", num_layers)
        check_dropout(dropout)
        check_choice("backend", backend, BACKENDS)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", backend={self.backend!r}"

    @property
    def out_features(self) -> int:
        """Features of each ``output`` step: ``D * H_out``."""
        return (2 if self.bidirectional else 1) * (self.proj_size or self.hidden_size)

    def _state_sizes(self) -> tuple[int, ...]:
        return (self.proj_size or self.hidden_size,)

    def _check_call(self, input, states: tuple[Tensor, ...] | None) -> None:
        weight = self.weight_ih_l0
        if isinstance(input, PackedSequence):
            data, n, unbatched = input.data, int(input.batch_sizes[0]), False
            if data.dim() != 2:
                raise ValueError(
                    f"a packed input must hold 2-D data (sum of lengths, H_in), "
                    f"received {data.dim()}-D"
                )
        elif not isinstance(input, Tensor):
            raise TypeError(
                f"input must be a Tensor or a PackedSequence, received {type(input).__name__}"
            )
        else:
            if input.dim() not in (2, 3):
                raise ValueError(
                    f"input must be 3-D (L, N, H_in) (or (N, L, H_in) with batch_first) or "
                    f"2-D (L, H_in) unbatched, received {input.dim()}-D with shape "
                    f"{shape_str(input.shape)}"
                )
            data, unbatched = input, input.dim() == 2
            n = 1 if unbatched else input.size(0 if self.batch_first else 1)
            check_sequence_length(input, self.batch_first)
        check_feature_size("input", data, self.input_size)
        check_same_dtype_device("input", data, weight)
        if states is None:
            return
        rows = self.num_layers * (2 if self.bidirectional else 1)
        for name, state, size in zip(("h0", "c0"), states, self._state_sizes()):
            if not isinstance(state, Tensor):
                raise TypeError(f"{name} must be a Tensor, received {type(state).__name__}")
            expected = (rows, size) if unbatched else (rows, n, size)
            check_state_shape(name, state, expected)
            check_same_dtype_device(name, state, weight)

    def _weights(self, layer: int, direction: int) -> list[Tensor | None]:
        sfx = f"_l{layer}" + ("_reverse" if direction else "")
        names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
        return [getattr(self, name + sfx, None) for name in names]


class RNN(_RecurrentLayer, nn.RNN):
    __doc__ = (
        r"""Elman RNN: :math:`h_t = \tanh(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh})`.

    The recurrent principle :math:`H_t = f(U X_t + W H_{t-1})` with ``U = W_ih``,
    ``W = W_hh`` and ``f`` = tanh (or ReLU with ``nonlinearity="relu"``), stacked
    ``num_layers`` deep; layer ``l > 0`` reads the previous layer's output (with dropout).

    Args:
        input_size, hidden_size, num_layers, nonlinearity, bias, batch_first, dropout,
        bidirectional: exactly as ``torch.nn.RNN``.
        backend: ``"native"`` (torch's kernel) or ``"scratch"`` (rnnkit's loop).
    """
        + _SHAPES_DOC
        + _FAST_DOC
        + r"""
    Attributes:
        weight_ih_l[k] ``(H, H_in)`` for k = 0, else ``(H, D*H)``; weight_hh_l[k] ``(H, H)``;
        bias_ih_l[k], bias_hh_l[k] ``(H,)``; ``_reverse`` suffix for the backward direction.

    Example::

        >>> rnn = RNN(10, 20, num_layers=2, batch_first=True, backend="scratch")
        >>> out, h_n = rnn(torch.randn(3, 5, 10))          # (N, L, H_in)
        >>> out.shape, h_n.shape
        (torch.Size([3, 5, 20]), torch.Size([2, 3, 20]))
    """
    )

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
        backend: str = "native",
    ) -> None:
        self._validate_init(input_size, hidden_size, num_layers, dropout, backend)
        check_choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        nn.RNN.__init__(
            self,
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            nonlinearity=nonlinearity,
            bias=bias,
            batch_first=batch_first,
            dropout=float(dropout),
            bidirectional=bidirectional,
            device=device,
            dtype=dtype,
        )
        self.backend = backend

    def forward(self, input, hx: Tensor | None = None):
        self._check_call(input, None if hx is None else (hx,))
        if self.backend == "native":
            return nn.RNN.forward(self, input, hx)
        output, (h_n,) = self._scratch_forward(input, None if hx is None else (hx,))
        return output, h_n

    def _scratch_step(self, layer: int, direction: int):
        w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
        fn = RF.rnn_tanh_step if self.nonlinearity == "tanh" else RF.rnn_relu_step
        return w_ih, b_ih, lambda gi, state: (fn(gi, state[0], w_hh, b_hh),)


class LSTM(_RecurrentLayer, nn.LSTM):
    __doc__ = (
        r"""Long short-term memory layer, ``torch.nn.LSTM`` with a choice of engine.

    .. math::
        \begin{array}{ll}
        i_t = \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
        f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
        g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
        c_t = f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t = o_t \odot \tanh(c_t)  \quad(\text{then } h_t = W_{hr} h_t \text{ if proj\_size} > 0)
        \end{array}

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
        proj_size: exactly as ``torch.nn.LSTM``.
        backend: ``"native"`` or ``"scratch"``.
    """
        + _SHAPES_DOC.replace("h_0``", "(h_0, c_0)``").replace("h_n``", "(h_n, c_n)``")
        + r"""        - c_0, c_n: ``(D*num_layers, N, H_cell)`` (unbatched: no N).
"""
        + _FAST_DOC
        + r"""
    Attributes:
        weight_ih_l[k] ``(4*H_cell, H_in)`` stacked ``(W_ii|W_if|W_ig|W_io)`` (``D*H_out``
        columns for k > 0); weight_hh_l[k] ``(4*H_cell, H_out)``; biases ``(4*H_cell,)``;
        weight_hr_l[k] ``(H_out, H_cell)`` when ``proj_size > 0``.

    Example::

        >>> lstm = LSTM(10, 20, num_layers=2, bidirectional=True, backend="scratch")
        >>> out, (h_n, c_n) = lstm(torch.randn(5, 3, 10))    # (L, N, H_in)
        >>> out.shape, h_n.shape, c_n.shape
        (torch.Size([5, 3, 40]), torch.Size([4, 3, 20]), torch.Size([4, 3, 20]))
    """
    )

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
        backend: str = "native",
    ) -> None:
        self._validate_init(input_size, hidden_size, num_layers, dropout, backend)
        check_non_negative_int("proj_size", proj_size)
        if proj_size >= hidden_size:
            raise ValueError(
                f"proj_size must be smaller than hidden_size={hidden_size}, received {proj_size}"
            )
        nn.LSTM.__init__(
            self,
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bias=bias,
            batch_first=batch_first,
            dropout=float(dropout),
            bidirectional=bidirectional,
            proj_size=proj_size,
            device=device,
            dtype=dtype,
        )
        self.backend = backend

    def _state_sizes(self) -> tuple[int, ...]:
        return (self.proj_size or self.hidden_size, self.hidden_size)

    def forward(self, input, hx: tuple[Tensor, Tensor] | None = None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"hx must be a tuple (h0, c0) for LSTM, received {type(hx).__name__}")
        self._check_call(input, None if hx is None else tuple(hx))
        if self.backend == "native":
            return nn.LSTM.forward(self, input, hx)
        return self._scratch_forward(input, None if hx is None else tuple(hx))

    def _scratch_step(self, layer: int, direction: int):
        w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
        sfx = f"_l{layer}" + ("_reverse" if direction else "")
        w_hr = getattr(self, "weight_hr" + sfx) if self.proj_size else None
        return w_ih, b_ih, lambda gi, state: RF.lstm_step(gi, *state, w_hh, b_hh, w_hr)


class GRU(_RecurrentLayer, nn.GRU):
    __doc__ = (
        r"""Gated recurrent unit layer, ``torch.nn.GRU`` with a choice of engine.

    .. math::
        \begin{array}{ll}
        r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}
        \end{array}

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional:
        exactly as ``torch.nn.GRU``. backend: ``"native"`` or ``"scratch"``.
    """
        + _SHAPES_DOC
        + _FAST_DOC
        + r"""
    Attributes:
        weight_ih_l[k] ``(3H, H_in)`` stacked ``(W_ir|W_iz|W_in)`` (``D*H`` columns for
        k > 0); weight_hh_l[k] ``(3H, H)``; biases ``(3H,)``.

    Example::

        >>> gru = GRU(10, 20, backend="scratch")
        >>> out, h_n = gru(torch.randn(5, 10))              # unbatched (L, H_in)
        >>> out.shape, h_n.shape
        (torch.Size([5, 20]), torch.Size([1, 20]))
    """
    )

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
        backend: str = "native",
    ) -> None:
        self._validate_init(input_size, hidden_size, num_layers, dropout, backend)
        nn.GRU.__init__(
            self,
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bias=bias,
            batch_first=batch_first,
            dropout=float(dropout),
            bidirectional=bidirectional,
            device=device,
            dtype=dtype,
        )
        self.backend = backend

    def forward(self, input, hx: Tensor | None = None):
        self._check_call(input, None if hx is None else (hx,))
        if self.backend == "native":
            return nn.GRU.forward(self, input, hx)
        output, (h_n,) = self._scratch_forward(input, None if hx is None else (hx,))
        return output, h_n

    def _scratch_step(self, layer: int, direction: int):
        w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
        return w_ih, b_ih, lambda gi, state: (RF.gru_step(gi, state[0], w_hh, b_hh),)


__all__ = ["RNN", "LSTM", "GRU", "BACKENDS"]
