"""Ensembles of forecasting runs: the median of several trained runs' forecasts.

A run of ``model.kind = "ensemble"`` names its members in ``model.runs``: trained run folders,
each an ordinary forecast run with its own transform, scaling, look-back and weights. They are
copied into the ensemble's own folder (``members/0``, ...; the saved config names those), so
an ensemble run is self-contained. The ensemble forecasts, in data units, the median
over the members' point forecasts; its intervals are calibrated like any point forecast. It
has nothing to train: the engine scores it, writes its predictions and report, and
``rnnkit forecast predict`` / ``Forecaster.load`` read it like any run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rnnkit.data.series import SeriesSet
from rnnkit.errors import CheckpointError
from rnnkit.tasks.forecast_data import Prepared
from rnnkit.tasks.forecast_predict import ForecastPredictor


def local_names(runs: list[str]) -> list[str]:
    """Where the members live inside the ensemble's folder."""
    return [f"members/{k}" for k in range(len(runs))]


def copy_members(sources: list[Path], run_dir: Path) -> None:
    """Copy the member run folders into ``run_dir/members/<k>`` (every file through the atomic
    write; the members' lock files left behind)."""
    import shutil

    from rnnkit.io import atomic_write_bytes

    for k, source in enumerate(sources):
        if not (Path(source) / "config.toml").is_file():
            raise CheckpointError(f"ensemble member {str(source)!r} is not a run folder")
        shutil.copytree(
            source,
            Path(run_dir) / "members" / str(k),
            ignore=shutil.ignore_patterns(".lock", ".lock.pid"),
            copy_function=lambda src, dst: atomic_write_bytes(dst, Path(src).read_bytes()),
        )


def load_members(run_dir: Path, runs: list[str], series: SeriesSet | None = None) -> list:
    """The member runs of an ensemble (``rnnkit.tasks.runs.LoadedRun``); with ``series``
    their tasks are set up on them (windows, for validation and test forecasts)."""
    from rnnkit.tasks.runs import load_run

    members = []
    for name in runs:
        path = Path(run_dir) / name
        if not (path / "config.toml").is_file():
            raise CheckpointError(f"ensemble member {name!r} is missing: no run at {path}")
        loaded = load_run(path)
        if series is not None:
            loaded.task.series = series
            loaded.task.setup()
        members.append(loaded)
    return members


class EnsemblePredictor(ForecastPredictor):
    """The median of member predictors' point forecasts, ``(S, H, 1)`` in data units."""

    def __init__(self, members: list[ForecastPredictor], prepared, data, net, calibration=None):
        self.members = members
        super().__init__(None, prepared, data, net, calibration)

    @property
    def quantiles(self) -> list[float]:
        return []  # a point forecast: its intervals are calibrated

    def forecast_array(self, future_covariates: dict | None = None) -> np.ndarray:
        points = [m.forecast_array(future_covariates)[..., m.point_index] for m in self.members]
        return np.median(np.stack(points), axis=0)[..., None]

    def split_points(self, split_forecast) -> np.ndarray:
        """The median of the members' ``split_forecast(member)`` point forecasts."""
        points = [split_forecast(m)[0][..., m.point_index] for m in self.members]
        return np.median(np.stack(points), axis=0)[..., None]

    def view(self, series: SeriesSet) -> EnsemblePredictor:
        views = [m.view(series) for m in self.members]
        prepared = Prepared(series, views[0].data, needs_windows=False, state=None)
        return EnsemblePredictor(views, prepared, self.data, self.net, self.calibration)


__all__ = ["EnsemblePredictor", "copy_members", "load_members", "local_names"]
