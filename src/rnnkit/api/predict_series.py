"""Predictors of the series tasks: ``forecast`` (many series, H steps at once) and
``regress`` (one series, the next value after a window, repeated for longer horizons).

>>> fc = rnnkit.load("runs/forecast-airpassengers")                      # doctest: +SKIP
>>> fc.predict(horizon=12)              # after the run's own data: id, timestamp, step, value
>>> fc.predict(frame)                   # after other history (DataFrame, Series or CSV path)
>>> rnnkit.load("runs/fc-vs-rnn-rnn").predict(temperatures, horizon=7)   # step, timestamp, value
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rnnkit.api.predictors import RunPredictor
from rnnkit.data.csvseries import numeric_column, read_csv
from rnnkit.data.series import detect_freq
from rnnkit.errors import ConfigError, DataError, RunError
from rnnkit.tasks.forecast_predict import ForecastPredictor
from rnnkit.tasks.memory import numeric_values
from rnnkit.tasks.regress import FLOAT32_MAX


class ForecastRunPredictor(RunPredictor):
    """A trained ``forecast`` run (a network or a baseline)."""

    def __init__(self, loaded) -> None:
        super().__init__(loaded)
        self.forecaster: ForecastPredictor = loaded.task.predictor(loaded.model)

    @property
    def horizon(self) -> int:
        """H, the steps the model forecasts at once (the most :meth:`predict` gives)."""
        return self.forecaster.horizon

    def predict(self, data=None, *, horizon: int | None = None, future=None) -> pd.DataFrame:
        """Forecasts after the end of ``data`` (a DataFrame: long, wide or M4; a pandas
        Series; a CSV path) or, by default, of the run's own series, as a long frame
        ``id, timestamp, step, value`` (+ one ``q<level>`` column per quantile). ``horizon``
        (<= H) trims it; ``future`` gives the next values of known covariates."""
        return self.forecaster.predict(horizon, future, data)

    def predict_lines(self, lines: list[str]) -> list[str]:
        raise RunError(
            "task 'forecast' reads series, not lines: use `rnnkit forecast predict RUN` "
            "(or rnnkit.load(RUN).predict(data) in Python)"
        )


def _dates(data) -> pd.DatetimeIndex | None:
    """The timestamps of a series: a DatetimeIndex, or a DataFrame's first column of dates."""
    if isinstance(data.index, pd.DatetimeIndex):
        return data.index
    if isinstance(data, pd.DataFrame) and len(data.columns) > 1:
        first = data[data.columns[0]]
        if not pd.api.types.is_numeric_dtype(first):
            try:
                return pd.DatetimeIndex(pd.to_datetime(first))
            except (ValueError, TypeError):
                return None
    return None


class RegressPredictor(RunPredictor):
    """A trained ``regress`` run: it reads ``data.window`` values and predicts the next one."""

    @property
    def window(self) -> int:
        return self.config.data.window

    def next_values(self, windows: list[list[float]]) -> list[float]:
        """The predicted value after each window (each exactly ``window`` values)."""
        return self.task.next_values(self.model, windows)

    def predict(self, data, *, horizon: int = 1) -> pd.DataFrame:
        """The next ``horizon`` values after the end of ``data`` (a pandas Series, a
        DataFrame with the run's ``data.column`` or one value column, numbers, or a CSV
        path), each predicted from the last ``window`` values with the earlier predictions
        fed back. Columns ``step, value``, and ``timestamp`` when the data has dates (a
        DatetimeIndex, or a first column of dates) whose frequency can be told."""
        if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
            raise ConfigError(f"horizon must be a positive integer, received {horizon!r}")
        column = self.config.data.column
        if isinstance(data, (str, Path)):
            path, data = data, read_csv(data)
            _, values = numeric_column(data, column, path)
        else:
            _, values = numeric_values(data, "data", column)
        if len(values) < self.window:
            raise DataError(
                f"data has {len(values)} values; the model reads windows of {self.window}"
            )
        history = [float(v) for v in values[-self.window :]]
        with torch.no_grad():
            for _ in range(horizon):
                history.append(self.next_values([history[-self.window :]])[0])
        frame = pd.DataFrame({"step": np.arange(1, horizon + 1), "value": history[self.window :]})
        dates = _dates(data) if isinstance(data, (pd.Series, pd.DataFrame)) else None
        freq = detect_freq(dates) if dates is not None else None
        if freq:
            stamps = pd.date_range(dates[-1], periods=horizon + 1, freq=freq)[1:]
            frame.insert(1, "timestamp", stamps)
        return frame

    def predict_lines(self, lines: list[str]) -> list[str]:
        """Each line holds the last ``window`` values (comma or space separated); out comes
        the predicted next value."""
        rows = []
        for number, line in enumerate(lines, 1):
            try:
                values = [float(v) for v in line.replace(",", " ").split()]
            except ValueError:
                raise DataError(f"input line {number} is not a list of numbers: {line!r}") from None
            bad = [v for v in line.replace(",", " ").split() if not abs(float(v)) < FLOAT32_MAX]
            if bad:
                raise DataError(
                    f"input line {number} has a value that is not a finite float32 number: "
                    f"{bad[0]!r}"
                )
            if len(values) < self.window:
                raise DataError(
                    f"input line {number} has {len(values)} values; the model reads windows "
                    f"of {self.window}"
                )
            rows.append(values[-self.window :])
        return [f"{v:.4f}" for v in self.next_values(rows)]


__all__ = ["ForecastRunPredictor", "RegressPredictor"]
