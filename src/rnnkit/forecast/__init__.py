"""Time-series forecasting: data, windows, scalers, recurrent models, baselines, backtests.

The entry point is :class:`~rnnkit.forecast.api.Forecaster`; ``rnnkit forecast`` is its
command line and ``task = "forecast"`` its engine task.
"""

from rnnkit.forecast.api import Forecaster
from rnnkit.forecast.config import ForecastData, ForecastModel
from rnnkit.forecast.data import SeriesSet, read, read_frame
from rnnkit.forecast.training import FitSettings

__all__ = [
    "Forecaster",
    "ForecastData",
    "ForecastModel",
    "FitSettings",
    "SeriesSet",
    "read",
    "read_frame",
]
