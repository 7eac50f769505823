"""The Python doors of rnnkit: one call trains any config into a run folder (the CLI's
``rnnkit train`` and the demos use it too), and per-task facades such as
:class:`~rnnkit.api.forecaster.Forecaster` sit on the same engine and run folders."""

from rnnkit.api.runs import train_run

__all__ = ["train_run"]
