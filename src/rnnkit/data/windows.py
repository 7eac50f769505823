"""Windows over many series, cut chronologically, gathered as tensors in one indexing op.

All series are concatenated into one flat tensor ``values`` ``(T,)`` (``T = sum n_i``) with
``offsets[i]`` the start of series ``i``. A window is ``(series, start)``: input
``values[off + start : off + start + L]`` and target the next H values. For each series of
length ``n`` with held-out ``test`` and ``val`` points (``cut = n - test - val``):

* train windows have targets inside ``[0, cut)``;
* validation windows have targets in ``[cut, n - test)`` (inputs may reach back into train);
* the test window has its target in ``[n - test, n)``.

So no training target ever sees a validation or test value, and no validation target sees
a test value. Windows are aligned on the end: the last train window ends exactly at ``cut``,
then one every ``stride`` steps backwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor


@dataclass
class WindowIndex:
    """Windows as two int64 arrays of equal length: the series and the start of the input."""

    series: np.ndarray
    start: np.ndarray

    def __len__(self) -> int:
        return len(self.series)


def window_starts(n_end: int, length: int, stride: int, first_target: int = 0) -> np.ndarray:
    """Starts ``s`` of windows of total ``length`` (L + H) with ``s + length <= n_end``, the
    last one ending exactly at ``n_end``, and the target start ``s + L >= first_target``."""
    last = n_end - length
    if last < 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.arange(last, -1, -max(1, stride), dtype=np.int64)[::-1]
    return starts


def split_windows(
    lengths,
    input_length: int,
    horizon: int,
    test: int,
    val: int,
    stride: int = 1,
    max_train: int = 0,
) -> dict[str, WindowIndex]:
    """Train, validation and test windows for series of the given ``lengths``.

    Validation windows: every window (stride 1) whose whole target lies in the validation
    part; test: the windows (stride ``horizon``) whose targets tile the test part from its
    start. A part of size 0 has no windows.
    """
    L, H = input_length, horizon
    parts: dict[str, tuple[list, list]] = {
        "train": ([], []),
        "validation": ([], []),
        "test": ([], []),
    }
    for i, n in enumerate(lengths):
        cut = n - test - val
        starts = window_starts(cut, L + H, stride)
        if max_train and len(starts) > max_train:
            starts = starts[-max_train:]
        bounds = {
            "train": starts,
            "validation": (
                np.arange(cut - L, n - test - L - H + 1, H, dtype=np.int64)
                if val >= H
                else np.zeros(0, dtype=np.int64)
            ),
            "test": (
                np.arange(n - test - L, n - L - H + 1, H, dtype=np.int64)
                if test >= H
                else np.zeros(0, dtype=np.int64)
            ),
        }
        for name, s in bounds.items():
            s = s[s >= 0]
            parts[name][0].append(np.full(len(s), i, dtype=np.int64))
            parts[name][1].append(s)
    return {
        name: WindowIndex(
            np.concatenate(a) if a else np.zeros(0, np.int64),
            np.concatenate(b) if b else np.zeros(0, np.int64),
        )
        for name, (a, b) in parts.items()
    }


class FlatSeries:
    """Series concatenated into ``values`` ``(T,)`` and optional features ``(T, F)``."""

    def __init__(self, series: list[np.ndarray], features: list[np.ndarray] | None = None):
        self.lengths = np.array([len(s) for s in series], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.values = torch.from_numpy(np.concatenate(series).astype(np.float32))
        self.features = None
        if features is not None and features[0].shape[1] > 0:
            self.features = torch.from_numpy(np.concatenate(features).astype(np.float32))

    def gather(
        self, index: WindowIndex, rows: np.ndarray | slice, input_length: int, horizon: int
    ) -> dict[str, Tensor]:
        """The batch of windows ``index[rows]``: ``x`` (N, L), ``y`` (N, H), ``ids`` (N,),
        and when there are features ``past`` (N, L, F) and ``future`` (N, H, F)."""
        series = index.series[rows]
        base = self.offsets[series] + index.start[rows]
        pos = torch.from_numpy(base)[:, None] + torch.arange(input_length + horizon)
        block = self.values[pos]
        out = {
            "x": block[:, :input_length],
            "y": block[:, input_length:],
            "ids": torch.from_numpy(series),
        }
        if self.features is not None:
            feats = self.features[pos]
            out["past"], out["future"] = feats[:, :input_length], feats[:, input_length:]
        return out
