r"""``MinGRU`` and ``MinLSTM``: recurrences that train in parallel (Feng et al. 2024).

"Were RNNs All We Needed?" drops the previous state from the gates and the candidate, so each
layer is the linear recurrence :math:`h_t = a_t \odot h_{t-1} + b_t` of
:mod:`rnnkit.nn.scan`, whose states a parallel scan computes for all ``t`` at once. Both
layers keep ``torch.nn.GRU``'s contract (constructor, shapes, ``(output, h_n)``, packed
input) and have two paths that the tests prove equal:

- the **scan** (default): one matrix product for the gates of all steps, then
  :class:`~rnnkit.nn.minscan.MinScan`, a tree of ``2 log2(L)`` levels with a hand-written
  backward, for training and for whole sequences (run batch-major, so ``batch_first=False``
  output is one copy);
- the **step**: :meth:`step` advances one time step from a carried state (streaming,
  generation); ``layer.fast = False`` (or ``rnnkit.nn.fast.enabled(False)``) runs whole
  sequences as a loop of steps, the readable reference.

``backend``: torch.nn has no such layers, so there is one implementation; ``"native"`` and
``"scratch"`` are both accepted and run the same code, so that a ``[model]`` section switches
``cell`` without touching ``backend``. Tracing (TorchScript, ONNX export) unrolls the scan's
tree and batch blocks for the example's length and batch size only: export is not supported.

Shape legend: N batch, L length, D = 2 if bidirectional else 1, H_in = input_size,
H_out = hidden_size.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from . import fast
from .fast.linear import linear, uses_dnn
from .fast.schedule import Schedule, packed_from_padded, padded_from_packed
from .layers import _SHAPES_DOC, _RecurrentLayer
from .minfused import fusable, min_fused
from .minscan import min_scan
from .scan import g

_MIN_SHAPES_DOC = (
    _SHAPES_DOC
    + r"""
    There is no cell state: the layer returns ``(output, h_n)`` like ``torch.nn.GRU``, for
    :class:`MinLSTM` too (its ``c_t`` *is* ``h_t``). Padded steps of a packed sequence leave
    the state unchanged, and the backward direction starts at each sequence's own end.
"""
)


class _MinLayer(_RecurrentLayer, nn.Module):
    """Parameters, layout and dispatch shared by MinGRU and MinLSTM."""

    gates: int  # blocks of H rows in weight_ih: 2 (z, h) or 3 (f, i, h)

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
        nn.Module.__init__(self)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size, self.backend = bidirectional, 0, backend
        directions = 2 if bidirectional else 1
        factory = {"device": device, "dtype": dtype}
        for layer in range(num_layers):
            width = input_size if layer == 0 else directions * hidden_size
            for direction in range(directions):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                rows = self.gates * hidden_size
                self.register_parameter(
                    "weight_ih" + sfx, nn.Parameter(torch.empty(rows, width, **factory))
                )
                bias_ih = nn.Parameter(torch.empty(rows, **factory)) if bias else None
                self.register_parameter("bias_ih" + sfx, bias_ih)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias uniform in ``(-1/sqrt(H_out), 1/sqrt(H_out))``, as torch.nn."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        for name in ("batch_first", "bidirectional"):
            if getattr(self, name):
                text += f", {name}=True"
        if not self.bias:
            text += ", bias=False"
        if self.dropout:
            text += f", dropout={self.dropout}"
        return text + f", backend={self.backend!r}"

    def forward(self, input, hx: Tensor | None = None):
        self._check_call(input, None if hx is None else (hx,))
        schedule, unbatched = None, False
        if isinstance(input, PackedSequence):  # padded, sorted by length, batch-major
            schedule = Schedule.from_batch_sizes(input.batch_sizes)
            x = padded_from_packed(input.data, schedule).transpose(0, 1)  # (N, L, H_in)
            valid = schedule.valid(x.device, torch.bool).transpose(0, 1)  # (N, L, 1)
        else:
            unbatched, valid = input.dim() == 2, None
            x = input.unsqueeze(1) if unbatched else input
            x = x if self.batch_first and not unbatched else x.transpose(0, 1)  # (N, L, H_in)
        rows = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            h0 = x.new_zeros(rows, x.size(0), self.hidden_size)
        else:
            h0 = hx.unsqueeze(1) if unbatched else hx
            if schedule is not None and input.sorted_indices is not None:
                h0 = h0.index_select(1, input.sorted_indices)
        out, h_n = self._layers(x, h0, valid)  # (N, L, D*H_out), (D*num_layers, N, H_out)
        if schedule is not None:
            data = packed_from_padded(out.transpose(0, 1), schedule)
            if input.unsorted_indices is not None:
                h_n = h_n.index_select(1, input.unsorted_indices)
            return PackedSequence(data, *input[1:]), h_n
        if unbatched:
            return out[0], h_n[:, 0]
        return (out if self.batch_first else out.transpose(0, 1).contiguous()), h_n

    def _gates(self, x: Tensor, layer: int, direction: int) -> Tensor:
        weight, bias = self._weights(layer, direction)[::2]
        return F.linear(x, weight, bias)  # (..., gates * H)

    def _layers(self, x: Tensor, h0: Tensor, valid: Tensor | None):
        """Batch-major ``x`` ``(N, L, H_in)`` -> ``(N, L, D*H_out)`` and ``h_n``; ``valid``
        ``(N, L, 1)`` marks the steps inside each sequence (None: all)."""
        directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                h0_k = h0[layer * directions + direction]  # (N, H_out)
                # the last layer of a time-major, one-way stack: states written time-major
                tm = not self.batch_first and directions == 1 and layer == self.num_layers - 1
                h = self._direction(x, h0_k, layer, direction, valid, tm)  # (N, L, H_out)
                finals.append(h[:, 0] if direction else h[:, -1])  # padding carried the state
                outs.append(h)
            x = torch.cat(outs, 2) if directions == 2 else outs[0]
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        return x, torch.stack(finals)

    def _direction(self, x, h0, layer: int, direction: int, valid, time_major: bool) -> Tensor:
        """One layer-direction's states ``(N, L, H_out)``: the fused pass (projection inside,
        :mod:`.minfused`), else the projection then the scan (:mod:`.minscan`), else the
        readable step loop (``fast=False``)."""
        weight, bias = self._weights(layer, direction)[::2]
        parallel, reverse = self.fast and fast.is_enabled(), bool(direction)
        if parallel and valid is None and fusable(x, weight, h0) is not None:
            return min_fused(x, weight, bias, h0, reverse, self.gates == 3, time_major)
        # (N, L, G*H), the bias comes later; oneDNN's product on a CPU (2x MKL's here)
        xw = (linear(x, weight, None) if parallel else F.linear(x, weight)).to(h0.dtype)
        if not parallel:
            return self._loop(xw, bias, h0, valid, reverse)
        # dL/dxw column-major if that lets oneDNN compute dW (unpadded: the padding's
        # masked_fill would hand the projection a row-major copy)
        col_grad = valid is None and not x.requires_grad and uses_dnn(x, weight)
        return self._scan(xw, bias, h0, valid, reverse, col_grad, time_major)

    def _scan(
        self,
        xw,
        bias,
        h0,
        valid: Tensor | None,
        reverse: bool,
        col_grad: bool = False,
        time_major: bool = False,
    ):
        if valid is not None:  # z = 0 (k = -inf, or a_i = -inf): a padded step keeps the state
            hidden, column = self.hidden_size, torch.arange(xw.size(-1), device=xw.device)
            lo = hidden * (self.gates - 2)  # the block of k (MinGRU) or of a_i (MinLSTM)
            xw = xw.masked_fill(~valid & (column >= lo) & (column < lo + hidden), -math.inf)
        bias = None if bias is None else bias.to(h0.dtype)
        lstm = self.gates == 3
        return min_scan(
            xw, h0, reverse, lstm, bias, batch_first=True, transposed_grad=col_grad,
            time_major=time_major,
        )  # fmt: skip

    def _loop(self, xw: Tensor, bias, h0: Tensor, valid: Tensor | None, reverse: bool):
        """The readable path: :meth:`_cell` one step at a time over ``xw + bias (N, L, G*H)``."""
        gates = xw if bias is None else xw + bias.to(xw.dtype)
        length = gates.size(1)
        out: list[Tensor] = [h0] * length
        h = h0
        for t in range(length - 1, -1, -1) if reverse else range(length):
            stepped = self._cell(gates[:, t], h)
            h = stepped if valid is None else torch.where(valid[:, t], stepped, h)
            out[t] = h
        return torch.stack(out, 1)

    def step(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """One time step from a carried state, for streaming and generation.

        ``input`` ``(N, H_in)`` (or ``(H_in)``), ``hx`` ``(num_layers, N, H_out)`` (or
        ``(num_layers, H_out)``; zeros when omitted) -> ``(output (N, H_out), h_next)`` with
        ``h_next`` shaped like ``hx``. ``layer(x_t.unsqueeze(0), h)`` gives the same numbers
        through the scan. Unidirectional layers only (a step cannot see the future).
        """
        if self.bidirectional:
            raise ValueError(
                "step needs a unidirectional layer (the reverse direction reads the future), "
                "received bidirectional=True"
            )
        as_sequence = input.unsqueeze(1 if self.batch_first and input.dim() == 2 else 0)
        self._check_call(as_sequence, None if hx is None else (hx,))
        unbatched = input.dim() == 1
        x = input.unsqueeze(0) if unbatched else input  # (N, H_in)
        if hx is None:
            hx = x.new_zeros(self.num_layers, x.size(0), self.hidden_size)
        h = hx.unsqueeze(1) if unbatched else hx  # (num_layers, N, H_out)
        states = []
        for layer in range(self.num_layers):
            x = self._cell(self._gates(x, layer, 0), h[layer])  # (N, H_out)
            states.append(x)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        h_next = torch.stack(states)
        return (x.squeeze(0), h_next.squeeze(1)) if unbatched else (x, h_next)

    def _cell(self, gates_t: Tensor, h_prev: Tensor) -> Tensor:
        raise NotImplementedError


class MinGRU(_MinLayer):
    __doc__ = (
        r"""minGRU layer (Feng et al. 2024): the GRU without ``h_{t-1}`` in its gates.

    .. math::
        \begin{array}{ll}
        z_t = \sigma(W_{iz} x_t + b_{iz}) \\
        \tilde h_t = g(W_{ih} x_t + b_{ih}), \quad g(x) = x + 0.5 \ (x \ge 0),\
            \sigma(x) \ (x < 0) \\
        h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t
        \end{array}

    ``g`` keeps :math:`\tilde h_t > 0`, as in the paper's log-space version; an initial state
    of any sign enters the scan as :math:`h_0`. Layer ``k > 0`` reads the previous layer's
    output (with dropout); the backward direction runs the same recurrence right to left.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional:
        as ``torch.nn.GRU``. backend: ``"native"`` or ``"scratch"``, the same computation
        (see :mod:`rnnkit.nn.mingru`).
    """
        + _MIN_SHAPES_DOC
        + r"""
    Attributes:
        weight_ih_l[k] ``(2*H_out, H_in)`` stacked ``(W_iz|W_ih)`` (``D*H_out`` columns for
        k > 0); bias_ih_l[k] ``(2*H_out,)``; ``_reverse`` suffix for the backward direction.
        There are no recurrent weights. ``fast`` (default True): False runs the step loop.

    Example::

        >>> layer = MinGRU(10, 20, num_layers=2, batch_first=True)
        >>> out, h_n = layer(torch.randn(3, 5, 10))          # (N, L, H_in)
        >>> out.shape, h_n.shape
        (torch.Size([3, 5, 20]), torch.Size([2, 3, 20]))
    """
    )

    gates = 2

    def _cell(self, gates_t: Tensor, h_prev: Tensor) -> Tensor:
        k, p = gates_t.chunk(2, dim=-1)  # (N, H) each
        z = torch.sigmoid(k)  # update gate z_t
        return (1 - z) * h_prev + z * g(p)  # h_t = (1 - z_t) h_{t-1} + z_t h~_t


class MinLSTM(_MinLayer):
    __doc__ = (
        r"""minLSTM layer (Feng et al. 2024): the LSTM with input-only, normalised gates.

    .. math::
        \begin{array}{ll}
        f_t = \sigma(W_{if} x_t + b_{if}), \quad i_t = \sigma(W_{ii} x_t + b_{ii}) \\
        f'_t = f_t / (f_t + i_t), \quad i'_t = i_t / (f_t + i_t) \\
        \tilde h_t = g(W_{ih} x_t + b_{ih}) \\
        h_t = f'_t \odot h_{t-1} + i'_t \odot \tilde h_t
        \end{array}

    with ``g`` as in :class:`MinGRU`. Since :math:`f'_t + i'_t = 1` this is MinGRU's
    recurrence with :math:`z_t = i'_t = \sigma(k_t)`,
    :math:`k_t = \mathrm{softplus}(-a_f) - \mathrm{softplus}(-a_i)` (``a`` the gate
    pre-activations), which is how the scan computes it (in log space, stably); the step uses
    the equations above. There is no output gate and no separate cell state: the layer
    returns ``(output, h_n)`` like ``torch.nn.GRU``, not ``(output, (h_n, c_n))``.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional:
        as ``torch.nn.GRU``. backend: ``"native"`` or ``"scratch"``, the same computation.
    """
        + _MIN_SHAPES_DOC
        + r"""
    Attributes:
        weight_ih_l[k] ``(3*H_out, H_in)`` stacked ``(W_if|W_ii|W_ih)`` (``D*H_out`` columns
        for k > 0); bias_ih_l[k] ``(3*H_out,)``; ``_reverse`` suffix for the backward
        direction. ``fast`` (default True): False runs the step loop.

    Example::

        >>> layer = MinLSTM(10, 20, bidirectional=True)
        >>> out, h_n = layer(torch.randn(5, 3, 10))          # (L, N, H_in)
        >>> out.shape, h_n.shape
        (torch.Size([5, 3, 40]), torch.Size([2, 3, 20]))
    """
    )

    gates = 3

    def _cell(self, gates_t: Tensor, h_prev: Tensor) -> Tensor:
        a_f, a_i, p = gates_t.chunk(3, dim=-1)  # (N, H) each
        log_f, log_i = F.logsigmoid(a_f), F.logsigmoid(a_i)  # forget and input gates, in log
        f_norm = torch.sigmoid(log_f - log_i)  # f'_t = f / (f + i), finite if both underflow
        return f_norm * h_prev + (1 - f_norm) * g(p)  # h_t = f'_t h_{t-1} + i'_t h~_t


__all__ = ["MinGRU", "MinLSTM"]
