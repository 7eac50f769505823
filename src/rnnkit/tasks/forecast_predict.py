"""Forecasting with a trained model: the numbers, the long frame, other histories, streaming.

:class:`ForecastPredictor` pairs a model (a network or a baseline) with the prepared data it
was trained on. Every door uses it: the task's ``predictions.csv`` and ``evaluate``, ``rnnkit
forecast predict``, and :class:`rnnkit.forecast.Forecaster`. Scores and backtests are in
:mod:`rnnkit.tasks.forecast_eval`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch

from rnnkit.data.series import SeriesSet, check_lengths
from rnnkit.errors import ConfigError, DataError, RnnkitError
from rnnkit.models.forecasting import ForecastModel
from rnnkit.tasks.forecast_data import ForecastData, Prepared, read_series


def series_frame(data):
    """A pandas Series as the wide frame the readers take (its index as the ``timestamp``
    column when it holds dates); anything else unchanged."""
    if not isinstance(data, pd.Series):
        return data
    name = str(data.name) if data.name is not None else "value"
    frame = data.rename(name).to_frame()
    if isinstance(data.index, pd.DatetimeIndex):
        return frame.rename_axis("timestamp").reset_index()
    return frame.reset_index(drop=True)


class ForecastPredictor:
    """Forecasts after the end of the prepared series, in data units.

    ``model``: a forecasting network in eval mode, or a baseline; ``prepared``: the series,
    scaler and windows; ``data``/``net``: the resolved ``[data]`` and ``[model]`` sections.
    """

    def __init__(self, model, prepared: Prepared, data: ForecastData, net: ForecastModel) -> None:
        self.model, self.prepared, self.data, self.net = model, prepared, data, net
        self.stream_state: list | None = None  # stateful kind: one carried state per series
        self.stream_forecast: np.ndarray | None = None
        if net.kind == "stateful":
            self.warm_state()

    @property
    def horizon(self) -> int:
        return self.data.horizon

    @property
    def quantiles(self) -> list[float]:
        """The quantile levels of the outputs (none for a baseline: one point forecast)."""
        if self.net.loss != "quantile" or self.net.is_baseline:
            return []
        return list(self.net.quantiles)

    @property
    def point_index(self) -> int:
        """Which output is the point forecast: the only one, or the quantile nearest 0.5."""
        qs = self.quantiles
        return int(np.argmin([abs(q - 0.5) for q in qs])) if qs else 0

    # ---- numbers ------------------------------------------------------------------------
    def network_forecast(self, batch: dict) -> np.ndarray:
        """Data-unit forecasts ``(N, H, Q)`` for a batch of windows."""
        with torch.inference_mode():
            out, _ = self.model(
                batch["x"], None, batch["ids"], batch.get("past"), batch.get("future")
            )
        ids = batch["ids"].numpy()
        return self.prepared.scaler.inverse(out.numpy().astype(np.float64), ids)

    def forecast_array(self, future_covariates: dict | None = None) -> np.ndarray:
        """Forecasts after the end of every series, ``(S, H, Q)`` in data units."""
        if self.net.is_baseline:
            return self.model.forecast(self.prepared.series.values)
        if self.net.kind == "stateful":
            return self.stream_forecast
        return self.network_forecast(self.prepared.last_windows(future_covariates))

    # ---- frames -------------------------------------------------------------------------
    def predict(self, horizon: int | None = None, future=None, data=None) -> pd.DataFrame:
        """Forecasts after the end of the data as a long frame: ``id, timestamp, step,
        value`` and one ``q<quantile>`` column per quantile. ``horizon`` <= H trims them;
        ``future`` gives the next values of known covariates (long: id, timestamp, ...);
        ``data`` forecasts after other history (DataFrame, CSV path or SeriesSet)."""
        if data is not None:
            return self.view(read_series(series_frame(data), self.data)).predict(horizon, future)
        horizon = self.horizon if horizon is None else self.check_horizon(horizon)
        f = self.forecast_array(self.future_covariates(future))[:, :horizon]
        return self.frame(f, horizon)

    def check_horizon(self, horizon) -> int:
        """``horizon`` as an int in 1..H, or a ConfigError naming what was received."""
        H = self.horizon
        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
            raise ConfigError(
                f"horizon must be an integer in 1..{H} (the trained H), received {horizon!r} "
                f"({type(horizon).__name__})"
            )
        if horizon < 1:
            raise ConfigError(f"horizon must be in 1..{H} (the trained H), received {horizon}")
        if horizon > H:
            raise ConfigError(
                f"horizon must be in 1..{H} (the trained H), received {horizon}; train with a "
                f"longer horizon to forecast further"
            )
        return int(horizon)

    def future_covariates(self, future) -> dict | None:
        """``future`` (a long frame of known covariates) as ``{column: [(H,) per series]}``."""
        if future is None:
            return None
        series = read_series(future, self.data)
        order = {sid: i for i, sid in enumerate(series.ids)}
        missing = [s for s in self.prepared.series.ids if s not in order]
        if missing:
            raise DataError(f"future has no rows for series {missing[:5]}")
        return {
            c: [series.covariates[c][order[s]] for s in self.prepared.series.ids]
            for c in series.covariates
        }

    def frame(self, f: np.ndarray, horizon: int) -> pd.DataFrame:
        """The long forecast frame of ``f`` ``(S, >=horizon, Q)``, built column-wise."""
        series = self.prepared.series
        S = len(series)
        stamps = []
        for i in range(S):
            stamps.extend(series.future_timestamps(i, horizon))
        columns = {
            "id": np.repeat(np.asarray(series.ids, dtype=object), horizon),
            "timestamp": stamps,
            "step": np.tile(np.arange(1, horizon + 1), S),
            "value": f[:, :horizon, self.point_index].reshape(-1),
        }
        for k, q in enumerate(self.quantiles):
            columns[f"q{q:g}"] = f[:, :horizon, k].reshape(-1)
        return pd.DataFrame(columns)

    # ---- other histories ------------------------------------------------------------------
    def view(self, series: SeriesSet) -> ForecastPredictor:
        """This predictor looking at other history (same weights; the fitted scaling when the
        series are the training ones, else refit on the new series' own rows)."""
        if not self.net.is_baseline and self.net.kind != "stateful":
            check_lengths(series, self.data.input_length, what="input_length")
        data = dataclasses.replace(self.data, test_size=0, validation_size=0, skip_short=False)
        own = series.ids == self.prepared.series.ids and not self.net.is_baseline
        state = self.prepared.state() if own else None
        prepared = Prepared(series, data, needs_windows=False, state=state)
        return ForecastPredictor(self.model, prepared, data, self.net)

    # ---- the stateful forecaster ----------------------------------------------------------
    def warm_state(self) -> None:
        """Stateful kind: read each whole history once; keep the states and the forecasts."""
        flat = self.prepared.flat
        outs, states = [], []
        for i in range(len(self.prepared.series)):  # different lengths: each from a zero state
            lo, n = flat.offsets[i], flat.lengths[i]
            z = flat.values[lo : lo + n].unsqueeze(0)
            feats = None if flat.features is None else flat.features[lo : lo + n].unsqueeze(0)
            f, st = self.advance(z, None, torch.tensor([i]), feats)
            outs.append(f)
            states.append(st)
        self.stream_state, self.stream_forecast = states, np.concatenate(outs)

    def advance(self, z, state, ids, feats):
        """Run the stateful network over ``z`` ``(1, T)`` from ``state``: the data-unit
        forecast ``(1, H, Q)`` after the last step and the new state."""
        with torch.inference_mode():
            every, state = self.model.step(z, state, ids, feats)
        f = self.prepared.scaler.inverse(every[:, -1].numpy().astype(np.float64), ids.numpy())
        return f, state

    def update(self, new_values: dict[str, list[float]]) -> pd.DataFrame:
        """Stateful kind: append new observations ``{id: [values...]}``, advance the carried
        state over them only, and return the new forecasts of every series (as predict)."""
        if self.net.kind != "stateful":
            raise RnnkitError(
                f"update needs model 'stateful', this forecaster is {self.net.kind!r}; "
                f"call predict(data=...) instead"
            )
        if self.prepared.n_features:
            raise RnnkitError(
                "update does not take covariates yet: train the stateful model without "
                "calendar or covariates to stream it"
            )
        if not isinstance(new_values, Mapping):
            raise ConfigError(
                f"update takes a dict {{id: [new values]}}, received {type(new_values).__name__}"
            )
        index = {sid: i for i, sid in enumerate(self.prepared.series.ids)}
        checked = {}
        for sid, values in new_values.items():
            if sid not in index:
                known = ", ".join(map(repr, list(index)[:5])) + (", ..." if len(index) > 5 else "")
                raise DataError(f"update: unknown series {sid!r}; known: {known}")
            checked[sid] = _new_values(sid, values)
        for sid, raw in checked.items():  # all checked before any state moves
            self._append(index[sid], raw)
        return self.predict()

    def _append(self, i: int, raw: np.ndarray) -> None:
        z = torch.from_numpy(self.prepared.scaler.transform(raw, i).astype(np.float32))
        f, self.stream_state[i] = self.advance(
            z[None], self.stream_state[i], torch.tensor([i]), None
        )
        self.stream_forecast[i] = f[0]
        series = self.prepared.series
        series.values[i] = np.concatenate([series.values[i], raw])
        if series.timestamps[i] is not None and series.freq:
            extra = pd.date_range(series.timestamps[i][-1], periods=len(raw) + 1, freq=series.freq)
            series.timestamps[i] = series.timestamps[i].append(extra[1:])


def _new_values(sid: str, values) -> np.ndarray:
    """The new observations of series ``sid`` as ``(n,)`` float64: numbers, finite, n >= 1."""
    shown = repr(values) if len(repr(values)) <= 60 else repr(values)[:57] + "..."
    try:
        raw = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raw = None
    if raw is None or raw.ndim != 1 or not len(raw):
        raise DataError(
            f"update: series {sid!r} needs a non-empty list of numbers, received {shown}"
        )
    bad = ~np.isfinite(raw)
    if bad.any():
        first = int(np.argmax(bad))
        raise DataError(
            f"update: series {sid!r} has a value that is not a finite number at position "
            f"{first}: {raw[first]}"
        )
    return raw


__all__ = ["ForecastPredictor", "series_frame"]
