"""From a :class:`SeriesSet` and the settings to scaled tensors and windows, once.

:func:`resolve` fills the automatic settings (season from the frequency, ``input_length`` =
2 max(H, m) rounded up to a whole number of SegRNN segments, test and validation parts of
one horizon each) so that a saved config holds concrete numbers. :class:`Prepared` fits the
scaler on the training rows only, builds the feature matrix, flattens everything into
tensors and cuts the windows; prediction reuses its tensors without touching pandas.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from rnnkit.errors import ConfigError, DataError
from rnnkit.forecast.config import ForecastData, ForecastModel
from rnnkit.forecast.data import SeriesSet, check_lengths
from rnnkit.forecast.features import calendar, calendar_names, series_features
from rnnkit.forecast.scaling import SeriesScaler
from rnnkit.forecast.windows import FlatSeries, WindowIndex, split_windows


def resolve(
    data: ForecastData, model: ForecastModel, series: SeriesSet | None, baseline: bool = False
) -> tuple[ForecastData, ForecastModel]:
    """Copies of the configs with every automatic value made concrete (needs ``series``
    the first time; a resolved config is returned unchanged)."""
    data, model = dataclasses.replace(data), dataclasses.replace(model)
    if data.horizon < 1:
        raise ConfigError(f"horizon must be a positive integer, received {data.horizon}")
    if data.stride < 1:
        raise ConfigError(f"stride must be a positive integer, received {data.stride}")
    if data.season == 0:
        data.season = series.season(1) if series is not None else 1
    H, m = data.horizon, data.season
    if data.test_size < 0:
        data.test_size = H
    if data.validation_size < 0:
        data.validation_size = 0 if baseline else H
    for name in ("test_size", "validation_size"):
        size = getattr(data, name)
        if size and size % H:
            raise ConfigError(f"{name} must be 0 or a multiple of horizon={H}, received {size}")
    if model.kind == "segrnn" and model.segment_length == 0:
        model.segment_length = m if 1 < m <= 48 else 12
    if data.input_length == 0:
        L = 2 * max(H, m)
        if model.kind == "segrnn":
            L = math.ceil(L / model.segment_length) * model.segment_length
        data.input_length = L
    return data, model


class Prepared:
    """Scaled series as tensors, features, and the train/validation/test windows.

    Attributes: ``series`` (raw), ``scaler``, ``flat`` (:class:`FlatSeries` of the scaled
    full series and features), ``windows`` (dict of :class:`WindowIndex`), ``L``, ``H``,
    ``m``, ``feature_names`` and ``future_mask`` ``(F,)`` (0 for past-only covariates).
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
        need = (self.L + self.H + held) if needs_windows else max(held + 2, self.m + held + 1)
        self.series = check_lengths(
            series,
            need,
            data.skip_short,
            "input_length + horizon + held-out points"
            if needs_windows
            else "the held-out points + season",
        )
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
        train_rows = [v[: len(v) - held] for v in self.series.values]
        if state is None:
            self.scaler = SeriesScaler(data.scaler, data.log).fit(train_rows)
            self.cov_loc, self.cov_scale = {}, {}
            for c in covs:
                rows = np.concatenate([v[: len(v) - held] for v in self.series.covariates[c]])
                self.cov_loc[c], self.cov_scale[c] = float(rows.mean()), float(rows.std()) or 1.0
        else:
            self.scaler = SeriesScaler.from_state(state["scaler"])
            self.cov_loc, self.cov_scale = state["cov_loc"], state["cov_scale"]
        scaled = [self.scaler.transform(v, i) for i, v in enumerate(self.series.values)]
        feats = None
        if self.feature_names:
            feats = [
                series_features(
                    self.series.timestamps[i],
                    {c: self.series.covariates[c][i] for c in covs},
                    self.calendar,
                    self.cov_loc,
                    self.cov_scale,
                )
                for i in range(len(self.series))
            ]
        self.flat = FlatSeries(scaled, feats)
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

    def batch(self, index: WindowIndex) -> dict:
        """All windows of ``index`` as one batch (past-only covariates zeroed in ``future``)."""
        out = self.flat.gather(index, slice(None), self.L, self.H)
        if "future" in out:
            out["future"] = out["future"] * self.future_mask
        return out

    def last_windows(self, future_covariates: dict[str, np.ndarray] | None = None) -> dict:
        """Inputs for forecasting after the end of every series: ``x`` (S, L), ``ids``, and
        with features ``past`` (S, L, F) and ``future`` (S, H, F)."""
        S, L, H = len(self.series), self.L, self.H
        ends = self.flat.offsets + self.flat.lengths
        pos = torch.from_numpy(ends)[:, None] + torch.arange(-L, 0)
        out = {"x": self.flat.values[pos], "ids": torch.arange(S)}
        if self.flat.features is not None:
            out["past"] = self.flat.features[pos]
            fut = np.zeros((S, H, self.n_features))
            for i in range(S):
                stamps = self.series.future_timestamps(i, H)
                if self.calendar:
                    fut[i, :, : len(self.calendar)] = calendar(stamps, self.calendar)
                for j, c in enumerate(self.data.known_covariates):
                    if future_covariates is None or c not in future_covariates:
                        raise DataError(
                            f"known covariate {c!r} needs its next {H} values: "
                            f"pass future=... to predict"
                        )
                    vals = np.asarray(future_covariates[c][i], dtype=np.float64)[:H]
                    k = len(self.calendar) + j
                    fut[i, :, k] = (vals - self.cov_loc[c]) / self.cov_scale[c]
            out["future"] = torch.from_numpy(fut.astype(np.float32)) * self.future_mask
        return out
