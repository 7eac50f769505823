import numpy as np
import pandas as pd
import pytest
import torch

from rnnkit.data.calendar import calendar, calendar_names
from rnnkit.errors import DataError
from rnnkit.forecast import ForecastData, Forecaster


def test_calendar_features_follow_the_frequency():
    assert calendar_names("h") == ["hour_sin", "hour_cos", "weekday_sin", "weekday_cos"]
    assert calendar_names("MS") == ["month_sin", "month_cos"]
    feats = calendar(pd.date_range("2024-01-01", periods=3, freq="6h"), ["hour_sin", "hour_cos"])
    np.testing.assert_allclose(feats, [[0, 1], [1, 0], [0, -1]], atol=1e-12)


def long_frame(n=120):
    t = np.arange(n)
    stamps = pd.date_range("2024-01-01", periods=n, freq="D")
    rows = []
    for sid, level in (("x", 10.0), ("y", 20.0)):
        promo = (t % 7 == 0).astype(float)
        rows.append(
            pd.DataFrame(
                {
                    "id": sid,
                    "timestamp": stamps,
                    "value": level + 5 * promo,
                    "promo": promo,
                    "visits": level + t * 0.1,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_known_and_past_covariates_reach_the_model_and_the_future_of_past_ones_never_does():
    frame = long_frame()
    data = ForecastData(calendar=True, known_covariates=["promo"], past_covariates=["visits"])
    fc = Forecaster("direct", horizon=7, input_length=14, hidden_size=8, epochs=1, data=data)
    fc.fit(frame)
    p = fc.predictor.prepared
    assert p.feature_names == [
        "weekday_sin",
        "weekday_cos",
        "yearday_sin",
        "yearday_cos",
        "promo",
        "visits",
    ]
    batch = p.batch(p.windows["train"])
    assert batch["past"].shape[-1] == 6
    assert torch.all(batch["future"][..., -1] == 0)  # past-only covariate hidden in the future
    assert torch.any(batch["future"][..., -2] != 0)  # known covariate visible
    with pytest.raises(DataError, match="known covariate 'promo' needs its next 7 values"):
        fc.predict()
    future = pd.DataFrame(
        {
            "id": np.repeat(["x", "y"], 7),
            "timestamp": list(pd.date_range("2024-04-30", periods=7)) * 2,
            "value": 0.0,
            "promo": 1.0,
            "visits": 0.0,
        }
    )
    pred = fc.predict(future=future)
    assert len(pred) == 14


def test_missing_covariate_columns_are_named():
    data = ForecastData(known_covariates=["price"])
    with pytest.raises(
        DataError,
        match=r"covariate columns not in the data: price \(covariate "
        r"columns found: promo, visits\)",
    ):
        Forecaster("mlp", horizon=7, input_length=14, data=data).fit(long_frame())


def test_id_embedding_model_trains_on_many_series():
    from rnnkit.forecast import ForecastModel

    fc = Forecaster(
        "segrnn",
        horizon=7,
        input_length=14,
        epochs=1,
        net=ForecastModel(id_embedding=4, hidden_size=16, segment_length=7),
    )
    fc.fit(long_frame())
    assert fc.model.embed.weight.shape == (2, 4)


@pytest.mark.parametrize(
    "freq, names",
    [
        ("h", ["hour", "weekday"]),
        ("15min", ["hour", "weekday"]),
        ("D", ["weekday", "yearday"]),
        ("W-SUN", ["month"]),
        ("MS", ["month"]),
        ("QS-OCT", ["month"]),
        ("YS", []),
    ],
)
def test_calendar_features_of_sub_daily_to_yearly_frequencies(freq, names):
    from rnnkit.data.calendar import calendar_names

    assert calendar_names(freq) == [f"{n}_{f}" for n in names for f in ("sin", "cos")]
