import numpy as np
import pytest

from rnnkit.models.forecasting import baselines


def test_seasonal_naive_forecasts_a_pure_seasonal_series_exactly():
    pattern = np.array([3.0, 7.0, 1.0, 9.0, 4.0])
    x = np.tile(pattern, 6)  # 30 points, m = 5
    future = np.tile(pattern, 3)[:12]
    np.testing.assert_array_equal(baselines.seasonal_naive(x, 12, 5), future)


def test_drift_forecasts_a_linear_trend_exactly():
    x = 2.5 + 0.75 * np.arange(40)
    future = 2.5 + 0.75 * np.arange(40, 50)
    np.testing.assert_allclose(baselines.drift(x, 10), future, rtol=0, atol=1e-12)


def test_naive_and_mean():
    x = np.array([1.0, 5.0, 3.0])
    np.testing.assert_array_equal(baselines.naive(x, 2), [3.0, 3.0])
    np.testing.assert_array_equal(baselines.mean(x, 2), [3.0, 3.0])


def test_naive2_is_naive_without_seasonality_and_exact_on_a_multiplicative_season():
    rng = np.random.default_rng(0)
    noise = 100 + rng.normal(size=60)
    assert not baselines.is_seasonal(noise, 12)
    np.testing.assert_array_equal(baselines.naive2(noise, 6, 12), baselines.naive(noise, 6))
    figure = np.array([0.5, 1.0, 1.5, 1.0])  # mean 1
    x = 10.0 * np.tile(figure, 10)  # flat level 10 times the seasonal figure
    assert baselines.is_seasonal(x, 4)
    np.testing.assert_allclose(baselines.seasonal_indices(x, 4), figure)
    np.testing.assert_allclose(baselines.naive2(x, 8, 4), 10.0 * np.tile(figure, 2))


def test_too_short_series_for_seasonal_test_is_not_seasonal():
    assert not baselines.is_seasonal(np.arange(10.0), 4)


def test_forecast_by_name_refuses_unknown_baselines():
    with pytest.raises(
        ValueError,
        match="baseline must be one of naive, seasonal_naive, drift, mean, naive2, received 'nave'",
    ):
        baselines.forecast("nave", [np.ones(5)], 2)
    out = baselines.forecast("naive", [np.ones(5), np.arange(7.0)], 3)
    assert out.shape == (2, 3)


def test_naive2_on_series_with_zeros_keeps_numpy_quiet():
    """A seasonal series that falls to zero: the trend is 0 there and the ratios 0/0."""
    import warnings

    t = np.arange(120)
    half = np.where(t < 60, 10 + 5 * np.sin(2 * np.pi * t / 12), 0.0)
    zeros = np.zeros(48)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(baselines.naive2(half, 6, 12), np.zeros(6))
        np.testing.assert_array_equal(baselines.naive2(zeros, 6, 12), np.zeros(6))
        spikes = np.tile([0.0] * 11 + [12.0], 6)  # seasonal; moving average never 0
        assert np.isfinite(baselines.naive2(spikes, 12, 12)).all()
