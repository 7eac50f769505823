"""rnnkit: recurrent neural networks from scratch and native, with a training engine and CLI."""

__version__ = "0.1.0"
