"""The input projection ``x W^T + b`` of the fast layers, on oneDNN's matrix product on a CPU.

Each fast layer projects its whole input in one product before the recurrence (and its
backward one product for ``dx``). ``torch.nn.functional.linear`` runs it with MKL's sgemm, which
on the project's AMD EPYC (AVX-512) reaches about 85 GFLOP/s; oneDNN's kernel, the one
``torch.nn.LSTM`` uses inside, reaches about twice that on the same shapes. Measured with one
thread, by hand (median of 7): ``(6400, 32) @ (32, 256)`` 1.54 ms with MKL, 0.53 ms with
oneDNN; ``(6400, 128) @ (128, 1024)`` 20.1 against 9.1 ms. A step's own small product
``(32, 64) @ (64, 256)`` is the other way round (13.7 against 18.7 us), so the recurrences keep
``torch.addmm``.

:func:`linear` takes the oneDNN path (``torch.ops.mkldnn._linear_pointwise``, which needs no
weight packing) when all of these hold, and is ``F.linear`` otherwise:

- torch was built with oneDNN and has the operator;
- input and weight are float32 CPU tensors, and CPU autocast is off (under bf16 autocast
  ``F.linear`` already runs a bf16 product);
- the product is at least :data:`DNN_MIN_OUT` wide (an LSTM of hidden 64 and more), the
  widths where oneDNN was measured faster; narrower ones (the Elman RNN's and the GRU's at
  hidden 64) stay on MKL, as before.

``dW = dY^T X`` stays on MKL: oneDNN would need both operands transposed in memory first,
which costs what it saves. Except when ``dY`` arrives column-major (MinGRU/MinLSTM's C++
backward writes it so when the projection's input needs no gradient, see
:mod:`rnnkit.nn.minscan`): ``dY^T`` is then contiguous, and oneDNN's product takes half of
MKL's time (``(65536, 512)^T @ (65536, 64)``, one thread: 48 + 9 ms for transposing ``X``,
against 115 ms on MKL, on a core shared with another job).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable


def _dnn_op():
    try:
        return torch.ops.mkldnn._linear_pointwise if torch.backends.mkldnn.is_available() else None
    except (AttributeError, RuntimeError):  # a build without oneDNN
        return None


_DNN = _dnn_op()


def _dnn(x: Tensor, w: Tensor) -> Tensor:
    """``x (M, K) @ w (N, K)^T`` on oneDNN."""
    return _DNN(x, w, None, "none", [], "")


class DnnLinear(torch.autograd.Function):
    """``(x (M, K), w (N, K), b (N,) or None)`` -> ``x w^T + b (M, N)``."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        ctx.has_bias = b is not None
        return _DNN(x, w, b, "none", [], "")

    @staticmethod
    @once_differentiable
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        if not ctx.needs_input_grad[0] and dy.stride(0) == 1 and dy.stride(1) >= dy.size(0) > 1:
            dyt = dy.t()  # (N, M), rows contiguous (perhaps padded): dW = dY^T X on oneDNN
            dw = _dnn(dyt, x.t().contiguous()) if ctx.needs_input_grad[1] else None
            db = dyt.sum(1) if ctx.has_bias and ctx.needs_input_grad[2] else None
            return None, dw, db
        dy = dy.contiguous()
        dx = _dnn(dy, w.t().contiguous()) if ctx.needs_input_grad[0] else None  # (M, K)
        dw = dy.t().mm(x) if ctx.needs_input_grad[1] else None  # (N, K), on MKL
        db = dy.sum(0) if ctx.has_bias and ctx.needs_input_grad[2] else None
        return dx, dw, db


DNN_MIN_OUT = 256  # narrower projections stay on MKL


def uses_dnn(x: Tensor, w: Tensor) -> bool:
    """Whether :func:`linear` takes the oneDNN path for these tensors (see the module doc)."""
    return (
        _DNN is not None
        and w.size(0) >= DNN_MIN_OUT
        and x.device.type == "cpu"
        and x.dtype == torch.float32
        and w.dtype == torch.float32
        and not torch.is_autocast_enabled("cpu")
    )


STEP_DNN_MACS = 2**22  # a recurrent step's product of at least this many multiply-adds


def step_on_dnn(batch: int, w: Tensor) -> bool:
    """Whether a recurrence's per-step product ``(batch, H) @ w^T`` (``w``: (G*H, H), float32 on
    a CPU) runs on oneDNN: from :data:`STEP_DNN_MACS` multiply-adds on (N=64, H=256 for an LSTM:
    16.8M, 200 against 405 us with MKL), not at N=32, H=64 (0.5M: 18.7 against 13.7 us)."""
    big = batch * w.size(0) * w.size(1) >= STEP_DNN_MACS
    return big and _DNN is not None and w.device.type == "cpu" and w.dtype == torch.float32


def linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """``F.linear(x, w, b)`` for ``x (..., K)``, on oneDNN where :func:`uses_dnn` says so."""
    if not uses_dnn(x, w):
        return F.linear(x, w, b)
    flat = x.reshape(-1, x.size(-1))
    return DnnLinear.apply(flat, w.contiguous(), b).view(*x.shape[:-1], w.size(0))
