"""rnnkit.reference.gru against torch.nn.GRU / GRUCell, autograd and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnkit.reference import gradient_norms_last_step, gru_backward, gru_forward

BIAS = [pytest.param(True, id="bias"), pytest.param(False, id="nobias")]


def make_case(sizes, layer0_params, bias, seed=0):
    """A float64 torch.nn.GRU, its NumPy parameters, and random x, h0, G, Gh."""
    L, N, H_in, H = sizes
    torch.manual_seed(seed)
    gru = torch.nn.GRU(H_in, H, bias=bias).double()
    rng = np.random.default_rng(seed)
    data = {
        "x": rng.standard_normal((L, N, H_in)),
        "h0": 0.5 * rng.standard_normal((N, H)),
        "G": rng.standard_normal((L, N, H)),
        "Gh": rng.standard_normal((N, H)),
    }
    return gru, layer0_params(gru), data


def numpy_loss(params, data):
    """L = sum(output * G) + sum(h_n * Gh) with the NumPy forward only."""
    output, h_n, _ = gru_forward(data["x"], data["h0"], **params)
    return float(np.sum(output * data["G"]) + np.sum(h_n * data["Gh"]))


def numpy_grads(params, data):
    _, _, cache = gru_forward(data["x"], data["h0"], **params)
    return gru_backward(data["G"], data["Gh"], cache)


def torch_loss(output, h_n, data):
    return (output * torch.from_numpy(data["G"])).sum() + (h_n * torch.from_numpy(data["Gh"])).sum()


@pytest.mark.parametrize("bias", BIAS)
def test_forward_matches_torch(sizes, layer0_params, tol, bias):
    gru, params, data = make_case(sizes, layer0_params, bias)
    output, h_n, _ = gru_forward(data["x"], data["h0"], **params)
    with torch.no_grad():
        t_out, t_hn = gru(torch.from_numpy(data["x"]), torch.from_numpy(data["h0"])[None])
    np.testing.assert_allclose(output, t_out.numpy(), **tol["forward"])
    np.testing.assert_allclose(h_n, t_hn[0].numpy(), **tol["forward"])


@pytest.mark.parametrize("bias", BIAS)
def test_backward_matches_autograd(
    sizes, layer0_params, grads_of, assert_param_grads_close, tol, bias
):
    gru, params, data = make_case(sizes, layer0_params, bias, seed=1)
    grads = numpy_grads(params, data)

    x = torch.tensor(data["x"], requires_grad=True)
    h0 = torch.tensor(data["h0"], requires_grad=True)
    t_out, t_hn = gru(x, h0[None])
    torch_loss(t_out, t_hn[0], data).backward()

    assert_param_grads_close(grads, grads_of(gru, "_l0"), **tol["grad"])
    np.testing.assert_allclose(grads["input"], x.grad.numpy(), **tol["grad"])
    np.testing.assert_allclose(grads["h0"], h0.grad.numpy(), **tol["grad"])


@pytest.mark.parametrize("bias", BIAS)
def test_dh_norms_match_autograd(sizes, layer0_params, load_into_cell, tol, bias):
    L, _, H_in, H = sizes
    _, params, data = make_case(sizes, layer0_params, bias, seed=2)
    grads = numpy_grads(params, data)

    cell = torch.nn.GRUCell(H_in, H, bias=bias).double()
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
    np.testing.assert_allclose(grads["dh_norms"], expected, **tol["grad"])


@pytest.mark.parametrize("bias", BIAS)
def test_finite_differences(sizes, layer0_params, finite_difference_check, bias):
    _, params, data = make_case(sizes, layer0_params, bias, seed=3)
    grads = numpy_grads(params, data)
    finite_difference_check(lambda p: numpy_loss(p, data), params, grads, np.random.default_rng(3))


def test_bias_gradients_differ_for_the_candidate(sizes, layer0_params):
    """db_ih and db_hh agree on the r and z blocks but not on n (r multiplies only b_hn)."""
    _, params, data = make_case(sizes, layer0_params, True, seed=4)
    grads = numpy_grads(params, data)
    H = sizes[3]
    np.testing.assert_allclose(grads["bias_ih"][: 2 * H], grads["bias_hh"][: 2 * H])
    assert not np.allclose(grads["bias_ih"][2 * H :], grads["bias_hh"][2 * H :])


def test_shape_errors_name_argument_and_shapes(sizes, layer0_params):
    _, params, data = make_case(sizes, layer0_params, True)
    bad = dict(params, bias_ih=params["bias_ih"][:5])
    with pytest.raises(ValueError) as err:
        gru_forward(data["x"], data["h0"], **bad)
    assert str(err.value) == "bias_ih must have shape (3*H,) = (15,), received (5,)"

    _, _, cache = gru_forward(data["x"], data["h0"], **params)
    with pytest.raises(ValueError) as err:
        gru_backward(None, data["Gh"][None], cache)
    assert str(err.value) == "d_h_n must have shape (N, H) = (3, 5), received (1, 3, 5)"


def test_gradient_norms_last_step(sizes, layer0_params):
    L, N, _, H = sizes
    _, params, data = make_case(sizes, layer0_params, False, seed=6)
    norms = gradient_norms_last_step("gru", params, data["x"], h0=data["h0"])
    assert norms.shape == (L,) and np.all(np.isfinite(norms))
    assert norms[-1] == pytest.approx(np.sqrt(N * H))  # dL/dh_{L-1} is all ones

    _, _, cache = gru_forward(data["x"], data["h0"], **params)
    d_output = np.zeros((L, N, H))
    d_output[-1] = 1.0
    np.testing.assert_allclose(norms, gru_backward(d_output, None, cache)["dh_norms"])
