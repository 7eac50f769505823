"""rnnkit's exceptions. Each is also a ValueError, so callers may catch either."""

from __future__ import annotations


class RnnkitError(ValueError):
    """Bad input detected by rnnkit: the message names the problem and how to fix it."""


class ConfigError(RnnkitError):
    """A config file or ``--set`` override is wrong (unknown key, wrong type, bad value)."""


class DataError(RnnkitError):
    """A data file is missing, empty or malformed."""


class NonFiniteLossError(RuntimeError):
    """Training produced a NaN or infinite loss; the last good checkpoint is kept."""
