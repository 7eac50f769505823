"""Recurrent cells and layers, from scratch and native, interchangeable with ``torch.nn``.

- Cells (one time step): :class:`RNNCell`, :class:`LSTMCell`, :class:`GRUCell`,
  :class:`JordanCell`.
- Layers (whole sequences, stacked, bidirectional, packed): :class:`RNN`, :class:`LSTM`,
  :class:`GRU` (``backend="native"`` or ``"scratch"``) and :class:`Jordan`.
- :class:`SLSTM`: xLSTM's sLSTM (exponential gating, state ``(h, c, n, m)``), scratch only.
- :func:`recurrent` builds a layer by name; :func:`pack` packs a padded batch with checks.
"""

from .cells import GRUCell, LSTMCell, RNNCell
from .factory import KINDS, recurrent
from .jordan import Jordan, JordanCell
from .layers import BACKENDS, GRU, LSTM, RNN
from .packing import check_lengths, pack, unpack
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
    "SLSTM",
    "BACKENDS",
    "KINDS",
    "recurrent",
    "pack",
    "unpack",
    "check_lengths",
    "detach_state",
    "final_hidden",
]
