"""Task ``forecast``'s ``[data]`` section, and the data prepared from it once.

The window vocabulary is the whole of it: a model reads the last ``input_length`` (L) values
and emits the next ``horizon`` (H) values. Training windows slide by ``stride``. Every series
holds out its last ``test_size`` points (default H) for the test and the ``validation_size``
points before them (default H) for validation; training windows end before both, and the
scaler sees only the training rows.

:func:`resolve` fills the automatic settings (season from the frequency, ``input_length`` =
2 max(H, m) rounded up to a whole number of SegRNN segments, test and validation parts of one
horizon each) so that a saved config holds concrete numbers. :class:`Prepared` fits the scaler
on the training rows only, builds the feature matrix, flattens everything into tensors and
cuts the windows; prediction reuses its tensors without touching pandas.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import torch

from rnnkit.config import IN_MEMORY, NON_NEGATIVE, POSITIVE, DataConfig, Range, TrainConfig
from rnnkit.data.calendar import calendar, calendar_names, series_features
from rnnkit.data.csvseries import DECIMALS
from rnnkit.data.scaling import SCALERS, SeriesScaler
from rnnkit.data.seasonality import detect_season
from rnnkit.data.series import FILLS, SeriesSet, check_lengths, to_series
from rnnkit.data.windows import FlatSeries, WindowIndex, split_windows
from rnnkit.errors import ConfigError, DataError
from rnnkit.models.forecasting import ForecastModel


@dataclass
class ForecastData(DataConfig):
    format: str = "auto"  # auto: long, wide (date + numeric columns), M4 or ETT (data.series)
    horizon: int = 24  # H, steps forecast at once
    input_length: int = 0  # L, steps the model reads (0 = 2 * max(H, season), whole segments)
    stride: int = 1  # step between consecutive training windows
    season: int = 0  # seasonal period m for MASE and seasonal baselines (0 = from the
    # timestamps' frequency, else detected from the autocorrelations: data.seasonality)
    test_size: int = -1  # points held out at the end of each series (-1 = horizon, 0 = none)
    validation_size: int = -1  # points before the test part for validation (-1 = horizon)
    scaler: str = "auto"  # per-series: standard | minmax | robust | meanabs | none | auto
    # (auto: chosen on validation by model.kind = "auto", else standard)
    log: bool | None = None  # scale log(x) (positive data; relative errors, as sMAPE); unset:
    # chosen on validation by model.kind = "auto", else no log
    fill: str = ""  # missing values (empty cells): "" = error | interpolate | ffill (never inf)
    decimal: str = "."  # decimal mark of the CSV files: "." | "," (then ";" or tab separated)
    skip_short: bool = False  # drop (with a warning) series too short for L + H, else error
    calendar: bool = False  # add calendar features (hour, weekday, month...) as known inputs
    max_train_windows: int = 0  # keep only the most recent N windows per series (0 = all)
    known_covariates: list[str] = field(default_factory=list)  # columns known in the future
    past_covariates: list[str] = field(default_factory=list)  # columns known only up to now

    choices: ClassVar[dict[str, tuple]] = {
        "fill": FILLS,
        "scaler": SCALERS + ("auto",),
        "decimal": DECIMALS,
    }
    ranges: ClassVar[dict[str, Range]] = {
        **dict.fromkeys(("horizon", "stride"), POSITIVE),
        **dict.fromkeys(("input_length", "season", "max_train_windows"), NON_NEGATIVE),
        **dict.fromkeys(("test_size", "validation_size"), Range(-1)),  # -1: automatic
    }


@dataclass
class ForecastTrain(TrainConfig):
    """Forecasting's training defaults: small models over many windows."""

    batch_size: int = 64  # windows per step
    schedule: str = "cosine"  # decay over the whole budget...
    min_lr: float = 1e-5  # ...to lr / 100
    default_epochs = 20  # passes over the training windows when neither budget is set


def read_series(data, section: ForecastData) -> SeriesSet:
    """``data`` (a DataFrame, a CSV path, ``rnnkit:NAME`` or a SeriesSet) read with the
    section's ``fill`` and ``decimal``."""
    return to_series(data, section.fill, section.decimal)


def resolve(
    data: ForecastData, model: ForecastModel, series: SeriesSet | None
) -> tuple[ForecastData, ForecastModel]:
    """Copies of the sections with every automatic value made concrete (needs ``series``
    the first time; a resolved config is returned unchanged)."""
    data, model = dataclasses.replace(data), dataclasses.replace(model)
    if model.kind == "auto":
        raise ConfigError(
            'model.kind "auto" chooses among settings and trains several runs: train it with '
            "rnnkit train, rnnkit forecast train or Forecaster(...).fit, not as one task"
        )
    data.log = bool(data.log)
    data.scaler = "standard" if data.scaler == "auto" else data.scaler
    for name in ("horizon", "stride"):
        if getattr(data, name) < 1:
            raise ConfigError(
                f"data.{name} must be a positive integer, received {getattr(data, name)}"
            )
    if data.season == 0:  # the timestamps' frequency, else the autocorrelations
        data.season = (series.season(0) or detect_season(series.values)) if series else 1
    H, m = data.horizon, data.season
    if data.test_size < 0:
        data.test_size = H
    if data.validation_size < 0:
        data.validation_size = H
    for name in ("test_size", "validation_size"):
        size = getattr(data, name)
        if size and size % H:
            raise ConfigError(
                f"data.{name} must be 0 or a multiple of horizon={H}, received {size}"
            )
    if model.kind == "segrnn" and model.segment_length == 0:
        model.segment_length = m if 1 < m <= 48 else 12
    if data.input_length == 0:
        data.input_length = _input_length(data, model, series)
    return data, model


def _input_length(data: ForecastData, model: ForecastModel, series: SeriesSet | None) -> int:
    """L = 2 max(H, m) in whole SegRNN segments, shortened (in whole segments) when the
    shortest series cannot hold L + H + the held-out parts."""
    W = model.segment_length if model.kind == "segrnn" else 1
    L = math.ceil(2 * max(data.horizon, data.season) / W) * W
    if series is not None and len(series):
        held = max(0, data.test_size) + max(0, data.validation_size)
        room = min(series.lengths) - held - data.horizon  # the longest L every series allows
        if W <= room < L:
            L = room // W * W
    return L


class Prepared:
    """Scaled series as tensors, features, and the train/validation/test windows.

    Attributes: ``series`` (raw), ``scaler``, ``flat`` (:class:`FlatSeries` of the scaled
    full series and features), ``windows`` (dict of :class:`WindowIndex`), ``L``, ``H``,
    ``m``, ``feature_names`` and ``future_mask`` ``(F,)`` (0 for past-only covariates).
    ``state`` is a previous :meth:`state` (prediction: reuse the fitted scaling).
    """

    def __init__(
        self,
        series: SeriesSet,
        data: ForecastData,
        needs_windows: bool = True,
        state: dict | None = None,
    ) -> None:
        self.data = data
        self.L, self.H, self.m = data.input_length, data.horizon, data.season
        self.test, self.val = data.test_size, data.validation_size
        held = self.test + self.val
        if needs_windows:
            need, what = self.L + self.H + held, "input_length + horizon + held-out points"
        else:
            need, what = max(held + 2, self.m + held + 1), "the held-out points + season"
        self.series = check_lengths(series, need, data.skip_short, what)
        self._features_setup()
        train_rows = [v[: len(v) - held] for v in self.series.values]
        if state is None:
            self._fit_scaling(train_rows, held)
        else:
            self.scaler = SeriesScaler.from_state(state["scaler"])
            self.cov_loc, self.cov_scale = state["cov_loc"], state["cov_scale"]
        scaled = [self.scaler.transform(v, i) for i, v in enumerate(self.series.values)]
        self._check_float32(scaled)
        self.flat = FlatSeries(scaled, self._features())
        self.windows = {}
        if needs_windows:
            self.windows = split_windows(
                self.series.lengths,
                self.L,
                self.H,
                self.test,
                self.val,
                data.stride,
                data.max_train_windows,
            )

    def _check_float32(self, scaled: list[np.ndarray]) -> None:
        """The networks compute in float32: a scaled value beyond its range would be inf."""
        limit = float(np.finfo(np.float32).max)
        for sid, z, raw in zip(self.series.ids, scaled, self.series.values):
            if not np.isfinite(z).all() or np.abs(z).max(initial=0) >= limit:
                i = int(np.argmax(~np.isfinite(z) | (np.abs(z) >= limit)))
                raise DataError(
                    f"series {sid!r} has the value {raw[i]:g} at position {i}, too large for "
                    f"the networks' float32 after scaling (data.scaler = {self.data.scaler!r})"
                )

    def _features_setup(self) -> None:
        data = self.data
        covs = list(data.known_covariates) + list(data.past_covariates)
        missing = [c for c in covs if c not in self.series.covariates]
        if missing:
            have = ", ".join(self.series.covariates) or "none"
            raise DataError(
                f"covariate columns not in the data: {', '.join(missing)} "
                f"(covariate columns found: {have})"
            )
        self.covariates = covs
        self.calendar = calendar_names(self.series.freq) if data.calendar else []
        if data.calendar and not self.calendar:
            raise DataError("calendar=True needs timestamps with a detectable frequency")
        self.feature_names = self.calendar + covs
        self.future_mask = torch.tensor(
            [0.0 if c in data.past_covariates else 1.0 for c in self.feature_names]
        )

    def _fit_scaling(self, train_rows: list[np.ndarray], held: int) -> None:
        scaler = SeriesScaler(self.data.scaler, self.data.log)
        self.scaler = scaler.fit(train_rows, self.series.ids)
        self.cov_loc, self.cov_scale = {}, {}
        for c in self.covariates:
            rows = np.concatenate([v[: len(v) - held] for v in self.series.covariates[c]])
            self.cov_loc[c], self.cov_scale[c] = float(rows.mean()), float(rows.std()) or 1.0

    def _features(self) -> list[np.ndarray] | None:
        if not self.feature_names:
            return None
        return [
            series_features(
                self.series.timestamps[i],
                {c: self.series.covariates[c][i] for c in self.covariates},
                self.calendar,
                self.cov_loc,
                self.cov_scale,
            )
            for i in range(len(self.series))
        ]

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def state(self) -> dict:
        """What prediction needs to scale new data the same way (JSON-serialisable)."""
        return {
            "scaler": self.scaler.state_dict(),
            "cov_loc": self.cov_loc,
            "cov_scale": self.cov_scale,
        }

    def batch(self, index: WindowIndex, rows=slice(None)) -> dict:
        """The windows ``index[rows]`` as one batch (past-only covariates zeroed in ``future``)."""
        out = self.flat.gather(index, rows, self.L, self.H)
        if "future" in out:
            out["future"] = out["future"] * self.future_mask
        return out

    def last_windows(self, future_covariates: dict[str, np.ndarray] | None = None) -> dict:
        """Inputs for forecasting after the end of every series: ``x`` (S, L), ``ids``, and
        with features ``past`` (S, L, F) and ``future`` (S, H, F)."""
        S, L = len(self.series), self.L
        ends = self.flat.offsets + self.flat.lengths
        pos = torch.from_numpy(ends)[:, None] + torch.arange(-L, 0)
        out = {"x": self.flat.values[pos], "ids": torch.arange(S)}
        if self.flat.features is not None:
            out["past"] = self.flat.features[pos]
            out["future"] = torch.from_numpy(self._future_features(future_covariates))
            out["future"] = out["future"] * self.future_mask
        return out

    def _future_features(self, future_covariates) -> np.ndarray:
        """Known features of the H steps after every series, ``(S, H, F)`` float32."""
        S, H = len(self.series), self.H
        fut = np.zeros((S, H, self.n_features))
        for i in range(S):
            if self.calendar:
                stamps = self.series.future_timestamps(i, H)
                fut[i, :, : len(self.calendar)] = calendar(stamps, self.calendar)
            for j, c in enumerate(self.data.known_covariates):
                if future_covariates is None or c not in future_covariates:
                    raise DataError(
                        f"known covariate {c!r} needs its next {H} values: pass future=... "
                        f"to predict"
                    )
                vals = np.asarray(future_covariates[c][i], dtype=np.float64)[:H]
                k = len(self.calendar) + j
                fut[i, :, k] = (vals - self.cov_loc[c]) / self.cov_scale[c]
        return fut.astype(np.float32)


__all__ = ["ForecastData", "ForecastTrain", "Prepared", "read_series", "resolve", "IN_MEMORY"]
