"""Task ``forecast``: global multi-series forecasting under the training engine.

``[data]`` is :class:`~rnnkit.tasks.forecast_data.ForecastData` (``train`` = the series file,
default ``rnnkit:airpassengers``, shipped; ``test`` = an optional separate test file as in M4,
else each series' last ``test_size`` points are the test part), ``[model]`` is
:class:`~rnnkit.models.forecasting.ForecastModel` (a network or a baseline, which takes no
training step), ``[train]`` is :class:`~rnnkit.tasks.forecast_data.ForecastTrain`.

Every door trains and reads this task the same way: ``rnnkit train CONFIG``, ``rnnkit forecast
train``, and :class:`rnnkit.forecast.Forecaster` (which hands in-memory series to the task).
Predictions go through :class:`~rnnkit.tasks.forecast_predict.ForecastPredictor`.

Validation metric: ``val_loss`` (the training loss on the validation windows, scaled).
Test metrics: ``smape``, ``mase``, ``mae``, ``rmse``, ``owa`` (against Naive2).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rnnkit.data.batching import IndexBatches
from rnnkit.data.series import SeriesSet
from rnnkit.errors import DataError, RunError
from rnnkit.io import atomic_write_text, malformed, read_json
from rnnkit.metrics import forecasting as fm
from rnnkit.models.forecasting import ForecastModel, build_forecaster
from rnnkit.models.forecasting.ensemble import RunEnsemble
from rnnkit.tasks import forecast_calibration as calibration
from rnnkit.tasks import forecast_eval
from rnnkit.tasks.base import Task
from rnnkit.tasks.forecast_data import (
    IN_MEMORY,
    ForecastData,
    ForecastTrain,
    Prepared,
    read_series,
    resolve,
)
from rnnkit.tasks.forecast_ensemble import (
    EnsemblePredictor,
    copy_members,
    load_members,
    local_names,
)
from rnnkit.tasks.forecast_predict import ForecastPredictor, series_frame


class ForecastTask(Task):
    name = "forecast"
    fixed_shapes = True  # windows of one length: freed memory is kept (nn.fast.memory)
    data_config = ForecastData
    model_config = ForecastModel
    train_config = ForecastTrain
    memory_splits = ("train", "test")

    def __init__(
        self,
        config,
        series: SeriesSet | None = None,
        test: SeriesSet | None = None,
        memory: dict | None = None,
    ):
        """``series``/``test`` (or ``memory["train"]``/``memory["test"]``: a DataFrame, a
        pandas Series or a SeriesSet): in-memory data instead of the files
        ``data.train``/``data.test`` (the config then says ``train = "<in-memory data>"``)."""
        super().__init__(config, memory)
        if series is None and "train" in self.memory:
            series = read_series(series_frame(self.memory["train"]), config.data)
        if test is None and "test" in self.memory:
            test = read_series(series_frame(self.memory["test"]), config.data)
        self.series, self.test_series = series, test
        self.prepared: Prepared | None = None
        self.test_values: np.ndarray | None = None  # (S, H) of a separate test set
        self.calibration: dict | None = None  # conformal intervals, from on_fit_end

    @property
    def baseline(self) -> bool:
        return self.config.model.is_baseline

    def read_series(self, path: str) -> SeriesSet:
        if path == IN_MEMORY:
            raise DataError(
                "this run was fitted from data in memory (Forecaster.fit on a DataFrame); "
                "pass the data again, e.g. Forecaster.load(run).predict(data=frame)"
            )
        return read_series(path, self.config.data)

    # ---- data ---------------------------------------------------------------------------
    def setup(self) -> None:
        cfg = self.config
        if cfg.model.kind == "ensemble" and cfg.model.runs != local_names(cfg.model.runs):
            # members named where they are now: copied into the run (config: their new names)
            self.member_sources = [Path(r).expanduser() for r in cfg.model.runs]
            cfg.model.runs = local_names(cfg.model.runs)
        if not cfg.data.train:
            cfg.data.train = "rnnkit:airpassengers"  # the shipped default
        series = self.series if self.series is not None else self.read_series(cfg.data.train)
        test = self.test_series
        if test is None and cfg.data.test:
            test = self.read_series(cfg.data.test)
        if test is not None:
            self.test_values = forecast_eval.test_values(test, series, cfg.data.horizon)
            cfg.data.test_size = 0
        cfg.data, cfg.model = resolve(cfg.data, cfg.model, series)
        self.prepared = Prepared(series, cfg.data, needs_windows=cfg.model.trains)
        if cfg.model.trains:
            n = len(self.prepared.windows["train"])
            if n == 0:
                raise DataError(
                    "no training windows: the series are too short for input_length + "
                    "horizon + the held-out test and validation parts"
                )
            self.batches = IndexBatches(n, cfg.train.batch_size, seed=cfg.train.seed)

    def save_artifacts(self, run_dir: Path) -> None:
        """``forecast.json``: the whole training history (MASE scales and baselines need it),
        timestamps, covariates and the fitted scaling."""
        series = self.prepared.series
        art = {
            "format": 1,
            "ids": series.ids,
            "freq": series.freq,
            "lengths": series.lengths,
            "history": [v.tolist() for v in series.values],
            "timestamps": [None if t is None else [str(s) for s in t] for t in series.timestamps],
            "covariates": {c: [v.tolist() for v in vals] for c, vals in series.covariates.items()},
            "prepared": self.prepared.state(),
        }
        atomic_write_text(Path(run_dir) / "forecast.json", json.dumps(art))
        if self.config.model.kind == "ensemble":  # members set up on the same series
            copy_members(getattr(self, "member_sources", []), run_dir)
            self.members = load_members(run_dir, self.config.model.runs, series)

    def load_artifacts(self, run_dir: Path) -> None:
        path = Path(run_dir) / "forecast.json"
        shape = {"ids": list, "history": list, "timestamps": list, "covariates": dict}
        art = read_json(path, "forecast history", {**shape, "prepared": dict})
        with malformed(path, "forecast history"):
            self._restore_history(art)
        path = Path(run_dir) / "calibration.json"
        if path.exists():
            self.calibration = read_json(path, "interval calibration", {"levels": list})
        if self.config.model.kind == "ensemble":
            self.members = load_members(run_dir, self.config.model.runs)

    def _restore_history(self, art: dict) -> None:
        stamps = [
            None if t is None else pd.DatetimeIndex(pd.to_datetime(t)) for t in art["timestamps"]
        ]
        covs = {
            c: [np.asarray(v, np.float64) for v in vals] for c, vals in art["covariates"].items()
        }
        values = [np.asarray(v, dtype=np.float64) for v in art["history"]]
        series = SeriesSet(list(art["ids"]), values, stamps, art.get("freq"), covs)
        loose = type(self.config.data)(
            **{**self.config.data.__dict__, "test_size": 0, "validation_size": 0}
        )
        self.prepared = Prepared(series, loose, needs_windows=False, state=art["prepared"])

    def steps_per_epoch(self, world: int = 1) -> int:
        return len(self.batches) if self.config.model.trains else 0

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1):
        train = self.prepared.windows["train"]
        for idx in self.batches.epoch(epoch, rank, world):
            yield self.prepared.batch(train, idx.numpy())

    def batch_examples(self, batch) -> int:
        return len(batch["x"])

    # ---- model --------------------------------------------------------------------------
    def build_model(self):
        p, cfg = self.prepared, self.config
        if cfg.model.kind == "ensemble":
            return RunEnsemble([m.model for m in self.members])
        n_series = len(p.series)
        return build_forecaster(cfg.model, p.L, p.H, n_series, p.n_features, p.m)

    def training_step(self, model, batch, state):
        _, loss = model(
            batch["x"], batch["y"], batch["ids"], batch.get("past"), batch.get("future")
        )
        return loss, None

    def predictor(self, model) -> ForecastPredictor:
        """Forecasts with ``model`` after the end of this task's series (a new predictor each
        call: the model's weights may have changed since the last one)."""
        cfg = self.config
        if cfg.model.kind == "ensemble":
            members = [m.task.predictor(m.model) for m in self.members]
            return EnsemblePredictor(members, self.prepared, cfg.data, cfg.model, self.calibration)
        return ForecastPredictor(model.eval(), self.prepared, cfg.data, cfg.model, self.calibration)

    def on_fit_end(self, model, run_dir: Path) -> None:
        """Calibrate the intervals of the point forecast on the validation window (split
        conformal, :mod:`rnnkit.tasks.forecast_calibration`) into ``calibration.json``."""
        cfg = self.config
        if self.calibration is not None:  # handed in (an ensemble of refitted runs)
            atomic_write_text(Path(run_dir) / "calibration.json", json.dumps(self.calibration))
            return
        if not cfg.model.intervals or not self.has_split("validation"):
            return
        if self.predictor_quantiles():
            return
        p = self.predictor(model)
        f, actual, insample = forecast_eval.split_forecast(p, "validation")
        scales = calibration.scales_of(insample, cfg.data.season)
        residuals = actual - f[..., p.point_index]
        self.calibration = calibration.fit(residuals, scales, cfg.model.intervals)
        atomic_write_text(Path(run_dir) / "calibration.json", json.dumps(self.calibration))

    def predictor_quantiles(self) -> bool:
        """True when the model forecasts its own quantiles (then they are the intervals)."""
        model = self.config.model
        return model.loss not in ("mae", "mse") and not model.is_baseline

    # ---- evaluation ---------------------------------------------------------------------
    def has_split(self, split: str) -> bool:
        model = self.config.model
        if self.prepared is None or not self.prepared.windows and model.trains:
            return False
        if split == "test":
            return self.test_values is not None or bool(self.config.data.test_size)
        if model.kind == "ensemble":  # the members must have the validation window too
            members = [m.task for m in getattr(self, "members", [])]
            return split == "validation" and all(t.has_split(split) for t in members)
        if self.baseline:
            return split == "validation" and bool(self.config.data.validation_size)
        return len(self.prepared.windows.get(split, [])) > 0

    def evaluate(self, model, split: str = "validation", state=None) -> dict:
        was_training = model.training
        if split == "test":
            p = self.predictor(model)
            if self.test_values is not None:
                out = forecast_eval.score(
                    p, p.forecast_array(), self.test_values, p.prepared.series.values
                )
            else:
                out = forecast_eval.evaluate_test(p)
        elif not self.config.model.trains:
            out = {"loss": self._baseline_loss(model, split)}
        else:
            out = {"loss": self._window_loss(model, self.prepared.windows[split])}
        if split == "validation" and self.has_split("validation"):
            out.update(self._validation_scores(model))
        model.train(was_training)
        return out

    def _validation_scores(self, model) -> dict:
        """sMAPE and MASE (data units) of the first validation window of each series: the
        scores on which settings, kinds and baselines compare (their losses do not)."""
        p = self.predictor(model)
        f, actual, insample = forecast_eval.split_forecast(p, "validation")
        point, ids = f[..., p.point_index], p.prepared.series.ids
        with warnings.catch_warnings():  # an undefined MASE is said once, by the test scores
            warnings.simplefilter("ignore")
            return fm.score(actual, point, insample, self.config.data.season, ids)

    def _window_loss(self, model, index, batch_size: int = 1024) -> float:
        """The training loss (scaled) averaged over the windows ``index``."""
        if len(index) == 0:
            return float("nan")
        model.eval()
        total = 0.0
        with torch.inference_mode():
            for lo in range(0, len(index), batch_size):
                batch = self.prepared.batch(index, slice(lo, lo + batch_size))
                _, loss = model(
                    batch["x"], batch["y"], batch["ids"], batch.get("past"), batch.get("future")
                )
                total += float(loss) * len(batch["x"])
        return total / len(index)

    def _baseline_loss(self, model, split: str) -> float:
        """A baseline's (or an ensemble's) loss on ``split`` in the scaled space of the
        networks' ``val_loss`` (squared error for ``loss = "mse"``, absolute otherwise)."""
        if split == "validation" and not self.has_split("validation"):
            return float("nan")
        p = self.predictor(model)
        f, actual, _ = forecast_eval.split_forecast(p, split)
        scale = p.prepared.scaler
        err = np.stack(
            [scale.transform(f[i, :, 0], i) - scale.transform(a, i) for i, a in enumerate(actual)]
        )
        return float(np.mean(err**2 if self.config.model.loss == "mse" else np.abs(err)))

    def evaluate_path(self, model, path: str) -> dict:
        """Scores on a CSV file. When its series are the run's own and none is longer than
        H, the file is their continuation (an M4 test file); otherwise its last H points per
        series are held out and forecast from the rest."""
        p = self.predictor(model)
        data = read_series(path, self.config.data)
        own = p.prepared.series
        if set(data.ids) == set(own.ids) and max(data.lengths) <= p.horizon:
            return forecast_eval.evaluate(p, own, test=data)
        return forecast_eval.evaluate(p, data)

    def predictions(self, model, state=None) -> pd.DataFrame | None:
        """Forecasts after the end of the data (none with known covariates: their future
        values are not in the training data; pass them to ``predict(future=...)``)."""
        if self.config.data.known_covariates:
            return None
        return self.predictor(model).predict()

    def test_forecast(self, model) -> dict | None:
        """The test forecast for the plots: ``forecast`` ``(S, H, Q)``, ``actual`` ``(S, H)``,
        the ``history`` before it, ``ids``, ``quantiles`` and ``stamps`` (per series the
        dates of history and forecast, or None); None without a test part (or when the task
        was not set up: the runs of model.kind = "auto" are other tasks)."""
        if self.prepared is None:
            return None
        p = self.predictor(model)
        series = p.prepared.series
        if self.test_values is not None:
            f, actual, history = p.forecast_array(), self.test_values, series.values
        elif self.config.data.test_size:
            f, actual, history = forecast_eval.split_forecast(p, "test")
        else:
            return None
        stamps = forecast_eval.timelines(series, p.horizon if self.test_values is not None else 0)
        return {
            "forecast": f,
            "actual": actual,
            "history": history,
            "ids": series.ids,
            "quantiles": p.quantiles,
            "stamps": stamps,
        }

    def plots(self, model, plots_dir: Path, state=None):
        from rnnkit.report.forecast import forecast_plots

        t = self.test_forecast(model)
        if t is None:
            return []
        return forecast_plots(
            t["history"],
            t["actual"],
            t["forecast"],
            t["ids"],
            t["quantiles"],
            plots_dir,
            stamps=t["stamps"],
        )

    def export_spec(self, model):
        """Scaled windows ``x (N, L)`` and series indices ``ids (N,)`` in (ONNX drops ``ids``
        when the model does not embed series ids), the scaled forecast ``(N, H, Q)`` out. The
        per-series scaler in ``forecast.json`` maps values to and from data units; the network
        itself (RevIN included) is what is exported."""
        from rnnkit.export import ExportSpec, FirstOutput

        kind = self.config.model.kind
        if self.baseline or kind == "stateful":
            raise RunError(
                f"export of the {kind} forecaster is not supported: export a direct, "
                f"autoregressive or segrnn model"
            )
        if self.prepared.n_features:
            raise RunError(
                "export of forecasters with calendar features or covariates is not "
                "supported yet; train without them to export"
            )
        last = self.prepared.last_windows(None)
        x, ids = last["x"][:1].repeat(2, 1), last["ids"][:1].repeat(2)
        axes = {"x": {0: "N"}, "ids": {0: "N"}, "forecast": {0: "N"}}
        network = FirstOutput(model.eval(), ("x", "ids"))
        return ExportSpec(network, (x, ids), ["x", "ids"], ["forecast"], axes)


__all__ = ["ForecastTask"]
