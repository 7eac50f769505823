import numpy as np
import pytest
import torch

from rnnkit.data.scaling import SeriesScaler
from rnnkit.data.series import SeriesSet
from rnnkit.data.windows import FlatSeries, split_windows
from rnnkit.models.forecasting import ForecastModel
from rnnkit.models.forecasting.revin import RevIN
from rnnkit.tasks.forecast_data import ForecastData, Prepared, resolve


def test_split_windows_keep_targets_in_their_own_part():
    L, H, test, val = 6, 3, 3, 6
    w = split_windows([40, 30], L, H, test, val, stride=2)
    for name, (lo, hi) in {"train": (0, -9), "validation": (-9, -3), "test": (-3, 0)}.items():
        idx = w[name]
        for s, start in zip(idx.series, idx.start):
            n = [40, 30][s]
            target = np.arange(start + L, start + L + H)
            assert target.min() >= (n + lo if lo else 0) and target.max() < n + hi
    # train windows end exactly at the cut and step back by the stride
    first = w["train"].start[w["train"].series == 0]
    assert first[-1] + L + H == 40 - 9 and np.all(np.diff(first) == 2)
    assert len(w["validation"]) == 4 and len(w["test"]) == 2


def test_gather_cuts_inputs_and_targets_from_the_right_series():
    flat = FlatSeries([np.arange(10.0), 100 + np.arange(8.0)])
    w = split_windows([10, 8], 3, 2, 0, 0)
    batch = flat.gather(w["train"], np.array([len(w["train"]) - 1]), 3, 2)
    torch.testing.assert_close(batch["x"], torch.tensor([[103.0, 104.0, 105.0]]))
    torch.testing.assert_close(batch["y"], torch.tensor([[106.0, 107.0]]))


def test_scalers_fit_on_training_rows_only_and_never_see_the_test_values():
    rng = np.random.default_rng(1)
    values = [rng.normal(size=60) + 5, rng.normal(size=50) * 3]
    data, model = resolve(
        ForecastData(horizon=5, input_length=10),
        ForecastModel(kind="mlp"),
        SeriesSet(["a", "b"], values),
    )
    first = Prepared(SeriesSet(["a", "b"], [v.copy() for v in values]), data)
    changed = [v.copy() for v in values]
    for v in changed:
        v[-10:] = 1e6  # validation and test values replaced by absurd ones
    second = Prepared(SeriesSet(["a", "b"], changed), data)
    np.testing.assert_array_equal(first.scaler.loc, second.scaler.loc)
    np.testing.assert_array_equal(first.scaler.scale, second.scaler.scale)
    assert first.scaler.loc[0] == pytest.approx(values[0][:50].mean())
    tr = first.windows["train"]
    b1, b2 = first.flat.gather(tr, slice(None), 10, 5), second.flat.gather(tr, slice(None), 10, 5)
    torch.testing.assert_close(b1["x"], b2["x"])
    torch.testing.assert_close(b1["y"], b2["y"])
    vb1 = first.flat.gather(first.windows["validation"], slice(None), 10, 5)
    vb2 = second.flat.gather(second.windows["validation"], slice(None), 10, 5)
    torch.testing.assert_close(vb1["x"], vb2["x"])  # validation inputs never reach the test part


@pytest.mark.parametrize("kind", ["standard", "minmax", "robust", "meanabs", "none"])
def test_every_scaler_round_trips_and_serialises(kind):
    x = [np.array([1.0, 4.0, 2.0, 8.0]), np.array([5.0, 5.0, 5.0])]
    sc = SeriesScaler(kind).fit(x)
    again = SeriesScaler.from_state(sc.state_dict())
    for i, v in enumerate(x):
        np.testing.assert_allclose(again.inverse(sc.transform(v, i), i), v)
    if kind == "minmax":
        np.testing.assert_allclose(sc.transform(x[0], 0), [0, 3 / 7, 1 / 7, 1])


def test_log_scaling_round_trips_and_refuses_non_positive_values():
    x = [np.array([1.0, 10.0, 100.0])]
    sc = SeriesScaler("standard", log=True).fit(x)
    np.testing.assert_allclose(sc.transform(x[0], 0), [-1.2247449, 0.0, 1.2247449], rtol=1e-6)
    np.testing.assert_allclose(SeriesScaler.from_state(sc.state_dict()).inverse([0.0], 0), [10.0])
    with pytest.raises(
        ValueError,
        match="log scaling needs positive values: series 0 has 1 "
        "values <= 0, the first at position 1",
    ):
        SeriesScaler("standard", log=True).fit([np.array([1.0, 0.0, 2.0])])


def test_unknown_scaler_is_named():
    with pytest.raises(
        ValueError,
        match="scaler must be one of standard, minmax, robust, meanabs, none, received 'zscore'",
    ):
        SeriesScaler("zscore")


@pytest.mark.parametrize("mode", ["last", "mean", "none"])
def test_revin_is_reversible(mode):
    x = torch.randn(4, 12) * 3 + 7
    norm = RevIN(mode)
    z, stats = norm.normalise(x)
    torch.testing.assert_close(norm.denormalise(z, stats), x)
