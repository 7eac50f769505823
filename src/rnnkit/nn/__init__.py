"""Recurrent cells and layers, from scratch and native, interchangeable with ``torch.nn``.

- Cells (one time step): :class:`RNNCell`, :class:`LSTMCell`, :class:`GRUCell`,
  :class:`JordanCell`.
- Layers (whole sequences, stacked, bidirectional, packed): :class:`RNN`, :class:`LSTM`,
  :class:`GRU` (``backend="native"`` or ``"scratch"``) and :class:`Jordan`.
- Layers that train in parallel over time: :class:`MinGRU`, :class:`MinLSTM` (the scan of
  :mod:`rnnkit.nn.scan`, and a ``step`` for streaming).
- AWD-LSTM's regularisers (:mod:`rnnkit.nn.regularize`): :func:`weight_drop`,
  :class:`LockedDropout`, :func:`embedding_dropout`, :func:`activation_regularization`.
- :class:`SLSTM`: xLSTM's sLSTM (exponential gating, state ``(h, c, n, m)``), scratch only.
- :func:`recurrent` builds a layer by name; :func:`pack` packs a padded batch with checks.
"""

from .cells import GRUCell, LSTMCell, RNNCell
from .factory import KINDS, recurrent
from .jordan import Jordan, JordanCell
from .layers import BACKENDS, GRU, LSTM, RNN
from .mingru import MinGRU, MinLSTM
from .packing import check_lengths, pack, unpack
from .regularize import (
    LockedDropout,
    activation_regularization,
    embedding_dropout,
    weight_drop,
)
from .slstm import SLSTM
from .state import detach_state, final_hidden

__all__ = [
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "JordanCell",
    "RNN",
    "LSTM",
    "GRU",
    "Jordan",
    "MinGRU",
    "MinLSTM",
    "SLSTM",
    "BACKENDS",
    "KINDS",
    "recurrent",
    "pack",
    "unpack",
    "check_lengths",
    "detach_state",
    "final_hidden",
    "weight_drop",
    "LockedDropout",
    "embedding_dropout",
    "activation_regularization",
]
