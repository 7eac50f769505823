"""Per-series scalers, fit on training rows only, with JSON state; reversible instance norm.

A scaler maps each series ``x`` to ``(x - loc) / scale`` with one ``(loc, scale)`` per series:

* ``standard``: mean and standard deviation;
* ``minmax``: minimum and range (values land in [0, 1] on the fitted rows);
* ``robust``: median and inter-quartile range;
* ``meanabs``: 0 and the mean absolute value (keeps the sign and zero, as for counts);
* ``none``: 0 and 1.

A zero scale (a constant series) becomes 1, so a constant series maps to a constant. With
``log=True`` the scaler works on ``log x`` (positive series only): errors then become relative,
which suits sMAPE-scored data whose series differ by orders of magnitude (M4). The per-window
normalisation inside the networks is :class:`rnnkit.models.forecasting.revin.RevIN`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnnkit.errors import ConfigError, DataError

SCALERS = ("standard", "minmax", "robust", "meanabs", "none")


class SeriesScaler:
    """Per-series affine scaling. ``fit`` sees only the rows it is given (the training rows)."""

    def __init__(self, kind: str = "standard", log: bool = False) -> None:
        if kind not in SCALERS:
            raise ConfigError(f"data.scaler must be one of {', '.join(SCALERS)}, received {kind!r}")
        self.kind, self.log = kind, log
        self.loc: np.ndarray = np.zeros(0)
        self.scale: np.ndarray = np.ones(0)

    def fit(self, series: Sequence[np.ndarray], ids: Sequence[str] = ()) -> SeriesScaler:
        """Fit one ``(loc, scale)`` per series from the given rows, each ``(n_i,)``; ``ids``
        name the series in errors (default: their positions)."""
        locs, scales = [], []
        for i, x in enumerate(series):
            x = self._forward(x, i)
            loc, scale = self._fit_one(x)
            if not np.isfinite([loc, scale]).all():
                name = ids[i] if len(ids) else i
                raise DataError(
                    f"series {name!r} cannot be scaled ({self.kind}): its values reach "
                    f"{float(np.abs(x).max(initial=0)):g}, too large for float64 arithmetic"
                )
            locs.append(loc)
            scales.append(scale if scale > 0 else 1.0)
        self.loc, self.scale = np.array(locs, dtype=np.float64), np.array(scales, dtype=np.float64)
        return self

    def _fit_one(self, x: np.ndarray) -> tuple[float, float]:
        with np.errstate(over="ignore", invalid="ignore"):
            if self.kind == "standard":
                loc, scale = x.mean(), x.std()
            elif self.kind == "minmax":
                loc, scale = x.min(), x.max() - x.min()
            elif self.kind == "robust":
                q1, med, q3 = np.percentile(x, [25, 50, 75])
                loc, scale = med, q3 - q1
            elif self.kind == "meanabs":
                loc, scale = 0.0, np.abs(x).mean()
            else:
                loc, scale = 0.0, 1.0
        return loc, scale

    def _check(self, i: int) -> None:
        if i >= len(self.loc):
            raise ValueError(f"scaler fitted on {len(self.loc)} series, asked for series {i}")

    def _forward(self, x, i: int) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if not self.log:
            return x
        if (x <= 0).any():
            raise DataError(
                f"log scaling needs positive values: series {i} has "
                f"{int((x <= 0).sum())} values <= 0, the first at position "
                f"{int(np.argmax(x <= 0))}"
            )
        return np.log(x)

    def transform(self, x: np.ndarray, i: int) -> np.ndarray:
        """Scale the values of series ``i``."""
        self._check(i)
        return (self._forward(x, i) - self.loc[i]) / self.scale[i]

    def inverse(self, z: np.ndarray, i: int | np.ndarray) -> np.ndarray:
        """Undo :meth:`transform`; ``i`` may be an index array matching ``z``'s first axis."""
        loc, scale = self.loc[i], self.scale[i]
        if np.ndim(i):
            shape = (-1,) + (1,) * (np.ndim(z) - 1)
            loc, scale = loc.reshape(shape), scale.reshape(shape)
        out = np.asarray(z, dtype=np.float64) * scale + loc
        return np.exp(out) if self.log else out

    def state_dict(self) -> dict:
        """JSON-serialisable state."""
        return {
            "kind": self.kind,
            "log": self.log,
            "loc": self.loc.tolist(),
            "scale": self.scale.tolist(),
        }

    @classmethod
    def from_state(cls, state: dict) -> SeriesScaler:
        scaler = cls(state["kind"], state.get("log", False))
        scaler.loc = np.array(state["loc"], dtype=np.float64)
        scaler.scale = np.array(state["scale"], dtype=np.float64)
        return scaler
