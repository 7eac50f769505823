"""rnnkit.reference.elman against torch.nn.RNN / RNNCell, autograd and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnkit.reference import elman_backward, elman_forward, gradient_norms_last_step

CASES = [
    pytest.param(nonlinearity, bias, id=f"{nonlinearity}-{'bias' if bias else 'nobias'}")
    for nonlinearity in ("tanh", "relu")
    for bias in (True, False)
]


def make_case(sizes, layer0_params, nonlinearity, bias, seed=0):
    """A float64 torch.nn.RNN, its NumPy parameters, and random x, h0, G, Gh."""
    L, N, H_in, H = sizes
    torch.manual_seed(seed)
    rnn = torch.nn.RNN(H_in, H, nonlinearity=nonlinearity, bias=bias).double()
    rng = np.random.default_rng(seed)
    data = {
        "x": rng.standard_normal((L, N, H_in)),
        "h0": 0.5 * rng.standard_normal((N, H)),
        "G": rng.standard_normal((L, N, H)),
        "Gh": rng.standard_normal((N, H)),
    }
    return rnn, layer0_params(rnn), data


def numpy_loss(params, data, nonlinearity):
    """L = sum(output * G) + sum(h_n * Gh) with the NumPy forward only."""
    output, h_n, _ = elman_forward(data["x"], data["h0"], **params, nonlinearity=nonlinearity)
    return float(np.sum(output * data["G"]) + np.sum(h_n * data["Gh"]))


def numpy_grads(params, data, nonlinearity):
    _, _, cache = elman_forward(data["x"], data["h0"], **params, nonlinearity=nonlinearity)
    return elman_backward(data["G"], data["Gh"], cache)


def torch_loss(output, h_n, data):
    return (output * torch.from_numpy(data["G"])).sum() + (h_n * torch.from_numpy(data["Gh"])).sum()


@pytest.mark.parametrize("nonlinearity, bias", CASES)
def test_forward_matches_torch(sizes, layer0_params, tol, nonlinearity, bias):
    rnn, params, data = make_case(sizes, layer0_params, nonlinearity, bias)
    output, h_n, _ = elman_forward(data["x"], data["h0"], **params, nonlinearity=nonlinearity)
    with torch.no_grad():
        t_out, t_hn = rnn(torch.from_numpy(data["x"]), torch.from_numpy(data["h0"])[None])
    assert output.shape == (sizes[0], sizes[1], sizes[3]) and output.dtype == np.float64
    np.testing.assert_allclose(output, t_out.numpy(), **tol["forward"])
    np.testing.assert_allclose(h_n, t_hn[0].numpy(), **tol["forward"])


@pytest.mark.parametrize("nonlinearity, bias", CASES)
def test_backward_matches_autograd(
    sizes, layer0_params, grads_of, assert_param_grads_close, tol, nonlinearity, bias
):
    rnn, params, data = make_case(sizes, layer0_params, nonlinearity, bias, seed=1)
    grads = numpy_grads(params, data, nonlinearity)

    x = torch.tensor(data["x"], requires_grad=True)
    h0 = torch.tensor(data["h0"], requires_grad=True)
    t_out, t_hn = rnn(x, h0[None])
    torch_loss(t_out, t_hn[0], data).backward()

    assert_param_grads_close(grads, grads_of(rnn, "_l0"), **tol["grad"])
    np.testing.assert_allclose(grads["input"], x.grad.numpy(), **tol["grad"])
    np.testing.assert_allclose(grads["h0"], h0.grad.numpy(), **tol["grad"])


@pytest.mark.parametrize("nonlinearity, bias", CASES)
def test_dh_norms_match_autograd(sizes, layer0_params, load_into_cell, tol, nonlinearity, bias):
    L, _, H_in, H = sizes
    _, params, data = make_case(sizes, layer0_params, nonlinearity, bias, seed=2)
    grads = numpy_grads(params, data, nonlinearity)

    cell = torch.nn.RNNCell(H_in, H, bias=bias, nonlinearity=nonlinearity).double()
    load_into_cell(cell, params)
    x = torch.from_numpy(data["x"])
    h = torch.from_numpy(data["h0"])
    hs = []
    for t in range(L):
        h = cell(x[t], h)
        h.retain_grad()  # keep dL/dh_t, the total derivative
        hs.append(h)
    torch_loss(torch.stack(hs), hs[-1], data).backward()

    expected = np.array([h_t.grad.norm().item() for h_t in hs])
    assert grads["dh_norms"].shape == (L,)
    np.testing.assert_allclose(grads["dh_norms"], expected, **tol["grad"])


@pytest.mark.parametrize("nonlinearity, bias", CASES)
def test_finite_differences(sizes, layer0_params, finite_difference_check, nonlinearity, bias):
    _, params, data = make_case(sizes, layer0_params, nonlinearity, bias, seed=3)
    grads = numpy_grads(params, data, nonlinearity)
    finite_difference_check(
        lambda p: numpy_loss(p, data, nonlinearity), params, grads, np.random.default_rng(3)
    )


def test_none_gradients_mean_zero(sizes, layer0_params):
    L, N, _, H = sizes
    _, params, data = make_case(sizes, layer0_params, "tanh", True, seed=4)
    _, _, cache = elman_forward(data["x"], data["h0"], **params)
    with_none = elman_backward(None, data["Gh"], cache)
    with_zeros = elman_backward(np.zeros((L, N, H)), data["Gh"], cache)
    for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "input", "h0", "dh_norms"):
        np.testing.assert_array_equal(with_none[key], with_zeros[key])
    only_output = elman_backward(data["G"], None, cache)
    assert np.all(np.isfinite(only_output["dh_norms"]))


def test_float32_stays_float32(sizes, layer0_params):
    _, params, data = make_case(sizes, layer0_params, "tanh", True, seed=5)
    params32 = {k: v.astype(np.float32) for k, v in params.items()}
    output, h_n, cache = elman_forward(
        data["x"].astype(np.float32), data["h0"].astype(np.float32), **params32
    )
    assert output.dtype == np.float32 and h_n.dtype == np.float32
    grads = elman_backward(data["G"].astype(np.float32), None, cache)
    assert grads["weight_hh"].dtype == np.float32 and grads["input"].dtype == np.float32


def test_shape_errors_name_argument_and_shapes(sizes, layer0_params):
    _, params, data = make_case(sizes, layer0_params, "tanh", True)
    with pytest.raises(ValueError) as err:
        elman_forward(data["x"], data["h0"].T, **params)
    assert str(err.value) == "h0 must have shape (N, H) = (3, 5), received (5, 3)"

    bad = dict(params, weight_ih=params["weight_ih"][:, :3])
    with pytest.raises(ValueError) as err:
        elman_forward(data["x"], data["h0"], **bad)
    assert str(err.value) == "weight_ih must have shape (H, H_in) = (5, 4), received (5, 3)"

    bad = dict(params, bias_hh=np.zeros(4))
    with pytest.raises(ValueError) as err:
        elman_forward(data["x"], data["h0"], **bad)
    assert str(err.value) == "bias_hh must have shape (H,) = (5,), received (4,)"

    with pytest.raises(ValueError) as err:
        elman_forward(data["x"][0], data["h0"], **params)
    assert str(err.value) == "x must have shape (L, N, H_in) (3 dimensions), received (3, 4)"

    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        elman_forward(data["x"], data["h0"], **params, nonlinearity="sigmoid")

    _, _, cache = elman_forward(data["x"], data["h0"], **params)
    with pytest.raises(ValueError) as err:
        elman_backward(data["G"][:2], None, cache)
    assert str(err.value) == "d_output must have shape (L, N, H) = (5, 3, 5), received (2, 3, 5)"


@pytest.mark.parametrize("kind, nonlinearity", [("rnn_tanh", "tanh"), ("rnn_relu", "relu")])
def test_gradient_norms_last_step(sizes, layer0_params, kind, nonlinearity):
    L, N, _, H = sizes
    rnn, params, data = make_case(sizes, layer0_params, nonlinearity, True, seed=6)
    norms = gradient_norms_last_step(kind, params, data["x"], h0=data["h0"])
    assert norms.shape == (L,) and np.all(np.isfinite(norms)) and np.all(norms >= 0)
    assert norms[-1] == pytest.approx(np.sqrt(N * H))  # dL/dh_{L-1} is all ones

    d_output = np.zeros((L, N, H))
    d_output[-1] = 1.0
    _, _, cache = elman_forward(data["x"], data["h0"], **params, nonlinearity=nonlinearity)
    np.testing.assert_allclose(norms, elman_backward(d_output, None, cache)["dh_norms"])

    # torch's state_dict names (weight_ih_l0, ...) are accepted, and h0=None means zeros
    state = {k: v.numpy() for k, v in rnn.state_dict().items()}
    np.testing.assert_allclose(gradient_norms_last_step(kind, state, data["x"], data["h0"]), norms)
    zeros = np.zeros((N, H))
    np.testing.assert_array_equal(
        gradient_norms_last_step(kind, params, data["x"]),
        gradient_norms_last_step(kind, params, data["x"], h0=zeros),
    )


def test_gradient_norms_last_step_unknown_kind(sizes, layer0_params):
    _, params, data = make_case(sizes, layer0_params, "tanh", True)
    with pytest.raises(ValueError) as err:
        gradient_norms_last_step("rnn_sigmoid", params, data["x"])
    expected = "unknown kind 'rnn_sigmoid'; known kinds: rnn_tanh, rnn_relu, lstm, gru"
    assert str(err.value) == expected
