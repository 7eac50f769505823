"""The Forecaster's arguments: each bad one is named with what was received (issue 13)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from rnnkit.data.series import SeriesSet
from rnnkit.errors import ConfigError, DataError
from rnnkit.forecast import Forecaster


def raises(exc, text):
    return pytest.raises(exc, match="^" + re.escape(text) + "$")


def monthly(n=48) -> pd.DataFrame:
    t = np.arange(n)
    return pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=n, freq="MS"),
            "sales": 100 + 10 * np.sin(2 * np.pi * t / 12) + 0.37 * t,
        }
    )


@pytest.fixture(scope="module")
def naive():
    return Forecaster("naive", horizon=6).fit(monthly())


@pytest.fixture(scope="module")
def stateful():
    return Forecaster("stateful", horizon=6, hidden_size=4, epochs=1).fit(monthly())


def test_predict_horizon_names_the_argument_and_what_it_received(naive):
    with raises(ConfigError, "horizon must be a positive integer, received 0"):
        naive.predict(horizon=0)
    with raises(ConfigError, "horizon must be a positive integer, received '3' (str)"):
        naive.predict(horizon="3")
    with raises(ConfigError, "horizon must be a positive integer, received True (bool)"):
        naive.predict(horizon=True)
    assert len(naive.predict(horizon=7)) == 7  # past the trained H = 6: recursive
    assert len(naive.predict(horizon=np.int64(2))) == 2


def test_constructor_arguments(naive):
    with raises(ConfigError, "horizon must be a positive integer, received '3'"):
        Forecaster("naive", horizon="3")
    with raises(
        ConfigError,
        "model.cell must be one of rnn, lstm, gru, jordan, mingru, minlstm, slstm, received 'tcn'",
    ):
        Forecaster("segrnn", horizon=6, cell="tcn")
    with raises(
        ConfigError,
        "model must be one of auto, direct, autoregressive, segrnn, stateful, mlp, linear, "
        "naive, seasonal_naive, drift, mean, naive2, ensemble (or a cell: rnn, lstm, gru, "
        "jordan, mingru, minlstm, slstm), received "
        "'lstn' (did you mean 'lstm'?)",
    ):
        Forecaster("lstn", horizon=6)
    with raises(
        ConfigError,
        "quantiles must be a list of numbers in (0, 1), e.g. [0.1, 0.5, 0.9], received '0.5'",
    ):
        Forecaster("mlp", horizon=6, quantiles="0.5")
    with raises(ConfigError, "model.quantiles must be in (0, 1), received 1.5"):
        Forecaster("mlp", horizon=6, quantiles=[0.5, 1.5])
    with raises(ConfigError, "data.input_length must be >= 0, received -3"):
        Forecaster("mlp", horizon=6, input_length=-3)
    with raises(ConfigError, "model.hidden_size must be positive, received 0"):
        Forecaster("mlp", horizon=6, hidden_size=0)


def test_backtest_arguments(naive):
    with raises(ConfigError, "n_windows must be a positive integer, received '2'"):
        naive.backtest(n_windows="2")
    with raises(ConfigError, "step must be a positive integer, received 0"):
        naive.backtest(step=0)
    assert len(naive.backtest(n_windows=2)) == 2


def test_update_refuses_before_moving_any_state(stateful):
    before = stateful.predict()
    with raises(DataError, "update: series 'sales' needs a non-empty list of numbers, received []"):
        stateful.update({"sales": []})
    with raises(DataError, "update: unknown series 'value'; known: 'sales'"):
        stateful.update({"value": []})
    with raises(
        DataError,
        "update: series 'sales' has a value that is not a finite number at position 1: inf",
    ):
        stateful.update({"sales": [1.0, float("inf")]})
    with raises(
        DataError, "update: series 'sales' needs a non-empty list of numbers, received 'abc'"
    ):
        stateful.update({"sales": "abc"})
    with raises(ConfigError, "update takes a dict {id: [new values]}, received list"):
        stateful.update(["sales"])
    pd.testing.assert_frame_equal(stateful.predict(), before, check_exact=True)
    assert len(stateful.update({"sales": [120.0, 121.0]})) == 6


def test_fit_on_data_with_infinite_values_is_refused_not_scored_nan():
    frame = monthly()
    frame.loc[30, "sales"] = np.inf
    with raises(
        DataError,
        "column 'sales' has an infinite value inf on data row 31; fix it, or leave the cell "
        "empty to mark it missing",
    ):
        Forecaster("mlp", horizon=6, epochs=1).fit(frame)
    with raises(DataError, "series 's' has a value that is not a finite number at position 3: inf"):
        Forecaster("mlp", horizon=6, epochs=1).fit(SeriesSet(["s"], [np.r_[1.0, 2, 3, np.inf]]))


def test_evaluate_a_constant_series_gives_nan_with_warnings(naive):
    flat = monthly()
    flat["sales"] = 5.0
    with pytest.warns(UserWarning) as caught:
        scores = naive.evaluate(flat)
    assert np.isnan(scores["mase"]) and np.isnan(scores["owa"]) and scores["mae"] == 0.0
    assert [str(w.message) for w in caught] == [
        "MASE is undefined for 1 series whose in-sample values repeat exactly every m=12 steps "
        "(a zero scale, e.g. a constant series): 'sales'; reported as NaN",
        "OWA is undefined (MASE is undefined; Naive2's MASE is undefined; Naive2's sMAPE is 0); "
        "reported as NaN",
    ]


def test_an_unknown_cell_is_a_bad_cell_not_a_bad_kind():
    from rnnkit.models.forecasting import ForecastModel, build_forecaster

    for kind in ("segrnn", "direct", "stateful", "autoregressive"):
        with raises(
            ConfigError,
            "model.cell must be one of rnn, lstm, gru, jordan, mingru, minlstm, slstm, "
            "received 'tcn'",
        ):
            build_forecaster(ForecastModel(kind=kind, cell="tcn"), 24, 12)
    with raises(
        ConfigError,
        "model.cell must be one of rnn, lstm, gru, jordan, mingru, minlstm, slstm, received 'tcn'",
    ):
        Forecaster("direct", horizon=6, net=ForecastModel(cell="tcn"))


def test_values_too_large_for_the_arithmetic_are_refused_before_training():
    """Finite but huge: the scaler's float64 overflows, or float32 after scaler 'none'."""
    from rnnkit.forecast import ForecastData

    frame = monthly()
    frame["sales"] *= 1e40
    with raises(
        DataError,
        "series 'sales' has the value 1e+42 at position 0, too large for the networks' "
        "float32 after scaling (data.scaler = 'none')",
    ):
        Forecaster("mlp", horizon=6, epochs=1, data=ForecastData(scaler="none")).fit(frame)
    frame["sales"] *= 1e250
    with raises(
        DataError,
        "series 'sales' cannot be scaled (standard): its values reach 1.1999e+292, too large for "
        "float64 arithmetic",
    ):
        Forecaster("mlp", horizon=6, epochs=1).fit(frame)
