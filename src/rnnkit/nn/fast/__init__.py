"""Fast kernels behind ``backend="scratch"``: whole-sequence autograd Functions per cell.

Each of :class:`RNNFunction` (tanh or ReLU), :class:`LSTMFunction` and :class:`GRUFunction`
runs one layer-direction over a padded ``(L, N, .)`` sequence: the per-step recurrence saves
only the gate activations and states, and a hand-written backward through time computes the
per-step gate gradients, then every weight gradient as one matrix product over all steps.
The step loops run as TorchScript (:mod:`.jit`), with an eager fallback, or compiled from C++
(:mod:`.compiled`); a float32 LSTM with ``H`` a multiple of 16 up to 256 runs its whole
layer-direction, input projection and weight gradients included, in one C++ pass per step
(:mod:`.lstm_fused`).

When the fast path applies (``backend="scratch"``):

- the layer is an :class:`~rnnkit.nn.RNN`, :class:`~rnnkit.nn.LSTM` or :class:`~rnnkit.nn.GRU`
  (the Jordan network always runs the readable loop) without ``proj_size`` (an LSTM with
  projections runs the readable loop);
- the input is float32, float64 or bfloat16, or float32 under ``torch.autocast`` (bfloat16
  matrix products, float32 master weights);
- the switch is on: the layer attribute ``fast`` (default True) and the module-level
  :func:`enabled` (default True).

Padded, batch-first, unbatched and packed input all take it: a packed batch is run padded
and sorted by length, each sequence's state frozen past its own length (see
:mod:`.schedule`), and the reverse direction walks time backwards. Otherwise
``backend="scratch"`` falls back to the readable loop in :mod:`rnnkit.nn.scratch`, which
is also the reference the tests compare the fast kernels with.

Example::

    >>> from rnnkit.nn import LSTM, fast
    >>> lstm = LSTM(4, 8, backend="scratch")
    >>> x = torch.randn(5, 2, 4)
    >>> with fast.enabled(False):                     # force the readable loop
    ...     slow, _ = lstm(x)
    >>> torch.allclose(lstm(x)[0], slow, atol=1e-6)
    True
"""

from __future__ import annotations

from contextlib import contextmanager

from .engine import run_layers
from .gru import GRUFunction
from .lstm import LSTMFunction
from .memory import keep_freed_memory
from .precision import DTYPES
from .rnn import RNNFunction
from .schedule import Schedule, packed_from_padded, padded_from_packed

_enabled = True
LAYER_MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")  # torch.nn.RNNBase.mode of the layers it runs


def is_enabled() -> bool:
    """Whether the module-level switch lets layers take the fast path."""
    return _enabled


@contextmanager
def enabled(flag: bool = True):
    """Turn the fast path on or off inside the block (it is on by default)."""
    global _enabled
    previous, _enabled = _enabled, bool(flag)
    try:
        yield
    finally:
        _enabled = previous


def applies(module, dtype) -> bool:
    """True when ``module`` (a scratch layer) with input of ``dtype`` runs the fast kernels."""
    return (
        _enabled
        and getattr(module, "mode", None) in LAYER_MODES
        and getattr(module, "fast", True)
        and not getattr(module, "proj_size", 0)
        and dtype in DTYPES
    )


__all__ = [
    "keep_freed_memory",
    "RNNFunction",
    "LSTMFunction",
    "GRUFunction",
    "Schedule",
    "run_layers",
    "applies",
    "enabled",
    "is_enabled",
    "padded_from_packed",
    "packed_from_padded",
]
