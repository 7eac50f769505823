"""``Forecaster``: forecasting in five lines.

>>> from rnnkit.forecast import Forecaster                                  # doctest: +SKIP
>>> fc = Forecaster("segrnn", horizon=24).fit(frame)        # long, wide, M4 or a CSV path
>>> fc.predict()                                  # id, timestamp, step, value (+ quantiles)
>>> fc.backtest(n_windows=3)                      # rolling origins: metrics per window
>>> fc.save("runs/air"); Forecaster.load("runs/air").predict()          # the same numbers

``model`` is a network kind (``segrnn``, ``direct``, ``autoregressive``, ``stateful``,
``mlp``, ``linear``) or a baseline (``naive``, ``seasonal_naive``, ``drift``, ``mean``,
``naive2``). By default the last ``horizon`` points of each series are the test part (scored
in ``fc.metrics``) and the ``horizon`` before them the validation part (best epoch, early
stopping); the scaler is fit on the rest. ``predict`` forecasts after the end of the data,
test part included. A saved forecaster is a run folder (``config.toml``,
``checkpoints/best.safetensors`` + JSON, ``forecast.json``) that ``rnnkit evaluate`` and
``rnnkit forecast predict`` also read.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rnnkit.errors import DataError
from rnnkit.forecast import baselines
from rnnkit.forecast.config import BASELINE_KINDS, KINDS, ForecastData, ForecastModel
from rnnkit.forecast.data import SeriesSet, check_lengths, read, read_frame
from rnnkit.forecast.models import build_model
from rnnkit.forecast.prepare import Prepared, resolve
from rnnkit.forecast.training import FitSettings, train_windows
from rnnkit.metrics import forecasting as fm


def as_series(data, fill: str = "") -> SeriesSet:
    """A :class:`SeriesSet` from a DataFrame, a CSV path (``rnnkit:airpassengers`` for a
    data set shipped in the package) or a SeriesSet."""
    if isinstance(data, SeriesSet):
        return data
    if isinstance(data, (str, Path)):
        from rnnkit import datasets

        path = datasets.resolve(data, "") if str(data).startswith("rnnkit:") else data
        return read(path, fill)
    if isinstance(data, pd.DataFrame):
        return read_frame(data, fill)
    raise TypeError(
        f"data must be a DataFrame, a CSV path or a SeriesSet, received {type(data).__name__}"
    )


class Forecaster:
    """A global forecaster over many series (see the module docstring for the workflow).

    Args:
        model: a kind of network or a baseline name.
        horizon: H, the steps forecast at once.
        input_length: L, the steps read (0 = 2 max(H, season), in whole segments).
        season: the seasonal period m (0 = from the timestamps' frequency, else 1).
        cell, hidden_size, quantiles: shortcuts for the same fields of ``net``.
        epochs, seed: shortcuts for the same fields of ``train``.
        data, net, train: full settings (:class:`ForecastData`, :class:`ForecastModel`,
            :class:`FitSettings`); the shortcuts above override them.
    """

    def __init__(
        self,
        model: str = "segrnn",
        horizon: int = 24,
        *,
        input_length: int = 0,
        season: int = 0,
        cell: str | None = None,
        hidden_size: int | None = None,
        quantiles: list[float] | None = None,
        epochs: int | None = None,
        seed: int | None = None,
        data: ForecastData | None = None,
        net: ForecastModel | None = None,
        train: FitSettings | None = None,
    ) -> None:
        if model not in KINDS + BASELINE_KINDS:
            raise ValueError(
                f"model must be one of {', '.join(KINDS + BASELINE_KINDS)}, received {model!r}"
            )
        if not isinstance(horizon, int) or isinstance(horizon, bool) or horizon < 1:
            raise ValueError(f"horizon must be a positive integer, received {horizon!r}")
        self.data = dataclasses.replace(data or ForecastData(), horizon=horizon)
        if input_length:
            self.data.input_length = input_length
        if season:
            self.data.season = season
        self.net = dataclasses.replace(net or ForecastModel(), kind=model)
        for key, value in (("cell", cell), ("hidden_size", hidden_size)):
            if value is not None:
                setattr(self.net, key, value)
        if quantiles:
            self.net.quantiles, self.net.loss = list(quantiles), "quantile"
        self.train = dataclasses.replace(train or FitSettings())
        if epochs is not None:
            self.train.epochs = epochs
        if seed is not None:
            self.train.seed = seed
        self.model: torch.nn.Module | None = None
        self.prepared: Prepared | None = None
        self.history: list[dict] = []
        self.metrics: dict[str, float] = {}

    @property
    def is_baseline(self) -> bool:
        return self.net.kind in BASELINE_KINDS

    @property
    def horizon(self) -> int:
        return self.data.horizon

    # ---- training -----------------------------------------------------------------------
    def fit(self, data, test=None, log=None) -> Forecaster:
        """Train on ``data`` (DataFrame, CSV path or SeriesSet) and score the test part.

        ``test``: a separate test set (as in M4: the next H values of each series, same
        ids and order); then no test part is cut from ``data``. Returns ``self``.
        """
        series = as_series(data, self.data.fill)
        test_values = None
        if test is not None:
            test_values = self._test_values(as_series(test, self.data.fill), series)
            self.data.test_size = 0
        self.data, self.net = resolve(self.data, self.net, series, self.is_baseline)
        self.prepared = Prepared(series, self.data, needs_windows=not self.is_baseline)
        if not self.is_baseline:
            torch.manual_seed(self.train.seed)
            self.model = self._build()
            self.history = train_windows(
                self.model,
                self.prepared.flat,
                self.prepared.windows,
                self.data.input_length,
                self.horizon,
                self.train,
                log,
            )
        self._warm_state()
        if test_values is not None:
            self.metrics = self.score(
                self.forecast_array(), test_values, self.prepared.series.values
            )
        elif self.data.test_size:
            self.metrics = self.evaluate_test()
        return self

    def _build(self) -> torch.nn.Module:
        return build_model(
            self.net,
            self.data.input_length,
            self.horizon,
            len(self.prepared.series),
            self.prepared.n_features,
            self.data.season,
        )

    def _test_values(self, test: SeriesSet, train: SeriesSet) -> np.ndarray:
        if test.ids != train.ids and len(test) == len(train):
            order = {sid: i for i, sid in enumerate(test.ids)}
            if set(order) == set(train.ids):
                test = test.subset([order[s] for s in train.ids])
        if test.ids != train.ids:
            raise DataError(
                f"the test set must have the same series as the training set: "
                f"{len(train)} training series, {len(test)} test series"
            )
        short = [s for s, n in zip(test.ids, test.lengths) if n < self.horizon]
        if short:
            raise DataError(f"test series shorter than horizon={self.horizon}: {short[:5]}")
        return np.stack([v[: self.horizon] for v in test.values])

    # ---- forecasting --------------------------------------------------------------------
    def _require_fit(self) -> None:
        if self.prepared is None:
            raise RuntimeError("call fit(data) (or Forecaster.load) before predicting")

    def _network_forecast(self, batch: dict) -> np.ndarray:
        """Raw-scale forecasts ``(N, H, Q)`` for a batch of windows."""
        with torch.inference_mode():
            out, _ = self.model(
                batch["x"], None, batch["ids"], batch.get("past"), batch.get("future")
            )
        ids = batch["ids"].numpy()
        return self.prepared.scaler.inverse(out.numpy().astype(np.float64), ids)

    def _baseline_forecast(self, histories: list[np.ndarray]) -> np.ndarray:
        f = baselines.forecast(self.net.kind, histories, self.horizon, self.data.season)
        return f[..., None]

    def forecast_array(self, future_covariates: dict | None = None) -> np.ndarray:
        """Forecasts after the end of every series, ``(S, H, Q)`` in data units."""
        self._require_fit()
        if self.is_baseline:
            return self._baseline_forecast(self.prepared.series.values)
        if self.net.kind == "stateful":
            return self._stream_forecast
        return self._network_forecast(self.prepared.last_windows(future_covariates))

    def predict(
        self, horizon: int | None = None, future: pd.DataFrame | None = None, data=None
    ) -> pd.DataFrame:
        """Forecasts after the end of the data as a long frame: ``id, timestamp, step,
        value`` and one ``q<quantile>`` column per quantile. ``horizon`` <= H trims them;
        ``future`` gives the next values of known covariates (long: id, timestamp, ...);
        ``data`` forecasts after other history (DataFrame, CSV path or SeriesSet)."""
        self._require_fit()
        if data is not None:
            return self._view(as_series(data, self.data.fill)).predict(horizon, future)
        horizon = horizon or self.horizon
        if not 1 <= horizon <= self.horizon:
            raise ValueError(
                f"horizon must be in 1..{self.horizon} (the trained H), received "
                f"{horizon}; train with a longer horizon to forecast further"
            )
        future_covs = self._future_covariates(future)
        f = self.forecast_array(future_covs)[:, :horizon]
        return self._frame(f, horizon)

    def _future_covariates(self, future) -> dict | None:
        if future is None:
            return None
        series = as_series(future)
        order = {sid: i for i, sid in enumerate(series.ids)}
        missing = [s for s in self.prepared.series.ids if s not in order]
        if missing:
            raise DataError(f"future has no rows for series {missing[:5]}")
        return {
            c: [series.covariates[c][order[s]] for s in self.prepared.series.ids]
            for c in series.covariates
        }

    def _frame(self, f: np.ndarray, horizon: int) -> pd.DataFrame:
        """The long forecast frame of ``f`` ``(S, >=horizon, Q)``, built column-wise."""
        qs = self.net.quantiles if self.net.loss == "quantile" else []
        series = self.prepared.series
        S = len(series)
        stamps = []
        for i in range(S):
            stamps.extend(series.future_timestamps(i, horizon))
        columns = {
            "id": np.repeat(np.asarray(series.ids, dtype=object), horizon),
            "timestamp": stamps,
            "step": np.tile(np.arange(1, horizon + 1), S),
            "value": f[:, :horizon, self._point_index()].reshape(-1),
        }
        for k, q in enumerate(qs):
            columns[f"q{q:g}"] = f[:, :horizon, k].reshape(-1)
        return pd.DataFrame(columns)

    def _point_index(self) -> int:
        if self.net.loss != "quantile":
            return 0
        return int(np.argmin([abs(q - 0.5) for q in self.net.quantiles]))

    # ---- the stateful forecaster ----------------------------------------------------------
    def _warm_state(self) -> None:
        """Stateful kind: read the whole history once; keep the state and the forecast."""
        if self.net.kind != "stateful" or self.model is None:
            return
        self._stream_state, self._stream_forecast = None, None
        flat = self.prepared.flat
        S = len(self.prepared.series)
        # series of different lengths: each runs alone from a zero state
        outs, states = [], []
        for i in range(S):
            lo, n = flat.offsets[i], flat.lengths[i]
            z = flat.values[lo : lo + n].unsqueeze(0)
            feats = None if flat.features is None else flat.features[lo : lo + n].unsqueeze(0)
            f, st = self._advance(z, None, torch.tensor([i]), feats)
            outs.append(f)
            states.append(st)
        self._stream_state = states  # one state per series
        self._stream_forecast = np.concatenate(outs)

    def _advance(self, z, state, ids, feats):
        with torch.inference_mode():
            every, state = self.model.step(z, state, ids, feats)
        f = self.prepared.scaler.inverse(every[:, -1].numpy().astype(np.float64), ids.numpy())
        return f, state

    def update(self, new_values: dict[str, list[float]]) -> pd.DataFrame:
        """Stateful kind: append new observations ``{id: [values...]}``, advance the carried
        state over them only, and return the new forecasts of those series (as predict)."""
        self._require_fit()
        if self.net.kind != "stateful":
            raise ValueError(
                f"update needs model 'stateful', this forecaster is "
                f"{self.net.kind!r}; call predict(data=...) instead"
            )
        if self.prepared.n_features:
            raise ValueError(
                "update does not take covariates yet: train the stateful model "
                "without calendar or covariates to stream it"
            )
        index = {sid: i for i, sid in enumerate(self.prepared.series.ids)}
        for sid, values in new_values.items():
            if sid not in index:
                raise KeyError(f"unknown series {sid!r}; known: {list(index)[:5]}...")
            i = index[sid]
            raw = np.asarray(values, dtype=np.float64)
            if raw.ndim != 1 or not np.isfinite(raw).all():
                raise DataError(f"series {sid!r}: new values must be a list of finite numbers")
            z = torch.from_numpy(self.prepared.scaler.transform(raw, i).astype(np.float32))
            f, self._stream_state[i] = self._advance(
                z[None], self._stream_state[i], torch.tensor([i]), None
            )
            self._stream_forecast[i] = f[0]
            series = self.prepared.series
            series.values[i] = np.concatenate([series.values[i], raw])
            if series.timestamps[i] is not None and series.freq:
                extra = pd.date_range(
                    series.timestamps[i][-1], periods=len(raw) + 1, freq=series.freq
                )[1:]
                series.timestamps[i] = series.timestamps[i].append(extra)
        return self.predict()

    # ---- evaluation ---------------------------------------------------------------------
    def score(self, forecast: np.ndarray, actual: np.ndarray, insample) -> dict[str, float]:
        """sMAPE, MASE, MAE, RMSE (+ OWA vs Naive2, + coverage of the outer quantiles)."""
        point = forecast[..., self._point_index()]
        m = self.data.season
        out = fm.score(actual, point, insample, m)
        n2 = baselines.forecast("naive2", insample, actual.shape[1], m)
        out["owa"] = fm.owa(
            out["smape"], out["mase"], fm.smape(actual, n2), fm.mase(actual, n2, insample, m)
        )
        qs = self.net.quantiles if self.net.loss == "quantile" else []
        if len(qs) >= 2:
            lo, hi = int(np.argmin(qs)), int(np.argmax(qs))
            out[f"coverage_{qs[lo]:g}_{qs[hi]:g}"] = fm.coverage(
                actual, forecast[..., lo], forecast[..., hi]
            )
        return out

    def evaluate_test(self) -> dict[str, float]:
        """Scores on the held-out test part (each series' last ``test_size`` points)."""
        self._require_fit()
        p, t = self.prepared, self.data.test_size
        if not t:
            raise ValueError("this forecaster has no test part (test_size=0); pass data")
        insample = [v[: len(v) - t] for v in p.series.values]
        if self.is_baseline:
            f = self._baseline_forecast(insample)
            actual = np.stack([v[len(v) - t : len(v) - t + self.horizon] for v in p.series.values])
            return self.score(f, actual, insample)
        f, actual = self.test_forecast()
        return self.score(f, actual, insample)

    def test_forecast(self) -> tuple[np.ndarray, np.ndarray]:
        """Forecasts ``(S, H, Q)`` of the first test window of each series and the actual
        values ``(S, H)`` (read from the raw series, not round-tripped through the scaler)."""
        p = self.prepared
        first = self._first_window_of_each(p.windows["test"])
        f = self._network_forecast(p.batch(first))
        L, H = p.L, self.horizon
        actual = np.stack(
            [p.series.values[i][s + L : s + L + H] for i, s in zip(first.series, first.start)]
        )
        return f, actual

    @staticmethod
    def _first_window_of_each(index):
        from rnnkit.forecast.windows import WindowIndex

        _, first = np.unique(index.series, return_index=True)
        return WindowIndex(index.series[first], index.start[first])

    def _view(self, series: SeriesSet) -> Forecaster:
        """This trained forecaster looking at other history (same weights; the fitted
        scaling when the series are the training ones, else refit on the new rows)."""
        if not self.is_baseline and self.net.kind != "stateful":
            check_lengths(series, self.data.input_length, what="input_length")
        other = Forecaster.__new__(Forecaster)
        other.__dict__.update(self.__dict__)
        other.data = dataclasses.replace(
            self.data, test_size=0, validation_size=0, skip_short=False
        )
        other.prepared = Prepared(
            series,
            other.data,
            needs_windows=False,
            state=None if self.is_baseline else self._scaler_for(series),
        )
        if other.net.kind == "stateful":
            other._warm_state()
        return other

    def evaluate(self, data, test=None) -> dict[str, float]:
        """Scores on new data: with ``test``, forecast after ``data`` and score on ``test``
        (M4 style); else hold out the last H points of each series of ``data``."""
        self._require_fit()
        series = as_series(data, self.data.fill)
        if test is not None:
            actual = self._test_values(as_series(test, self.data.fill), series)
            insample = series.values
        else:
            actual = np.stack([v[-self.horizon :] for v in series.values])
            insample = [v[: -self.horizon] for v in series.values]
            series = series.head(self.horizon)
        return self.score(self._view(series).forecast_array(), actual, insample)

    def _scaler_for(self, series: SeriesSet) -> dict | None:
        """The fitted scaling when ``series`` are the training series, else None (refit on
        the new series' own rows, as a per-series scaler must)."""
        if self.prepared is not None and series.ids == self.prepared.series.ids:
            return self.prepared.state()
        return None

    def plot(self, folder: str | Path, series: list[str] | None = None) -> list[Path]:
        """Two PNGs in ``folder``: forecasts of the last H points (held out when there is a
        test part, else re-forecast from ``n - H``) against the actuals, with the interval
        of the outer quantiles, for the ``series`` ids (default the first four); and the
        sMAPE and MAE by horizon step over all series."""
        from rnnkit.forecast.plots import error_by_step, forecast_vs_actual

        self._require_fit()
        full = self.prepared.series
        head = full.head(self.horizon)
        actual = np.stack([v[-self.horizon :] for v in full.values])
        f = self._view(head).forecast_array()
        index = {sid: i for i, sid in enumerate(full.ids)}
        unknown = [s for s in series or [] if s not in index]
        if unknown:
            raise KeyError(f"unknown series {unknown}; known: {full.ids[:5]}...")
        chosen = [index[s] for s in series] if series else None
        qs = self.net.quantiles if self.net.loss == "quantile" else []
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        return [
            forecast_vs_actual(
                head.values, actual, f, full.ids, qs, folder / "forecasts.png", chosen
            ),
            error_by_step(actual, f[..., self._point_index()], folder / "error_by_step.png"),
        ]

    def backtest(self, data=None, n_windows: int = 3, step: int | None = None) -> pd.DataFrame:
        """Rolling-origin evaluation without refitting: origins at ``n - H - k step`` for
        k = n_windows-1..0 (the last window ends at each series' end). One row per window
        and series: ``window, id, origin, smape, mase, mae, rmse``; ``.attrs["summary"]``
        holds the mean of each metric per window. Origins inside the training part are
        in-sample for a network, which the ``in_sample`` column flags."""
        self._require_fit()
        step = step or self.horizon
        if n_windows < 1 or step < 1:
            raise ValueError(f"n_windows and step must be positive, received {n_windows}, {step}")
        series = as_series(data, self.data.fill) if data is not None else self.prepared.series
        H, rows = self.horizon, []
        train_end = None
        if data is None:
            train_end = [
                n - self.data.test_size - self.data.validation_size for n in series.lengths
            ]
        for k in range(n_windows - 1, -1, -1):
            cut = H + k * step
            head = series.head(cut)
            actual = np.stack([v[len(v) - cut : len(v) - cut + H] for v in series.values])
            f = self._view(head).forecast_array()[..., self._point_index()]
            for i, sid in enumerate(series.ids):
                origin = len(series.values[i]) - cut
                r = fm.score(actual[i], f[i], head.values[i], self.data.season)
                r.update(
                    window=n_windows - k,
                    id=sid,
                    origin=origin,
                    in_sample=bool(
                        train_end and origin + H <= train_end[i] and not self.is_baseline
                    ),
                )
                rows.append(r)
        frame = pd.DataFrame(rows)[
            ["window", "id", "origin", "in_sample", "smape", "mase", "mae", "rmse"]
        ]
        frame.attrs["summary"] = frame.groupby("window")[["smape", "mase", "mae", "rmse"]].mean()
        return frame

    # ---- persistence --------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write a run folder: ``config.toml``, ``forecast.json`` and, for networks,
        ``checkpoints/best.safetensors`` (+ ``.json``). Returns the folder."""
        from rnnkit.config import Config, TrainConfig, to_toml
        from rnnkit.train.checkpoint import atomic_write_text, save_checkpoint

        self._require_fit()
        run = Path(path)
        (run / "checkpoints").mkdir(parents=True, exist_ok=True)
        train = TrainConfig(
            epochs=max(1, self.train.epochs),
            max_steps=self.train.max_steps,
            batch_size=self.train.batch_size,
            lr=self.train.lr,
            weight_decay=self.train.weight_decay,
            clip_grad_norm=self.train.clip_grad_norm,
            seed=self.train.seed,
            device="cpu",
            optimizer="adamw" if self.train.weight_decay else "adam",
        )
        config = Config(task="forecast", name=run.name, data=self.data, model=self.net, train=train)
        atomic_write_text(run / "config.toml", to_toml(config))
        atomic_write_text(run / "forecast.json", json.dumps(self._artifacts()))
        if self.model is not None:
            save_checkpoint(
                run / "checkpoints" / "best.safetensors",
                model=self.model,
                meta={
                    "history": self.history,
                    "metrics": self.metrics,
                    "fit": dataclasses.asdict(self.train),
                },
            )
        if self.metrics:
            atomic_write_text(run / "metrics.json", json.dumps(self.metrics, indent=2) + "\n")
        return run

    def _artifacts(self) -> dict:
        p = self.prepared
        keep = None  # the whole history: MASE scales and baselines need it
        series = p.series
        return {
            "format": 1,
            "ids": series.ids,
            "freq": series.freq,
            "lengths": series.lengths,
            "history": [(v if keep is None else v[-keep:]).tolist() for v in series.values],
            "timestamps": [
                None if t is None else [str(s) for s in (t if keep is None else t[-keep:])]
                for t in series.timestamps
            ],
            "covariates": {
                c: [(v if keep is None else v[-keep:]).tolist() for v in vals]
                for c, vals in series.covariates.items()
            },
            "prepared": None if self.is_baseline else p.state(),
            "metrics": self.metrics,
        }

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        """Rebuild a saved forecaster; it predicts exactly what the saved one did."""
        from rnnkit.config import load_config
        from rnnkit.train.checkpoint import load_checkpoint, model_state

        run = Path(path)
        if not (run / "config.toml").is_file() or not (run / "forecast.json").is_file():
            raise FileNotFoundError(
                f"{run} is not a saved forecaster (config.toml and forecast.json are needed)"
            )
        config = load_config(run / "config.toml")
        fc = cls(config.model.kind, config.data.horizon, data=config.data, net=config.model)
        fc.train = FitSettings(
            epochs=config.train.epochs,
            batch_size=config.train.batch_size,
            lr=config.train.lr,
            seed=config.train.seed,
        )
        art = json.loads((run / "forecast.json").read_text())
        series = series_from_artifacts(art)
        fc.data = dataclasses.replace(fc.data, test_size=0, validation_size=0, skip_short=False)
        fc.prepared = Prepared(series, fc.data, needs_windows=False, state=art["prepared"])
        fc.data = config.data
        fc.metrics = art.get("metrics", {})
        if not fc.is_baseline:
            fc.model = fc._build()
            tensors, meta = load_checkpoint(run / "checkpoints" / "best.safetensors")
            fc.model.load_state_dict(model_state(tensors))
            fc.model.eval()
            fc.history = meta.get("history", [])
            fc._warm_state()
        return fc


def series_from_artifacts(art: dict) -> SeriesSet:
    """The (tail of the) training series stored in ``forecast.json``."""
    stamps = [None if t is None else pd.DatetimeIndex(pd.to_datetime(t)) for t in art["timestamps"]]
    values = [np.asarray(v, dtype=np.float64) for v in art["history"]]
    covs = {
        c: [np.asarray(v, dtype=np.float64) for v in vals]
        for c, vals in art.get("covariates", {}).items()
    }
    return SeriesSet(list(art["ids"]), values, stamps, art.get("freq"), covs)
