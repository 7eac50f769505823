"""Task models. Each keeps one contract per family (see the module docstrings)."""

from rnnkit.models.common import recurrent_from_config
from rnnkit.models.sequence import FullyConnected, SequenceRegressor

__all__ = ["recurrent_from_config", "SequenceRegressor", "FullyConnected"]
