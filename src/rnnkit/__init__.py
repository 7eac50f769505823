"""rnnkit: recurrent neural networks from scratch and native, with a training engine and CLI."""

from rnnkit.version import __version__

__all__ = ["__version__"]
