"""Task ``forecast``: global multi-series forecasting under the training engine.

``[data]`` is :class:`~rnnkit.forecast.config.ForecastData` (``train`` = the series file,
default ``rnnkit:airpassengers``, shipped;
``test`` = an optional separate test file as in M4; else each series' last ``test_size``
points are the test part), ``[model]`` is :class:`~rnnkit.forecast.config.ForecastModel`.
The data preparation, the networks and the scoring are those of
:class:`~rnnkit.forecast.api.Forecaster`, so a run folder of this task is also a saved
forecaster (``Forecaster.load(run)``, ``rnnkit forecast predict RUN``).

Validation metric: ``val_loss`` (the training loss on the validation windows, scaled).
Test metrics: ``smape``, ``mase``, ``mae``, ``rmse``, ``owa`` (against Naive2).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from rnnkit.data.batching import IndexBatches
from rnnkit.errors import ConfigError, RnnkitError
from rnnkit.forecast.config import BASELINE_KINDS, ForecastData, ForecastModel
from rnnkit.tasks.base import Task
from rnnkit.train.checkpoint import atomic_write_text


class ForecastTask(Task):
    name = "forecast"
    data_config = ForecastData
    model_config = ForecastModel

    def __init__(self, config) -> None:
        super().__init__(config)
        self.forecaster = None
        self.test_values = None

    def _new_forecaster(self):
        from rnnkit.forecast.api import Forecaster

        cfg = self.config
        return Forecaster(cfg.model.kind, cfg.data.horizon, data=cfg.data, net=cfg.model)

    def setup(self) -> None:
        from rnnkit.forecast.api import as_series
        from rnnkit.forecast.prepare import Prepared, resolve

        cfg = self.config
        if cfg.model.kind in BASELINE_KINDS:
            raise ConfigError(
                f"model.kind {cfg.model.kind!r} is a baseline with nothing to "
                f"train; use `rnnkit forecast compare` or Forecaster(...).fit"
            )
        if not cfg.data.train:
            cfg.data.train = "rnnkit:airpassengers"  # the shipped default
        series = as_series(cfg.data.train, cfg.data.fill)
        fc = self._new_forecaster()
        if cfg.data.test:
            self.test_values = fc._test_values(as_series(cfg.data.test, cfg.data.fill), series)
            cfg.data.test_size = 0
        cfg.data, cfg.model = resolve(cfg.data, cfg.model, series)
        fc.data, fc.net = cfg.data, cfg.model
        fc.prepared = Prepared(series, cfg.data)
        self.forecaster = fc
        self.batches = IndexBatches(
            len(fc.prepared.windows["train"]), cfg.train.batch_size, seed=cfg.train.seed
        )

    def save_artifacts(self, run_dir: Path) -> None:
        atomic_write_text(run_dir / "forecast.json", json.dumps(self.forecaster._artifacts()))

    def load_artifacts(self, run_dir: Path) -> None:
        from rnnkit.forecast.api import series_from_artifacts
        from rnnkit.forecast.prepare import Prepared

        art = json.loads((Path(run_dir) / "forecast.json").read_text())
        fc = self._new_forecaster()
        loose = type(fc.data)(**{**fc.data.__dict__, "test_size": 0, "validation_size": 0})
        fc.prepared = Prepared(
            series_from_artifacts(art), loose, needs_windows=False, state=art["prepared"]
        )
        self.forecaster = fc

    def on_load(self, meta: dict) -> None:
        self._loaded = True

    def steps_per_epoch(self, world: int = 1) -> int:
        return len(self.batches)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1):
        p = self.forecaster.prepared
        train = p.windows["train"]
        for idx in self.batches.epoch(epoch, rank, world):
            yield p.flat.gather(train, idx.numpy(), p.L, p.H)

    def batch_examples(self, batch) -> int:
        return len(batch["x"])

    def build_model(self):
        fc = self.forecaster
        return fc._build()

    def training_step(self, model, batch, state):
        _, loss = model(
            batch["x"], batch["y"], batch["ids"], batch.get("past"), batch.get("future")
        )
        return loss, None

    def export_spec(self, model):
        """Scaled windows ``x (N, L)`` and series indices ``ids (N,)`` in, the scaled forecast
        ``(N, H, Q)`` out. The per-series scaler in ``forecast.json`` maps values to and from
        data units; the network itself (RevIN included) is what is exported."""
        from rnnkit.export import ExportSpec, FirstOutput

        p = self.forecaster.prepared
        if self.config.model.kind == "stateful":
            raise RnnkitError(
                "export of the stateful forecaster is not supported: its carried state lives "
                "in the Forecaster; export a direct, autoregressive or segrnn model"
            )
        if p.n_features:
            raise RnnkitError(
                "export of forecasters with calendar features or covariates is not "
                "supported yet; train without them to export"
            )

        last = p.last_windows(None)
        x, ids = last["x"][:1].repeat(2, 1), last["ids"][:1].repeat(2)
        axes = {"x": {0: "N"}, "ids": {0: "N"}, "forecast": {0: "N"}}
        network = FirstOutput(model.eval(), ("x", "ids"))
        return ExportSpec(network, (x, ids), ["x", "ids"], ["forecast"], axes)

    def has_split(self, split: str) -> bool:
        if self.forecaster is None or not self.forecaster.prepared.windows:
            return False
        if split == "test":
            return self.test_values is not None or bool(self.config.data.test_size)
        return len(self.forecaster.prepared.windows.get(split, [])) > 0

    def _attach(self, model):
        fc = self.forecaster
        fc.model = model.eval()
        fc._warm_state()
        return fc

    def evaluate(self, model, split: str = "validation", state=None) -> dict:
        from rnnkit.forecast.training import evaluate_loss

        fc, p = self.forecaster, self.forecaster.prepared
        was_training = model.training
        if split == "test":
            fc = self._attach(model)
            if self.test_values is not None:
                out = fc.score(fc.forecast_array(), self.test_values, p.series.values)
            else:
                out = fc.evaluate_test()
        else:
            out = {"loss": evaluate_loss(model, p.flat, p.windows[split], p.L, p.H)}
        model.train(was_training)
        return out

    def evaluate_path(self, model, path: str) -> dict:
        """Scores on a CSV file. When its series are the run's own and none is longer than
        H, the file is their continuation (an M4 test file); otherwise its last H points per
        series are held out and forecast from the rest."""
        from rnnkit.forecast.api import as_series

        fc = self._attach(model)
        data = as_series(path, self.config.data.fill)
        own = fc.prepared.series
        if set(data.ids) == set(own.ids) and max(data.lengths) <= fc.horizon:
            return fc.evaluate(own, test=data)
        return fc.evaluate(data)

    def predictions(self, model, state=None) -> pd.DataFrame:
        return self._attach(model).predict()

    def plots(self, model, plots_dir: Path, state=None):
        from rnnkit.forecast.plots import error_by_step, forecast_vs_actual

        fc = self._attach(model)
        p = fc.prepared
        if self.test_values is not None:
            actual, f = self.test_values, fc.forecast_array()
            history = p.series.values
        elif self.config.data.test_size:
            f, actual = fc.test_forecast()
            t = self.config.data.test_size
            history = [v[: len(v) - t] for v in p.series.values]
        else:
            return []
        qs = fc.net.quantiles if fc.net.loss == "quantile" else []
        return [
            (
                "Forecasts against actuals (test part)",
                forecast_vs_actual(
                    history, actual, f, p.series.ids, qs, plots_dir / "forecasts.png"
                ),
            ),
            (
                "Error by horizon step (test part)",
                error_by_step(actual, f[..., fc._point_index()], plots_dir / "error_by_step.png"),
            ),
        ]


__all__ = ["ForecastTask"]
