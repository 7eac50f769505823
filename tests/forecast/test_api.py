import numpy as np
import pandas as pd
import pytest
import torch

from rnnkit.errors import DataError, RnnkitError
from rnnkit.forecast import Forecaster, ForecastTrain


def test_five_line_workflow_and_save_load_identity(seasonal_frame, tmp_path):
    fc = Forecaster("segrnn", horizon=12, hidden_size=16, epochs=3).fit(seasonal_frame)
    assert set(fc.metrics) >= {"smape", "mase", "mae", "rmse", "owa"}
    pred = fc.predict()
    assert list(pred.columns) == ["id", "timestamp", "step", "value"] + [
        "q0.025",
        "q0.1",
        "q0.9",
        "q0.975",  # the default 80% and 95% calibrated intervals
    ]
    assert len(pred) == 3 * 12 and pred["timestamp"].iloc[0] == pd.Timestamp("2024-01-11")
    back = fc.backtest(n_windows=2)
    assert len(back) == 6 and list(back.attrs["summary"].index) == [1, 2]
    fc.save(tmp_path / "run")
    again = Forecaster.load(tmp_path / "run")
    pd.testing.assert_frame_equal(again.predict(), pred, check_exact=True)
    assert again.metrics == fc.metrics


@pytest.mark.parametrize("kind", ["direct", "autoregressive", "mlp", "linear", "stateful"])
def test_every_network_saves_and_loads_to_identical_forecasts(seasonal_frame, tmp_path, kind):
    fc = Forecaster(
        kind, horizon=6, input_length=24, hidden_size=8, epochs=1, quantiles=[0.1, 0.5, 0.9]
    ).fit(seasonal_frame)
    pred = fc.predict()
    assert list(pred.columns) == ["id", "timestamp", "step", "value", "q0.1", "q0.5", "q0.9"]
    fc.save(tmp_path / kind)
    pd.testing.assert_frame_equal(
        Forecaster.load(tmp_path / kind).predict(), pred, check_exact=True
    )


def test_network_learns_a_seasonal_pattern_better_than_naive(seasonal_frame):
    net = Forecaster(
        "segrnn", horizon=24, hidden_size=32, epochs=15, train=ForecastTrain(batch_size=32, lr=3e-3)
    ).fit(seasonal_frame)
    naive = Forecaster("naive", horizon=24).fit(seasonal_frame)
    assert net.metrics["mase"] < 0.5 * naive.metrics["mase"]


def test_plots_for_chosen_series(seasonal_frame, tmp_path):
    fc = Forecaster("mlp", horizon=12, epochs=1, quantiles=[0.1, 0.5, 0.9]).fit(seasonal_frame)
    paths = fc.plot(tmp_path, series=["b"])
    assert [p.name for p in paths] == ["forecasts.png", "error_by_step.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
    with pytest.raises(DataError, match="unknown series"):
        fc.plot(tmp_path, series=["zz"])


def test_baselines_through_the_api_match_the_functions(seasonal_frame, tmp_path):
    fc = Forecaster("seasonal_naive", horizon=24).fit(seasonal_frame)
    a = seasonal_frame["a"].to_numpy()
    np.testing.assert_allclose(fc.predict().query("id == 'a'")["value"], a[-24:])
    fc.save(tmp_path / "sn")
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "sn").predict(), fc.predict())


def test_separate_test_set_as_in_m4():
    rng = np.random.default_rng(0)
    full = {f"s{i}": 50 + np.cumsum(rng.normal(size=80)) for i in range(3)}
    train = pd.DataFrame({k: v[:72] for k, v in full.items()})
    test = pd.DataFrame({k: v[72:] for k, v in full.items()})
    fc = Forecaster("naive", horizon=8).fit(train, test=test)
    expected = np.mean(
        [np.abs(v[72:] - v[71]).mean() / np.abs(np.diff(v[:72])).mean() for v in full.values()]
    )
    assert fc.metrics["mase"] == pytest.approx(expected)
    with pytest.raises(DataError, match="test series shorter than horizon=8"):
        Forecaster("naive", horizon=8).fit(train, test=test.iloc[:5])


def test_stateful_update_equals_rereading_the_full_history(seasonal_frame):
    head = seasonal_frame.iloc[:200]
    fc = Forecaster("stateful", horizon=6, input_length=48, hidden_size=8, epochs=1).fit(head)
    torch.manual_seed(0)
    streamed = None
    for lo in range(200, 240, 15):  # three calls with 15, 15 and 10 new points
        chunk = seasonal_frame.iloc[lo : lo + 15]
        streamed = fc.update({c: chunk[c].tolist() for c in ["a", "b", "c"]})
    full = fc.predict(data=seasonal_frame)
    np.testing.assert_allclose(streamed["value"], full["value"], rtol=1e-5, atol=1e-5)
    assert streamed["timestamp"].iloc[0] == pd.Timestamp("2024-01-11")


def test_user_errors_are_named(seasonal_frame):
    with pytest.raises(
        ValueError,
        match="model must be one of auto, direct, autoregressive, segrnn, "
        "stateful, mlp, linear, naive, seasonal_naive",
    ):
        Forecaster("arima", horizon=3)
    with pytest.raises(ValueError, match="horizon must be a positive integer, received 0"):
        Forecaster("naive", horizon=0)
    with pytest.raises(
        DataError,
        match=r"3 series shorter than input_length \+ horizon \+ "
        r"held-out points = 400: 'a' \(240\)",
    ):
        Forecaster("mlp", horizon=100, input_length=100).fit(seasonal_frame)
    fc = Forecaster("naive", horizon=4).fit(seasonal_frame)
    with pytest.raises(ValueError, match=r"^horizon must be a positive integer, received 0$"):
        fc.predict(0)
    with pytest.raises(
        ValueError, match=r"^horizon must be a positive integer, received '3' \(str\)$"
    ):
        fc.predict("3")
    assert len(fc.predict(9)) == 3 * 9  # past the trained H: a baseline just goes on
    with pytest.raises(RnnkitError, match="call fit"):
        Forecaster("naive", horizon=4).predict()


def test_forecasting_after_a_history_shorter_than_the_input_is_refused(seasonal_frame):
    fc = Forecaster("mlp", horizon=6, input_length=24, hidden_size=8, epochs=1)
    fc.fit(seasonal_frame)
    long = seasonal_frame.head(30).melt(id_vars="date", var_name="id", value_name="value")
    short = long[(long["id"] != "b") | (long["date"] < long["date"].iloc[20])]
    with pytest.raises(
        DataError,
        match=r"^1 series shorter than input_length = 24: 'b' \(20\); shorten input_length",
    ):
        fc.predict(data=short)
    assert len(fc.predict(data=long)) == 3 * 6


def test_batched_backtest_equals_reforecasting_each_origin(seasonal_frame):
    fc = Forecaster("direct", horizon=6, input_length=24, hidden_size=8, epochs=1)
    fc.fit(seasonal_frame)
    fast = fc.backtest(n_windows=5, step=1)  # one batch from the prepared tensors
    slow = fc.backtest(data=seasonal_frame, n_windows=5, step=1)  # a history per origin
    cols = ["window", "id", "origin", "smape", "mase", "mae", "rmse"]
    pd.testing.assert_frame_equal(fast[cols], slow[cols], rtol=1e-6)
    assert fast["in_sample"].tolist() == [False] * 15  # all five inside the held-out parts
    with pytest.raises(DataError, match="leaves less history than input_length = 24"):
        fc.backtest(n_windows=300, step=1)
