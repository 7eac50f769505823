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
from rnnkit.models.forecasting.baselines import Baseline
from rnnkit.models.forecasting.likelihood import LIKELIHOODS
from rnnkit.tasks import forecast_calibration as calibration
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


SAMPLE_LEVELS = (0.025, 0.1, 0.5, 0.9, 0.975)  # likelihood models: quantiles of the paths


class ForecastPredictor:
    """Forecasts after the end of the prepared series, in data units.

    ``model``: a forecasting network in eval mode, or a baseline; ``prepared``: the series,
    scaler and windows; ``data``/``net``: the resolved ``[data]`` and ``[model]`` sections.
    """

    def __init__(
        self,
        model,
        prepared: Prepared,
        data: ForecastData,
        net: ForecastModel,
        calibration: dict | None = None,
    ) -> None:
        self.model, self.prepared, self.data, self.net = model, prepared, data, net
        self.calibration = calibration  # conformal intervals (tasks.forecast_calibration)
        self.sample_seed = 0  # likelihood models: the seed of their sample paths
        self.stream_state: list | None = None  # stateful kind: one carried state per series
        self.stream_forecast: np.ndarray | None = None
        if net.kind == "stateful":
            self.warm_state()

    @property
    def horizon(self) -> int:
        return self.data.horizon

    @property
    def quantiles(self) -> list[float]:
        """The quantile levels of the outputs: the quantile loss's, the sample quantiles of a
        likelihood model, or none (a point forecast, with calibrated intervals)."""
        if self.net.loss in LIKELIHOODS:
            return list(self.net.quantiles) or list(SAMPLE_LEVELS)
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
        """Data-unit forecasts ``(N, H, Q)`` for a batch of windows (a likelihood model's:
        quantiles of its sample paths)."""
        if self.net.loss in LIKELIHOODS:
            paths = self.sample_paths(batch)  # (K, N, H)
            return np.moveaxis(np.quantile(paths, self.quantiles, axis=0), 0, -1)
        with torch.inference_mode():
            out, _ = self.model(
                batch["x"], None, batch["ids"], batch.get("past"), batch.get("future")
            )
        ids = batch["ids"].numpy()
        return self.prepared.scaler.inverse(out.numpy().astype(np.float64), ids)

    def sample_paths(self, batch: dict | None = None, num_samples: int | None = None):
        """Sample paths ``(K, N, H)`` in data units of a likelihood model (DeepAR's ancestral
        sampling), by default after the end of every series; reproducible (seed
        ``train.seed`` of the run, torch's global generator left as it was)."""
        batch = batch if batch is not None else self.prepared.last_windows(None)
        K = num_samples or self.net.num_samples
        with torch.random.fork_rng(), torch.inference_mode():
            torch.manual_seed(self.sample_seed)
            paths = self.model.sample(
                batch["x"], K, batch["ids"], batch.get("past"), batch.get("future")
            )  # (K, N, H) in the prepared (scaled) space
        ids = np.tile(batch["ids"].numpy(), K)
        flat = paths.reshape(K * len(batch["x"]), -1).numpy().astype(np.float64)
        return self.prepared.scaler.inverse(flat, ids).reshape(paths.shape)

    def forecast_array(self, future_covariates: dict | None = None) -> np.ndarray:
        """Forecasts after the end of every series, ``(S, H, Q)`` in data units."""
        if self.net.is_baseline:
            return self.model.forecast(self.prepared.series.values)
        if self.net.kind == "stateful":
            return self.stream_forecast
        return self.network_forecast(self.prepared.last_windows(future_covariates))

    # ---- frames -------------------------------------------------------------------------
    def predict(
        self, horizon: int | None = None, future=None, data=None, frame: str = "long"
    ) -> pd.DataFrame:
        """Forecasts after the end of the data as a long frame: ``id, timestamp, step,
        value`` and one ``q<level>`` column per quantile (the model's, or the calibrated
        intervals' levels). ``horizon`` (default H) may exceed H: the model's own point
        forecasts are then fed back, H steps at a time, and the intervals widen. ``future``
        gives the next values of known covariates (long: id, timestamp, ...); ``data``
        forecasts after other history (DataFrame, Series, CSV path or SeriesSet).
        ``frame="nixtla"`` gives NeuralForecast's ``unique_id, ds, <model>[-lo-80...]``."""
        if data is not None:
            view = self.view(read_series(series_frame(data), self.data))
            return view.predict(horizon, future, frame=frame)
        if frame not in ("long", "nixtla"):
            raise ConfigError(f"frame must be 'long' or 'nixtla', received {frame!r}")
        n = self.horizon if horizon is None else self.check_horizon(horizon)
        point, bands = self.forecast(n, future)
        return self.frame(point, bands, frame)

    def forecast(self, n: int, future=None) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        """The point forecast ``(S, n)`` and the quantile bands ``{level: (S, n)}``."""
        f = self.recursive(n, self.future_covariates(future))
        point = f[..., self.point_index]
        if self.quantiles:
            return point, {q: f[..., k] for k, q in enumerate(self.quantiles)}
        if self.calibration is None:
            return point, {}
        m = self.data.season
        scales = calibration.scales_of(self.prepared.series.values, m)
        bands = calibration.intervals(self.calibration, point, scales)
        return point, {q: bands[..., k] for k, q in enumerate(self.calibration["levels"])}

    def recursive(self, n: int, future_covariates: dict | None) -> np.ndarray:
        """``(S, n, Q)``: H steps at a time, each block forecast after the history extended by
        the previous blocks' point forecasts; block b's quantile offsets widen by
        ``sqrt(b + 1)`` (a random-walk growth of the fed-back uncertainty)."""
        H = self.horizon
        if n <= H:
            return self.forecast_array(future_covariates)[:, :n]
        if self.net.is_baseline:
            return Baseline(self.net.kind, n, self.data.season).forecast(
                self.prepared.series.values
            )
        if self.data.known_covariates:
            raise ConfigError(
                f"horizon {n} is past the trained H = {H} and the model reads known "
                f"covariates: forecast at most {H} steps, or train with a longer horizon"
            )
        view, blocks = self, []
        for b in range(-(-n // H)):
            f = view.forecast_array()
            point = f[..., self.point_index : self.point_index + 1]
            blocks.append(point + (f - point) * np.sqrt(b + 1))
            view = view.view(extended(view.prepared.series, point[..., 0]))
        return np.concatenate(blocks, 1)[:, :n]

    def check_horizon(self, horizon) -> int:
        """``horizon`` as a positive int (past the trained H: forecast recursively), or a
        ConfigError naming what was received."""
        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
            raise ConfigError(
                f"horizon must be a positive integer, received {horizon!r} "
                f"({type(horizon).__name__})"
            )
        if horizon < 1:
            raise ConfigError(f"horizon must be a positive integer, received {horizon}")
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

    def frame(self, point: np.ndarray, bands: dict, style: str = "long") -> pd.DataFrame:
        """The long frame of ``point`` ``(S, n)`` and ``bands`` ``{level: (S, n)}``."""
        series, (S, n) = self.prepared.series, point.shape
        stamps = []
        for i in range(S):
            stamps.extend(series.future_timestamps(i, n))
        ids = np.repeat(np.asarray(series.ids, dtype=object), n)
        if style == "nixtla":
            name = self.net.kind
            columns = {"unique_id": ids, "ds": stamps, name: point.reshape(-1)}
            for q, values in bands.items():
                columns[nixtla_name(name, q)] = values.reshape(-1)
            return pd.DataFrame(columns)
        columns = {"id": ids, "timestamp": stamps, "step": np.tile(np.arange(1, n + 1), S)}
        columns["value"] = point.reshape(-1)
        for q, values in bands.items():
            columns[f"q{q:g}"] = values.reshape(-1)
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
        return ForecastPredictor(self.model, prepared, data, self.net, self.calibration)

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


def extended(series: SeriesSet, values: np.ndarray) -> SeriesSet:
    """Every series continued by the rows of ``values`` ``(S, k)``, timestamps extended at
    the series' frequency (covariates are not: recursion refuses models that read them)."""
    stamps = [
        None
        if t is None or series.freq is None
        else t.append(pd.DatetimeIndex(series.future_timestamps(i, values.shape[1])))
        for i, t in enumerate(series.timestamps)
    ]
    joined = [np.concatenate([v, np.asarray(x, np.float64)]) for v, x in zip(series.values, values)]
    return SeriesSet(list(series.ids), joined, stamps, series.freq)


def nixtla_name(model: str, q: float) -> str:
    """NeuralForecast's column name of quantile ``q``: ``<model>-lo-80`` for 0.1,
    ``<model>-hi-95`` for 0.975, ``<model>-median`` for 0.5."""
    if abs(q - 0.5) < 1e-9:
        return f"{model}-median"
    level = round(abs(1 - 2 * q) * 100, 4)
    return f"{model}-{'lo' if q < 0.5 else 'hi'}-{level:g}"


__all__ = ["ForecastPredictor", "nixtla_name", "series_frame", "SAMPLE_LEVELS"]
