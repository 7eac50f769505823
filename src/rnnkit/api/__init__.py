"""The Python doors of rnnkit, on the one engine and the one run folder:

- :func:`~rnnkit.api.fitting.fit` trains any task on files or Python objects
  (``rnnkit.fit``);
- :func:`~rnnkit.api.predictors.load` reads a run folder back as a predictor for its task
  (``rnnkit.load``);
- :func:`~rnnkit.api.runs.train_run` trains a config into a run folder with its report (the
  CLI's ``rnnkit train`` and the demos use it);
- :class:`~rnnkit.api.forecaster.Forecaster` is the forecasting facade (``rnnkit.Forecaster``).
"""

from rnnkit.api.fitting import fit
from rnnkit.api.predictors import load
from rnnkit.api.runs import train_run

__all__ = ["fit", "load", "train_run"]
