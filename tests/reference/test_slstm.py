"""rnnkit.reference.slstm against rnnkit.nn.SLSTM (forward, autograd) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnkit.nn import SLSTM
from rnnkit.reference import slstm_backward, slstm_forward

STATES = ("h0", "c0", "n0", "m0")
CASES = [
    pytest.param("sigmoid", True, True, id="sigmoid-bias-state"),
    pytest.param("exp", True, False, id="exp-bias-empty"),
    pytest.param("sigmoid", False, False, id="sigmoid-nobias-empty"),
    pytest.param("exp", False, True, id="exp-nobias-state"),
]


def make_case(forget, bias, with_state, seed=0):
    """A float64 SLSTM (2 heads), its NumPy parameters, random x, state0 and loss weights."""
    L, N, H_in, H = 5, 3, 4, 6
    torch.manual_seed(seed)
    layer = SLSTM(H_in, H, num_heads=2, bias=bias, forget_gate=forget).double()
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(0.3 * torch.randn_like(p))  # every bias counts, R is not tiny
    params = {
        "weight_ih": layer.weight_ih_l0.detach().numpy().copy(),
        "weight_hh": layer.weight_hh_l0.detach().numpy().copy(),
        "bias": None if not bias else layer.bias_l0.detach().numpy().copy(),
    }
    rng = np.random.default_rng(seed)
    state0 = None
    if with_state:
        n0 = 0.5 + rng.uniform(size=(N, H))
        state0 = (0.5 * rng.standard_normal((N, H)), n0 * rng.standard_normal((N, H)), n0,
                  rng.standard_normal((N, H)))  # fmt: skip
    data = {
        "x": rng.standard_normal((L, N, H_in)),
        "state0": state0,
        "G": rng.standard_normal((L, N, H)),
        "Gs": tuple(rng.standard_normal((N, H)) for _ in range(4)),
    }
    return layer, params, data


def numpy_loss(params, data, forget):
    out, state, _ = slstm_forward(data["x"], data["state0"], forget_gate=forget, **params)
    return float(np.sum(out * data["G"]) + sum(np.sum(s * g) for s, g in zip(state, data["Gs"])))


def torch_run(layer, data):
    """Output, final state and the autograd gradients of the same loss."""
    x = torch.tensor(data["x"], requires_grad=True)
    state0 = None
    if data["state0"] is not None:
        state0 = tuple(torch.tensor(s[None], requires_grad=True) for s in data["state0"])
    out, state = layer(x, state0)
    loss = (out * torch.from_numpy(data["G"])).sum()
    loss = loss + sum((s[0] * torch.from_numpy(g)).sum() for s, g in zip(state, data["Gs"]))
    loss.backward()
    return out.detach(), state, x.grad, state0


@pytest.mark.parametrize("forget,bias,with_state", CASES)
def test_forward_and_backward_equal_the_layer_and_autograd(forget, bias, with_state):
    layer, params, data = make_case(forget, bias, with_state)
    out, state, cache = slstm_forward(data["x"], data["state0"], forget_gate=forget, **params)
    t_out, t_state, x_grad, state0 = torch_run(layer, data)
    tol = {"rtol": 1e-6, "atol": 1e-10}
    np.testing.assert_allclose(out, t_out.numpy(), **tol)
    for ours, theirs in zip(state, t_state):
        np.testing.assert_allclose(ours, theirs[0].detach().numpy(), **tol)
    grads = slstm_backward(data["G"], data["Gs"], cache)
    np.testing.assert_allclose(grads["weight_ih"], layer.weight_ih_l0.grad.numpy(), **tol)
    np.testing.assert_allclose(grads["weight_hh"], layer.weight_hh_l0.grad.numpy(), **tol)
    if bias:
        np.testing.assert_allclose(grads["bias"], layer.bias_l0.grad.numpy(), **tol)
    else:
        assert grads["bias"] is None
    np.testing.assert_allclose(grads["input"], x_grad.numpy(), **tol)
    if with_state:
        for name, s0 in zip(STATES, state0):
            np.testing.assert_allclose(grads[name], s0.grad[0].numpy(), err_msg=name, **tol)


@pytest.mark.parametrize("forget,bias,with_state", CASES)
def test_finite_differences(finite_difference_check, forget, bias, with_state):
    _, params, data = make_case(forget, bias, with_state, seed=3)
    _, _, cache = slstm_forward(data["x"], data["state0"], forget_gate=forget, **params)
    grads = slstm_backward(data["G"], data["Gs"], cache)
    check = {k: v for k, v in params.items() if v is not None}
    finite_difference_check(
        lambda p: numpy_loss(p, data, forget), check, grads, np.random.default_rng(3)
    )


def test_dh_norms_and_none_gradients():
    _, params, data = make_case("sigmoid", True, True, seed=4)
    _, _, cache = slstm_forward(data["x"], data["state0"], **params)
    with_none = slstm_backward(data["G"], None, cache)
    with_zeros = slstm_backward(data["G"], tuple(np.zeros((3, 6)) for _ in range(4)), cache)
    for key in ("weight_ih", "weight_hh", "bias", "input", *STATES, "dh_norms"):
        np.testing.assert_array_equal(with_none[key], with_zeros[key])
    d_output = np.zeros((5, 3, 6))
    d_output[-1] = 1.0
    norms = slstm_backward(d_output, None, cache)["dh_norms"]
    assert norms[-1] == pytest.approx(np.sqrt(18)) and np.all(norms[:-1] > 0)


def test_the_gradient_along_the_stabiliser_vanishes():
    """(c e^-s, n e^-s, m + s) is the same state for every s, so the loss does not change
    along that direction: dL/dm0 = c0 dL/dc0 + n0 dL/dn0, element by element."""
    _, params, data = make_case("exp", True, True, seed=5)
    _, _, cache = slstm_forward(data["x"], data["state0"], forget_gate="exp", **params)
    grads = slstm_backward(data["G"], (data["Gs"][0], None, None, None), cache)
    _, c0, n0, _ = data["state0"]
    along = grads["c0"] * c0 + grads["n0"] * n0
    np.testing.assert_allclose(grads["m0"], along, rtol=1e-9, atol=1e-12)
    assert np.abs(grads["m0"]).max() > 1e-3  # not trivially zero


def test_shape_errors_name_the_argument():
    _, params, data = make_case("sigmoid", True, True)
    bad = (data["state0"][0], data["state0"][1], data["state0"][2][:2], data["state0"][3])
    with pytest.raises(ValueError) as err:
        slstm_forward(data["x"], bad, **params)
    assert str(err.value) == "n0 must have shape (N, H) = (3, 6), received (2, 6)"
    with pytest.raises(ValueError) as err:
        slstm_forward(data["x"], None, **dict(params, weight_hh=params["weight_hh"][:, :4]))
    assert str(err.value) == "weight_hh must have shape (K, 4*d, d), received (2, 4, 3)"
    with pytest.raises(ValueError) as err:
        slstm_forward(data["x"], None, forget_gate="tanh", **params)
    assert str(err.value) == "forget_gate must be 'sigmoid' or 'exp', received 'tanh'"
