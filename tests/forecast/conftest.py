from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture
def seasonal_frame():
    """Three hourly series of 240 points: daily pattern, level and slope differ per series."""
    t = np.arange(240)
    stamps = pd.date_range("2024-01-01", periods=240, freq="h").astype(str)
    rng = np.random.default_rng(0)
    cols = {"date": stamps}
    for k, name in enumerate(["a", "b", "c"]):
        cols[name] = (
            10 * (k + 1)
            + 3 * np.sin(2 * np.pi * t / 24 + k)
            + 0.01 * (k + 1) * t
            + 0.1 * rng.normal(size=240)
        )
    return pd.DataFrame(cols)
