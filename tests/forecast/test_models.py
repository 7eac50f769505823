import pytest
import torch

from rnnkit.models.forecasting import AutoregressiveRNN, ForecastModel
from rnnkit.models.forecasting import build_forecaster as build_model
from rnnkit.models.forecasting.base import step_inputs

KINDS = ["direct", "autoregressive", "segrnn", "stateful", "mlp", "linear"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "jordan"])
def test_every_kind_and_cell_gives_n_h_q_and_a_loss(kind, cell):
    torch.manual_seed(0)
    cfg = ForecastModel(
        kind=kind,
        cell=cell,
        hidden_size=8,
        backend="scratch" if cell == "jordan" else "native",
        id_embedding=2,
        loss="quantile",
        quantiles=[0.1, 0.5, 0.9],
        segment_length=4,
    )
    model = build_model(cfg, input_length=12, horizon=6, n_series=3, n_features=2)
    x, y = torch.randn(5, 12), torch.randn(5, 6)
    ids = torch.tensor([0, 1, 2, 0, 1])
    past, future = torch.randn(5, 12, 2), torch.randn(5, 6, 2)
    out, loss = model(x, y, ids, past, future)
    assert out.shape == (5, 6, 3) and loss.dim() == 0
    loss.backward()
    model.eval()
    with torch.inference_mode():
        out, none = model(x, None, ids, past, future)
    assert out.shape == (5, 6, 3) and none is None


def test_autoregressive_teacher_forcing_pass_equals_feeding_true_values_step_by_step():
    torch.manual_seed(0)
    cfg = ForecastModel(kind="autoregressive", cell="lstm", hidden_size=8, loss="mse")
    model = AutoregressiveRNN(cfg, input_length=10, horizon=4)
    x, y = torch.randn(3, 10), torch.randn(3, 4)
    model.train()
    forced, _ = model(x, y)
    # the same thing by hand: the true previous value enters each step
    for h in range(4):
        seen = torch.cat([x, y[:, :h]], 1) - x[:, -1:]  # RevIN "last" subtracts x_L
        out, _ = model.rnn(step_inputs(seen, None, None))
        step = model.head(out[:, -1])[:, 0] + x[:, -1]
        torch.testing.assert_close(forced[:, h, 0], step)


def test_segrnn_needs_whole_segments_and_unknown_kinds_are_named():
    cfg = ForecastModel(kind="segrnn", segment_length=5)
    with pytest.raises(
        ValueError, match="input_length must be a multiple of segment_length=5, received 12"
    ):
        build_model(cfg, 12, 4)
    with pytest.raises(
        ValueError,
        match="model.kind must be one of auto, direct, autoregressive, "
        "segrnn, stateful, mlp, linear, naive, seasonal_naive, drift, mean, naive2, "
        "ensemble, received 'tcn'",
    ):
        build_model(ForecastModel(kind="tcn"), 12, 4)


def test_quantile_loss_needs_quantiles():
    with pytest.raises(ValueError, match=r"loss 'quantile' needs quantiles, e.g. \[0.1, 0.5, "):
        build_model(ForecastModel(kind="mlp", loss="quantile"), 12, 4)


def test_an_ensemble_forecasts_the_median_of_its_members_over_their_lookbacks():
    torch.manual_seed(0)
    cfg = ForecastModel(kind="direct", hidden_size=8, members=3, member_lengths=[12, 24])
    model = build_model(cfg, 24, 4).eval()
    assert [m.input_length for m in model.members] == [12, 24, 12]
    x, y = torch.randn(5, 24), torch.randn(5, 4)
    with torch.no_grad():
        out, loss = model(x, y)
        each = [m(x[:, -L:], y) for m, L in zip(model.members, model.lookbacks)]
    torch.testing.assert_close(out, torch.stack([o for o, _ in each]).median(0).values)
    torch.testing.assert_close(loss, torch.stack([l for _, l in each]).mean())
    with pytest.raises(ValueError, match=r"member_lengths must lie in 1..data.input_length = 24"):
        build_model(ForecastModel(kind="mlp", members=2, member_lengths=[48]), 24, 4)


def test_an_ensemble_trains_through_the_engine_and_reloads(tmp_path):
    import numpy as np
    import pandas as pd

    from rnnkit.forecast import Forecaster

    t = np.arange(200)
    frame = pd.DataFrame(
        {"a": 10 + np.sin(2 * np.pi * t / 12), "b": 5 + np.cos(2 * np.pi * t / 12)}
    )
    fc = Forecaster(
        "mlp",
        horizon=6,
        input_length=24,
        hidden_size=8,
        epochs=2,
        net=ForecastModel(members=3, member_lengths=[12, 24]),
    )
    fc.fit(frame, out=tmp_path / "run")
    again = Forecaster.load(tmp_path / "run")
    pd.testing.assert_frame_equal(again.predict(), fc.predict(), check_exact=True)
    assert len(fc.model.members) == 3
