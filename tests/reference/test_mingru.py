"""rnnkit.reference.mingru (NumPy, step by step) against autograd through rnnkit.nn.MinGRU and
MinLSTM (the parallel scan): forward, every gradient (rtol 1e-6), and the named errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnkit.nn import MinGRU, MinLSTM
from rnnkit.reference import min_backward, min_forward

LAYERS = {"mingru": MinGRU, "minlstm": MinLSTM}


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", ["mingru", "minlstm"])
def test_reference_equals_autograd(kind, bias, sizes, tol):
    L, N, H_in, H = sizes
    torch.manual_seed(0)
    layer = LAYERS[kind](H_in, H, bias=bias).double()
    with torch.no_grad():
        layer.weight_ih_l0.mul_(4)  # pre-activations on both sides of 0 (both g branches)
    rng = np.random.default_rng(0)
    x, h0 = rng.standard_normal((L, N, H_in)), rng.standard_normal((N, H))
    G, Gh = rng.standard_normal((L, N, H)), rng.standard_normal((N, H))
    bias_ih = layer.bias_ih_l0.detach().numpy() if bias else None
    output, h_n, cache = min_forward(kind, x, h0, layer.weight_ih_l0.detach().numpy(), bias_ih)
    grads = min_backward(G, Gh, cache)

    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0).unsqueeze(0).requires_grad_()
    out_t, hn_t = layer(xt, h0t)
    ((out_t * torch.tensor(G)).sum() + (hn_t[0] * torch.tensor(Gh)).sum()).backward()
    np.testing.assert_allclose(output, out_t.detach().numpy(), **tol["forward"])
    np.testing.assert_allclose(h_n, hn_t[0].detach().numpy(), **tol["forward"])
    np.testing.assert_allclose(grads["input"], xt.grad.numpy(), **tol["grad"])
    np.testing.assert_allclose(grads["h0"], h0t.grad[0].numpy(), **tol["grad"])
    np.testing.assert_allclose(grads["weight_ih"], layer.weight_ih_l0.grad.numpy(), **tol["grad"])
    if bias:
        np.testing.assert_allclose(grads["bias_ih"], layer.bias_ih_l0.grad.numpy(), **tol["grad"])
    else:
        assert grads["bias_ih"] is None
    assert grads["dh_norms"].shape == (L,) and np.all(grads["dh_norms"] > 0)


def test_reference_errors_are_named():
    x, h0 = np.zeros((3, 2, 4)), np.zeros((2, 5))
    with pytest.raises(ValueError, match=r"^kind must be one of mingru, minlstm, received 'gru'$"):
        min_forward("gru", x, h0, np.zeros((10, 4)))
    with pytest.raises(
        ValueError,
        match=r"^weight_ih must have shape \(3\*H, H_in\) for minlstm, received \(10, 4\)$",
    ):
        min_forward("minlstm", x, h0, np.zeros((10, 4)))
    with pytest.raises(
        ValueError, match=r"^h0 must have shape \(N, H\) = \(2, 5\), received \(5, 2\)$"
    ):
        min_forward("mingru", x, h0.T, np.zeros((10, 4)))
