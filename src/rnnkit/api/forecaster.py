"""``Forecaster``: forecasting in five lines, on the same engine and run folders as the CLI.

>>> from rnnkit.forecast import Forecaster                                  # doctest: +SKIP
>>> fc = Forecaster("segrnn", horizon=24).fit(frame)        # long, wide, M4 or a CSV path
>>> fc.predict()                                  # id, timestamp, step, value (+ quantiles)
>>> fc.backtest(n_windows=3)                      # rolling origins: metrics per window
>>> fc.save("runs/air"); Forecaster.load("runs/air").predict()          # the same numbers

A thin facade: it builds a :class:`~rnnkit.config.Config` of task ``forecast``, trains it with
:func:`rnnkit.train.fit` into a run folder (``out``, or a temporary folder that :meth:`save`
copies), and hands prediction to :class:`~rnnkit.tasks.forecast_predict.ForecastPredictor`.
So ``Forecaster(...).fit("x.csv")``, ``rnnkit forecast train --data x.csv`` and ``rnnkit train``
on the same settings train the same model to the last digit.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import shutil
import tempfile
import weakref
from pathlib import Path

import pandas as pd

from rnnkit.api.runs import train_run
from rnnkit.config import CELLS, Config, config_from_dict
from rnnkit.errors import ConfigError, RnnkitError, RunError
from rnnkit.io import atomic_write_bytes
from rnnkit.models.forecasting import KINDS, ForecastModel
from rnnkit.tasks import forecast_eval
from rnnkit.tasks.forecast import ForecastTask
from rnnkit.tasks.forecast_data import IN_MEMORY, ForecastData, ForecastTrain, read_series
from rnnkit.tasks.runs import load_run
from rnnkit.train import read_metrics
from rnnkit.train.folder import LOCK, PID, holds_run, open_run
from rnnkit.train.run import RunDir


class Forecaster:
    """A global forecaster over many series.

    Args:
        model: ``auto`` (settings and an ensemble chosen on validation within
            ``train.time_budget``, see :mod:`rnnkit.api.forecast_auto`), a network kind or a
            baseline (``rnnkit.models.forecasting.KINDS``), or a cell name (rnn, lstm, gru,
            jordan) for the SegRNN-style network with that cell.
        horizon: H, the steps forecast at once.
        input_length, season: L and the seasonal period m (0 = automatic).
        cell, hidden_size, quantiles: shortcuts for the same fields of ``net``.
        epochs, seed: shortcuts for the same fields of ``train``.
        data, net, train: whole sections (:class:`ForecastData`, :class:`ForecastModel`,
            :class:`ForecastTrain`); the shortcuts above override them.
    """

    def __init__(
        self,
        model: str = "auto",
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
        train: ForecastTrain | None = None,
    ) -> None:
        if model in CELLS:
            model, cell = "segrnn", cell or model
        if model not in KINDS:
            close = difflib.get_close_matches(str(model), KINDS + CELLS, n=1)
            raise ConfigError(
                f"model must be one of {', '.join(KINDS)} (or a cell: {', '.join(CELLS)}), "
                f"received {model!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            )
        if not isinstance(horizon, int) or isinstance(horizon, bool) or horizon < 1:
            raise ConfigError(f"horizon must be a positive integer, received {horizon!r}")
        if quantiles is not None and not isinstance(quantiles, (list, tuple)):
            raise ConfigError(
                f"quantiles must be a list of numbers in (0, 1), e.g. [0.1, 0.5, 0.9], "
                f"received {quantiles!r}"
            )
        raw = {
            "task": "forecast",
            "data": _fields(
                data, horizon=horizon, input_length=input_length or None, season=season or None
            ),
            "model": _fields(net, kind=model, cell=cell, hidden_size=hidden_size),
            "train": _fields(train, epochs=epochs, seed=seed),
        }
        if quantiles:
            raw["model"].update(quantiles=list(quantiles), loss="quantile")
        self.config: Config = config_from_dict(raw)  # resolved by fit (L, m, held-out sizes)
        self._settings = copy.deepcopy(self.config)  # as given, for every fit
        self.run_dir: Path | None = None
        self.metrics: dict[str, float] = {}
        self._predictor = None
        self.auto = None  # what model "auto" chose (rnnkit.api.forecast_auto.AutoResult)

    # ---- training -----------------------------------------------------------------------
    def fit(
        self,
        data,
        test=None,
        *,
        out: str | Path | None = None,
        overwrite: bool = False,
        quiet: bool = True,
    ) -> Forecaster:
        """Train on ``data`` (DataFrame, CSV path, ``rnnkit:NAME`` or SeriesSet) and score the
        test part (or ``test``, a separate test set as in M4: the next H values of each
        series). The run folder is ``out`` (default a temporary folder; see :meth:`save`)."""
        config = copy.deepcopy(self._settings)
        config.data = dataclasses.replace(config.data, train=_source(data), test=_source(test))
        series, test_series = read_series(data, config.data), None
        if test is not None:
            test_series = read_series(test, config.data)
        if out is None:
            out = tempfile.mkdtemp(prefix="rnnkit-forecaster-")
            weakref.finalize(self, shutil.rmtree, out, True)
        task = ForecastTask(config, series=series, test=test_series)
        result = train_run(config, out, task=task, quiet=quiet, overwrite=overwrite, report=False)
        if config.model.kind == "auto":  # the result is another run's: read it back
            loaded = load_run(result.run_dir)
            config, task, self.auto = loaded.config, loaded.task, result.auto
        self._attach(result.run_dir, config, task, result.model, result.metrics)
        return self

    def _attach(self, run_dir, config, task, model, final: dict) -> None:
        self.run_dir, self.config = Path(run_dir), config
        self._predictor = task.predictor(model)
        self.metrics = {k[5:]: v for k, v in final.items() if k.startswith("test_")}

    @property
    def predictor(self):
        """The :class:`~rnnkit.tasks.forecast_predict.ForecastPredictor` of the trained model."""
        if self._predictor is None:
            raise RnnkitError("call fit(data) (or Forecaster.load) before predicting")
        return self._predictor

    @property
    def model(self):
        """The trained network (or baseline) in eval mode."""
        return self.predictor.model

    @property
    def history(self) -> list[dict]:
        """The rows of the run's ``metrics.csv`` (training loss, validation loss, lr...)."""
        self.predictor  # noqa: B018 - raises before fit
        return read_metrics(self.run_dir / "metrics.csv").rows

    # ---- forecasting and scoring (the predictor's) ------------------------------------------
    def predict(
        self, horizon: int | None = None, future=None, data=None, frame: str = "long"
    ) -> pd.DataFrame:
        """``id, timestamp, step, value`` (+ ``q<level>``) after the end of the data; past H
        recursively (see :meth:`~rnnkit.tasks.forecast_predict.ForecastPredictor.predict`)."""
        return self.predictor.predict(horizon, future, data, frame=frame)

    def forecast_array(self, future_covariates: dict | None = None):
        """The numbers of :meth:`predict`, ``(S, H, Q)`` in data units."""
        return self.predictor.forecast_array(future_covariates)

    def update(self, new_values: dict[str, list[float]]) -> pd.DataFrame:
        """Stateful kind: advance the carried state over new values only, then predict."""
        return self.predictor.update(new_values)

    def evaluate(self, data, test=None) -> dict[str, float]:
        """Scores on new data (see :func:`rnnkit.tasks.forecast_eval.evaluate`)."""
        return forecast_eval.evaluate(self.predictor, data, test)

    def backtest(self, data=None, n_windows: int = 3, step: int | None = None) -> pd.DataFrame:
        """Rolling-origin scores (see :func:`rnnkit.tasks.forecast_eval.backtest`)."""
        return forecast_eval.backtest(self.predictor, data, n_windows, step)

    def plot(self, folder: str | Path, series: list[str] | None = None) -> list[Path]:
        """``forecasts.png`` (the last H points re-forecast, for the ``series`` ids, default
        the first four) and ``error_by_step.png`` in ``folder``."""
        return forecast_eval.plot_last_horizon(self.predictor, Path(folder), series)

    # ---- the run folder ---------------------------------------------------------------------
    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """Copy the run folder to ``path``. A folder that holds a run is refused unless
        ``overwrite``; then the copy is made beside it and replaces it only once complete. A
        folder that holds other files is never replaced."""
        path = Path(path)
        self.predictor  # noqa: B018 - raises before fit
        if path.resolve() == self.run_dir.resolve():
            return path
        if holds_run(path) and not overwrite:
            raise RunError(f"{path} already holds a run; pass overwrite=True to replace it")
        with open_run(path, overwrite=overwrite) as run:
            shutil.copytree(
                self.run_dir,
                run.path,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns(LOCK, PID),
                copy_function=lambda src, dst: atomic_write_bytes(dst, Path(src).read_bytes()),
            )
        return path

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        """The forecaster of a run folder (any door's); it predicts what the saved one did."""
        loaded = load_run(path)
        fc = cls.__new__(cls)
        fc._settings = copy.deepcopy(loaded.config)
        fc._attach(loaded.path, loaded.config, loaded.task, loaded.model, {})
        final = RunDir(loaded.path).read_final_metrics()  # {} when the run has none
        fc.metrics = {k[5:]: v for k, v in final.items() if k.startswith("test_")}
        return fc


def _fields(section, **shortcuts) -> dict:
    """A section as a dict of its fields, with the shortcuts that are set on top."""
    values = dataclasses.asdict(section) if section is not None else {}
    values.update({k: v for k, v in shortcuts.items() if v is not None})
    return values


def _source(data) -> str:
    """What ``data.train``/``data.test`` record: the path, or that the data was in memory."""
    if data is None:
        return ""
    return str(data) if isinstance(data, (str, Path)) else IN_MEMORY


__all__ = ["Forecaster", "ForecastData", "ForecastModel", "ForecastTrain"]
