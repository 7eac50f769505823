"""Typed settings of a forecaster: the ``[data]`` and ``[model]`` sections of task ``forecast``.

The window vocabulary is the whole of it: a model reads the last ``input_length`` (L) values
and emits the next ``horizon`` (H) values. Training windows slide by ``stride``. Every series
holds out its last ``test_size`` points (default H) for the test and the ``validation_size``
points before them (default H) for validation; training windows end before both, and the
scaler sees only the training rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rnnkit.config import DataConfig, ModelConfig

KINDS = ("direct", "autoregressive", "segrnn", "stateful", "mlp", "linear")
BASELINE_KINDS = ("naive", "seasonal_naive", "drift", "mean", "naive2")


@dataclass
class ForecastData(DataConfig):
    format: str = "auto"  # auto: long, wide (date + numeric columns), M4 or ETT, see forecast.data
    horizon: int = 24  # H, steps forecast at once
    input_length: int = 0  # L, steps the model reads (0 = 2 * max(H, season), whole segments)
    stride: int = 1  # step between consecutive training windows
    season: int = 0  # seasonal period m for MASE and seasonal baselines (0 = from frequency)
    test_size: int = -1  # points held out at the end of each series (-1 = horizon, 0 = none)
    validation_size: int = -1  # points before the test part for validation (-1 = horizon)
    scaler: str = "standard"  # per-series: standard | minmax | robust | meanabs | none
    log: bool = False  # scale log(x) instead of x (positive data; relative errors, as sMAPE)
    fill: str = ""  # missing values: "" = error | interpolate | ffill
    skip_short: bool = False  # drop (with a warning) series too short for L + H, else error
    calendar: bool = False  # add calendar features (hour, weekday, month...) as known inputs
    max_train_windows: int = 0  # keep only the most recent N windows per series (0 = all)
    known_covariates: list[str] = field(default_factory=list)  # columns known in the future
    past_covariates: list[str] = field(default_factory=list)  # columns known only up to now


@dataclass
class ForecastModel(ModelConfig):
    kind: str = "segrnn"  # direct | autoregressive | segrnn | stateful | mlp | linear
    cell: str = "gru"
    hidden_size: int = 128
    segment_length: int = 0  # W for segrnn (0 = season, else 12); L and H are cut into W-steps
    revin: str = "last"  # per-window normalisation: last | mean | none (stateful: none)
    id_embedding: int = 0  # size of a learned embedding of the series id (0 = none)
    loss: str = "mae"  # mse | mae | quantile
    quantiles: list[float] = field(default_factory=list)  # e.g. [0.1, 0.5, 0.9] for intervals
    teacher_forcing: bool = True  # autoregressive: feed true values while training
    burn_in: int = 0  # stateful: window steps without loss, to warm the state up (0 = L // 4)
