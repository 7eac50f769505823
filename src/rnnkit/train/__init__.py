"""The training engine: :func:`fit` runs one readable loop and leaves a run folder."""

from rnnkit.train.loop import FitResult, LoopState, Trainer, fit
from rnnkit.train.run import MetricsLog, RunDir, read_metrics

__all__ = ["fit", "Trainer", "FitResult", "LoopState", "RunDir", "MetricsLog", "read_metrics"]
