"""Time-series forecasting: the public names in one place (re-exported from their layers).

The entry point is :class:`Forecaster` (``rnnkit.api.forecaster``); ``rnnkit forecast`` is
its command line and ``task = "forecast"`` its engine task (``rnnkit.tasks.forecast``). Data
readers are in ``rnnkit.data.series``, the networks and baselines in
``rnnkit.models.forecasting``.
"""

from rnnkit.api.forecaster import Forecaster
from rnnkit.data.series import SeriesSet, read, read_frame, to_series
from rnnkit.models.forecasting import KINDS, ForecastModel
from rnnkit.models.forecasting import baselines as baselines
from rnnkit.tasks.forecast_data import ForecastData, ForecastTrain
from rnnkit.tasks.forecast_predict import ForecastPredictor

__all__ = [
    "Forecaster",
    "ForecastData",
    "ForecastModel",
    "ForecastTrain",
    "ForecastPredictor",
    "KINDS",
    "SeriesSet",
    "baselines",
    "read",
    "read_frame",
    "to_series",
]
