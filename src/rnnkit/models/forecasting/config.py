"""The ``[model]`` section of task ``forecast``: which network (or baseline) and its sizes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rnnkit.config import NON_NEGATIVE, OPEN_UNIT, POSITIVE, ModelConfig, Range
from rnnkit.models.forecasting.losses import LOSSES

NETWORK_KINDS = ("direct", "autoregressive", "segrnn", "stateful", "mlp", "linear")
BASELINE_KINDS = ("naive", "seasonal_naive", "drift", "mean", "naive2")
KINDS = ("auto",) + NETWORK_KINDS + BASELINE_KINDS + ("ensemble",)  # a baseline and an
# ensemble of runs are kinds with nothing to train


@dataclass
class ForecastModel(ModelConfig):
    kind: str = "auto"  # auto (settings and an ensemble chosen on validation, see
    # rnnkit.api.forecast_auto), a network (direct | autoregressive | segrnn | stateful |
    # mlp | linear) or a baseline (naive | seasonal_naive | drift | mean | naive2)
    auto_kind: str = "segrnn"  # the network that kind = "auto" trains
    runs: list[str] = field(default_factory=list)  # kind = "ensemble": the member run folders,
    # relative to the ensemble's own folder
    cell: str = "gru"  # GRUs train fastest here for the same accuracy (benchmarks/RESULTS.md)
    hidden_size: int = 128
    segment_length: int = 0  # W for segrnn (0 = season, else 12); L and H are cut into W-steps
    revin: str = "last"  # per-window normalisation: last | mean | none (stateful: none)
    id_embedding: int = 0  # size of a learned embedding of the series id (0 = none)
    loss: str = "mae"  # mse | mae | quantile | gaussian | student_t | negbin (likelihoods,
    # for kind = "autoregressive": DeepAR, forecasts are quantiles of sampled paths)
    num_samples: int = 200  # likelihood models: sample paths per forecast
    quantiles: list[float] = field(default_factory=list)  # e.g. [0.1, 0.5, 0.9] for intervals
    teacher_forcing: bool = True  # autoregressive: feed true values while training
    burn_in: int = 0  # stateful: window steps without loss, to warm the state up (0 = L // 4)
    members: int = 1  # an ensemble of this many networks trained together (median forecast)
    member_lengths: list[int] = field(default_factory=list)  # look-back of each member
    # (default: all data.input_length); e.g. [96, 168] with members = 4 cycles them
    intervals: list[float] = field(default_factory=lambda: [0.8, 0.95])  # central intervals
    # calibrated on the validation window (split conformal) for point forecasts ([] = none)

    choices: ClassVar[dict[str, tuple]] = {
        "kind": KINDS,
        "loss": LOSSES,
        "auto_kind": NETWORK_KINDS,
        "revin": ("last", "mean", "none"),
    }
    ranges: ClassVar[dict[str, Range]] = {
        **dict.fromkeys(("segment_length", "id_embedding", "burn_in"), NON_NEGATIVE),
        **dict.fromkeys(("members", "num_samples"), POSITIVE),
        **dict.fromkeys(("member_lengths",), POSITIVE),
        "intervals": OPEN_UNIT,
        "quantiles": OPEN_UNIT,
    }

    @property
    def is_baseline(self) -> bool:
        return self.kind in BASELINE_KINDS

    @property
    def trains(self) -> bool:
        """False for the kinds with nothing to train: baselines and ensembles of runs."""
        return self.kind not in BASELINE_KINDS + ("ensemble",)


__all__ = ["ForecastModel", "KINDS", "NETWORK_KINDS", "BASELINE_KINDS"]
