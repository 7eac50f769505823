"""Probabilistic forecasts: non-crossing quantiles, conformal intervals, MSIS and CRPS,
recursive forecasts past the trained horizon, Series input and NeuralForecast frames."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
import torch

from rnnkit.forecast import Forecaster
from rnnkit.metrics import probabilistic as pm
from rnnkit.models.forecasting import ForecastModel, build_forecaster
from rnnkit.tasks import forecast_calibration as calibration
from rnnkit.tasks.forecast_predict import nixtla_name


@pytest.mark.parametrize("kind", ["direct", "segrnn", "mlp", "linear", "autoregressive"])
def test_quantile_forecasts_never_cross_on_random_inputs(kind):
    torch.manual_seed(0)
    levels = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
    cfg = ForecastModel(kind=kind, hidden_size=8, loss="quantile", quantiles=levels)
    model = build_forecaster(cfg, input_length=24, horizon=6, season=12).eval()
    for p in model.parameters():  # large random weights make raw outputs cross freely
        torch.nn.init.normal_(p, std=3.0)
    with torch.no_grad():
        out, _ = model(torch.randn(64, 24) * 10)
    assert out.shape == (64, 6, len(levels))
    assert bool((out.diff(dim=-1) >= 0).all())


def test_unsorted_quantile_levels_are_refused():
    from rnnkit.errors import ConfigError

    cfg = ForecastModel(kind="mlp", loss="quantile", quantiles=[0.5, 0.1, 0.9])
    with pytest.raises(ConfigError, match=r"^quantiles must be increasing, received \[0.5, 0.1"):
        build_forecaster(cfg, 12, 4)


def test_crps_and_msis_known_answers():
    rng = np.random.default_rng(0)
    # a point mass: CRPS is the absolute error
    assert pm.crps_samples([[2.0]], np.full((50, 1, 1), 5.0)) == pytest.approx(3.0)
    # N(0, 1) at y = 0.5: the closed form of Gneiting and Raftery (2007)
    y, z = 0.5, 0.5
    normal = NormalDist()
    exact = z * (2 * normal.cdf(z) - 1) + 2 * normal.pdf(z) - 1 / math.sqrt(math.pi)
    samples = rng.standard_normal((20000, 1, 1))
    assert pm.crps_samples([[y]], samples) == pytest.approx(exact, abs=0.01)
    levels = np.linspace(0.005, 0.995, 199)
    quantiles = np.array([normal.inv_cdf(q) for q in levels]).reshape(1, 1, -1)
    assert pm.crps_quantiles([[y]], quantiles, levels) == pytest.approx(exact, abs=0.01)
    # MSIS by hand: width 2, one miss of 1 below at alpha 0.05 adds 40, scale 2
    value = pm.msis([[0.0, 5.0]], [[1.0, 4.0]], [[3.0, 6.0]], [np.array([0.0, 2.0, 4.0])], m=1)
    assert value == pytest.approx(((2 + 40) + 2) / 2 / 2)


def test_conformal_intervals_cover_their_level_on_known_noise():
    rng = np.random.default_rng(1)
    S, H = 400, 12
    history = [np.cumsum(rng.normal(size=60)) for _ in range(S)]
    scales = calibration.scales_of(history, 1)
    noise = lambda: rng.normal(scale=1.5, size=(S, H)) * scales[:, None]  # noqa: E731
    cal = calibration.fit(noise(), scales, [0.8, 0.95])
    assert cal["levels"] == [0.025, 0.1, 0.9, 0.975] and not cal["pooled"]
    point = rng.normal(size=(S, H)) * 10
    bands = calibration.intervals(cal, point, scales)
    actual = point + noise()
    for lo, hi, nominal in ((1, 2, 0.80), (0, 3, 0.95)):
        covered = float(((actual >= bands[..., lo]) & (actual <= bands[..., hi])).mean())
        assert abs(covered - nominal) <= 0.03, (nominal, covered)
    longer = calibration.intervals(cal, np.zeros((S, 2 * H)), scales)  # past H: wider
    assert (longer[:, -1, 3] > longer[:, H - 1, 3]).all()


def seasonal_series(n=120, period=12):
    t = np.arange(n)
    index = pd.date_range("2010-01-01", periods=n, freq="MS")
    values = 100 + 10 * np.sin(2 * np.pi * t / period) + 0.5 * t
    return pd.Series(values, index=index, name="sales")


def test_a_series_with_a_datetime_index_is_accepted_and_frames_have_both_styles():
    fc = Forecaster("mlp", horizon=6, input_length=24, hidden_size=8, epochs=2)
    fc.fit(seasonal_series())
    long = fc.predict()
    assert list(long.columns) == [
        "id",
        "timestamp",
        "step",
        "value",
        "q0.025",
        "q0.1",
        "q0.9",
        "q0.975",
    ]
    assert long["id"].iloc[0] == "sales" and long["timestamp"].iloc[0] == pd.Timestamp("2020-01-01")
    nixtla = fc.predict(frame="nixtla")
    assert list(nixtla.columns) == [
        "unique_id",
        "ds",
        "mlp",
        "mlp-lo-95",
        "mlp-lo-80",
        "mlp-hi-80",
        "mlp-hi-95",
    ]
    np.testing.assert_array_equal(nixtla["mlp"], long["value"])
    assert (nixtla_name("m", 0.5), nixtla_name("m", 0.025)) == ("m-median", "m-lo-95")
    assert set(fc.metrics) >= {"coverage_80", "coverage_95", "msis", "crps"}


def test_recursive_forecast_equals_feeding_the_first_block_back_by_hand():
    series = seasonal_series()
    fc = Forecaster("direct", horizon=6, input_length=24, hidden_size=8, epochs=2)
    fc.fit(series)
    first = fc.predict()
    twelve = fc.predict(horizon=12)
    np.testing.assert_allclose(twelve["value"].iloc[:6], first["value"])
    extended = pd.concat(
        [series, pd.Series(first["value"].to_numpy(), index=first["timestamp"], name="sales")]
    )
    by_hand = fc.predict(data=extended)
    np.testing.assert_allclose(twelve["value"].iloc[6:], by_hand["value"], rtol=1e-6)
    width = lambda f: (f["q0.975"] - f["q0.025"]).to_numpy()  # noqa: E731
    assert (width(twelve)[6:] > width(twelve)[:6]).all()  # the fed-back blocks are wider


@pytest.mark.parametrize("kind", ["gaussian", "student_t", "negbin"])
def test_likelihood_log_densities_equal_torch_distributions(kind):
    from rnnkit.models.forecasting.likelihood import Likelihood

    torch.manual_seed(0)
    lik = Likelihood(kind)
    params = lik.params(torch.randn(50, lik.size, dtype=torch.float64))
    if kind == "gaussian":
        y = torch.randn(50, dtype=torch.float64) * 2
        ref = torch.distributions.Normal(params[:, 0], params[:, 1])
    elif kind == "student_t":
        y = torch.randn(50, dtype=torch.float64) * 3
        ref = torch.distributions.StudentT(params[:, 2], params[:, 0], params[:, 1])
    else:
        y = torch.randint(0, 20, (50,)).double()
        m, alpha = params[:, 0], params[:, 1]
        r = 1 / alpha  # torch: total_count r, probs p of a "success", mean r p / (1 - p)
        ref = torch.distributions.NegativeBinomial(r, probs=m / (m + r))
    torch.testing.assert_close(lik.log_prob(params, y), ref.log_prob(y))


def test_deepar_sampling_is_reproducible_and_its_quantiles_are_the_forecast():
    fc = Forecaster(
        "autoregressive",
        horizon=6,
        input_length=24,
        hidden_size=8,
        epochs=2,
        net=ForecastModel(loss="gaussian", num_samples=64),
    )
    fc.fit(seasonal_series())
    paths = fc.predictor.sample_paths()
    assert paths.shape == (64, 1, 6)
    np.testing.assert_array_equal(paths, fc.predictor.sample_paths())  # a fixed seed
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    fc.predictor.sample_paths()
    assert torch.equal(torch.rand(1), before)  # the global generator is left as it was
    frame = fc.predict()
    assert list(frame.columns)[3:] == ["value", "q0.025", "q0.1", "q0.5", "q0.9", "q0.975"]
    np.testing.assert_allclose(frame["q0.9"], np.quantile(paths, 0.9, axis=0)[0])
    np.testing.assert_array_equal(frame["value"], frame["q0.5"])
    with pytest.raises(ValueError, match="^model.loss 'gaussian' \\(a likelihood\\) needs"):
        build_forecaster(ForecastModel(kind="segrnn", loss="gaussian"), 24, 6)
