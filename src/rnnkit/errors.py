"""rnnkit's exceptions: one taxonomy under :class:`RnnkitError`.

Every failure caused by what a user gave (a config, a data file, a run folder, an argument)
is an :class:`RnnkitError` whose message names the argument or file, what was expected and
what was received. The command line turns exactly these into one line on stderr and exit
code 2; any other exception is a bug, exit code 1, with the traceback written to a file.
Each is also a ``ValueError``, so library callers may catch either.
"""

from __future__ import annotations


class RnnkitError(ValueError):
    """Bad input detected by rnnkit: the message names the problem and how to fix it."""


class ConfigError(RnnkitError):
    """A config value, ``--set`` override, flag or argument is wrong (unknown key, wrong type,
    out of range, or a combination that cannot work)."""


class DataError(RnnkitError):
    """A data file or object is missing, empty or malformed, or does not fit the model."""


class CheckpointError(RnnkitError):
    """A file of a run folder (checkpoint, its metadata, an artifact such as a vocabulary) is
    missing, unreadable, corrupt or does not fit the model the config describes."""


class RunError(RnnkitError):
    """A run folder cannot be used as asked: not a run, already holds a run, locked by
    another process, or a feature the run's task does not offer."""


class NonFiniteLossError(RuntimeError):
    """Training produced a NaN or infinite loss; the last good checkpoint is kept."""


__all__ = [
    "RnnkitError",
    "ConfigError",
    "DataError",
    "CheckpointError",
    "RunError",
    "NonFiniteLossError",
]
