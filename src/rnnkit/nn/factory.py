"""``recurrent(kind, ...)``: build any rnnkit recurrent layer by name."""

from __future__ import annotations

from torch import nn

from .jordan import Jordan
from .layers import GRU, LSTM, RNN
from .mingru import MinGRU, MinLSTM
from .slstm import SLSTM

KINDS: dict[str, type[nn.Module]] = {"rnn": RNN, "lstm": LSTM, "gru": GRU, "jordan": Jordan}
KINDS.update({"mingru": MinGRU, "minlstm": MinLSTM})  # one implementation: any backend
KINDS["slstm"] = SLSTM  # xLSTM's sLSTM: scratch only, like Jordan


def recurrent(kind: str, *, backend: str = "native", **kwargs) -> nn.Module:
    """Build a recurrent layer by ``kind``: one of :data:`KINDS` (``rnn``, ``lstm``, ``gru``,
    ``jordan``, ``mingru``, ``minlstm``, ``slstm``).

    ``kwargs`` are the layer's constructor arguments (``input_size``, ``hidden_size``,
    ``num_layers``, ...; Jordan also needs ``output_size``). Jordan has no native kernel, so
    for it ``backend="native"`` is refused with a message; pass ``backend="scratch"``. MinGRU
    and MinLSTM have one implementation, which both backends run.

    Example::

        >>> layer = recurrent("gru", input_size=8, hidden_size=16, batch_first=True)
        >>> type(layer).__name__, layer.backend
        ('GRU', 'native')
    """
    if not isinstance(kind, str) or kind.lower() not in KINDS:
        known = ", ".join(KINDS)
        raise ValueError(f"kind must be one of {known}, received {kind!r}")
    return KINDS[kind.lower()](backend=backend, **kwargs)
