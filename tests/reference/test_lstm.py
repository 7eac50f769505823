"""rnnkit.reference.lstm against torch.nn.LSTM / LSTMCell, autograd and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnkit.reference import gradient_norms_last_step, lstm_backward, lstm_forward

BIAS = [pytest.param(True, id="bias"), pytest.param(False, id="nobias")]


def make_case(sizes, layer0_params, bias, seed=0):
    """A float64 torch.nn.LSTM, its NumPy parameters, and random x, h0, c0, G, Gh, Gc."""
    L, N, H_in, H = sizes
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(H_in, H, bias=bias).double()
    rng = np.random.default_rng(seed)
    data = {
        "x": rng.standard_normal((L, N, H_in)),
        "h0": 0.5 * rng.standard_normal((N, H)),
        "c0": 0.5 * rng.standard_normal((N, H)),
        "G": rng.standard_normal((L, N, H)),
        "Gh": rng.standard_normal((N, H)),
        "Gc": rng.standard_normal((N, H)),
    }
    return lstm, layer0_params(lstm), data


def numpy_loss(params, data):
    """L = sum(output * G) + sum(h_n * Gh) + sum(c_n * Gc) with the NumPy forward only."""
    output, (h_n, c_n), _ = lstm_forward(data["x"], data["h0"], data["c0"], **params)
    return float(np.sum(output * data["G"]) + np.sum(h_n * data["Gh"]) + np.sum(c_n * data["Gc"]))


def numpy_grads(params, data):
    _, _, cache = lstm_forward(data["x"], data["h0"], data["c0"], **params)
    return lstm_backward(data["G"], data["Gh"], data["Gc"], cache)


def torch_loss(output, h_n, c_n, data):
    return (
        (output * torch.from_numpy(data["G"])).sum()
        + (h_n * torch.from_numpy(data["Gh"])).sum()
        + (c_n * torch.from_numpy(data["Gc"])).sum()
    )


@pytest.mark.parametrize("bias", BIAS)
def test_forward_matches_torch(sizes, layer0_params, tol, bias):
    lstm, params, data = make_case(sizes, layer0_params, bias)
    output, (h_n, c_n), _ = lstm_forward(data["x"], data["h0"], data["c0"], **params)
    state = (torch.from_numpy(data["h0"])[None], torch.from_numpy(data["c0"])[None])
    with torch.no_grad():
        t_out, (t_hn, t_cn) = lstm(torch.from_numpy(data["x"]), state)
    np.testing.assert_allclose(output, t_out.numpy(), **tol["forward"])
    np.testing.assert_allclose(h_n, t_hn[0].numpy(), **tol["forward"])
    np.testing.assert_allclose(c_n, t_cn[0].numpy(), **tol["forward"])


@pytest.mark.parametrize("bias", BIAS)
def test_backward_matches_autograd(
    sizes, layer0_params, grads_of, assert_param_grads_close, tol, bias
):
    lstm, params, data = make_case(sizes, layer0_params, bias, seed=1)
    grads = numpy_grads(params, data)

    x = torch.tensor(data["x"], requires_grad=True)
    h0 = torch.tensor(data["h0"], requires_grad=True)
    c0 = torch.tensor(data["c0"], requires_grad=True)
    t_out, (t_hn, t_cn) = lstm(x, (h0[None], c0[None]))
    torch_loss(t_out, t_hn[0], t_cn[0], data).backward()

    assert_param_grads_close(grads, grads_of(lstm, "_l0"), **tol["grad"])
    np.testing.assert_allclose(grads["input"], x.grad.numpy(), **tol["grad"])
    np.testing.assert_allclose(grads["h0"], h0.grad.numpy(), **tol["grad"])
    np.testing.assert_allclose(grads["c0"], c0.grad.numpy(), **tol["grad"])


@pytest.mark.parametrize("bias", BIAS)
def test_dh_norms_match_autograd(sizes, layer0_params, load_into_cell, tol, bias):
    L, _, H_in, H = sizes
    _, params, data = make_case(sizes, layer0_params, bias, seed=2)
    grads = numpy_grads(params, data)

    cell = torch.nn.LSTMCell(H_in, H, bias=bias).double()
    load_into_cell(cell, params)
    x = torch.from_numpy(data["x"])
    h, c = torch.from_numpy(data["h0"]), torch.from_numpy(data["c0"])
    hs = []
    for t in range(L):
        h, c = cell(x[t], (h, c))
        h.retain_grad()  # keep dL/dh_t, the total derivative
        hs.append(h)
    torch_loss(torch.stack(hs), hs[-1], c, data).backward()

    expected = np.array([h_t.grad.norm().item() for h_t in hs])
    np.testing.assert_allclose(grads["dh_norms"], expected, **tol["grad"])


@pytest.mark.parametrize("bias", BIAS)
def test_finite_differences(sizes, layer0_params, finite_difference_check, bias):
    _, params, data = make_case(sizes, layer0_params, bias, seed=3)
    grads = numpy_grads(params, data)
    finite_difference_check(lambda p: numpy_loss(p, data), params, grads, np.random.default_rng(3))


def test_none_gradients_mean_zero(sizes, layer0_params):
    L, N, _, H = sizes
    _, params, data = make_case(sizes, layer0_params, True, seed=4)
    _, _, cache = lstm_forward(data["x"], data["h0"], data["c0"], **params)
    with_none = lstm_backward(data["G"], None, None, cache)
    with_zeros = lstm_backward(data["G"], np.zeros((N, H)), np.zeros((N, H)), cache)
    for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "input", "h0", "c0", "dh_norms"):
        np.testing.assert_array_equal(with_none[key], with_zeros[key])
    # only a gradient on c_n: dh_norms[L-1] is zero (h_{L-1} does not reach the loss)
    only_c = lstm_backward(None, None, data["Gc"], cache)
    assert only_c["dh_norms"][-1] == 0.0 and only_c["dh_norms"][0] > 0.0


def test_shape_errors_name_argument_and_shapes(sizes, layer0_params):
    _, params, data = make_case(sizes, layer0_params, True)
    with pytest.raises(ValueError) as err:
        lstm_forward(data["x"], data["h0"], data["c0"][:2], **params)
    assert str(err.value) == "c0 must have shape (N, H) = (3, 5), received (2, 5)"

    bad = dict(params, weight_hh=params["weight_hh"][:15])
    with pytest.raises(ValueError) as err:
        lstm_forward(data["x"], data["h0"], data["c0"], **bad)
    assert str(err.value) == "weight_hh must have shape (4*H, H) = (20, 5), received (15, 5)"

    _, _, cache = lstm_forward(data["x"], data["h0"], data["c0"], **params)
    with pytest.raises(ValueError) as err:
        lstm_backward(None, None, data["Gc"].T, cache)
    assert str(err.value) == "d_c_n must have shape (N, H) = (3, 5), received (5, 3)"


def test_gradient_norms_last_step(sizes, layer0_params):
    L, N, _, H = sizes
    _, params, data = make_case(sizes, layer0_params, True, seed=6)
    rng = np.random.default_rng(1)
    h0, c0 = rng.uniform(-1, 1, size=(N, H)), rng.uniform(-1, 1, size=(N, H))
    norms = gradient_norms_last_step("lstm", params, data["x"], h0=h0, c0=c0)
    assert norms.shape == (L,) and np.all(np.isfinite(norms))
    assert norms[-1] == pytest.approx(np.sqrt(N * H))  # dL/dh_{L-1} is all ones

    # same numbers as lstm_backward with the same initial states
    _, _, cache = lstm_forward(data["x"], h0, c0, **params)
    d_output = np.zeros((L, N, H))
    d_output[-1] = 1.0
    np.testing.assert_allclose(norms, lstm_backward(d_output, None, None, cache)["dh_norms"])
