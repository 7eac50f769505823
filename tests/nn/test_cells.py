"""rnnkit cells equal torch.nn cells with the same weights, in values and gradients."""

from __future__ import annotations

import pytest
import torch

from rnnkit.nn import GRUCell, LSTMCell, RNNCell

PAIRS = {
    "rnn_tanh": (lambda b: RNNCell(4, 5, bias=b), lambda b: torch.nn.RNNCell(4, 5, bias=b)),
    "rnn_relu": (
        lambda b: RNNCell(4, 5, bias=b, nonlinearity="relu"),
        lambda b: torch.nn.RNNCell(4, 5, bias=b, nonlinearity="relu"),
    ),
    "lstm": (lambda b: LSTMCell(4, 5, bias=b), lambda b: torch.nn.LSTMCell(4, 5, bias=b)),
    "gru": (lambda b: GRUCell(4, 5, bias=b), lambda b: torch.nn.GRUCell(4, 5, bias=b)),
}


def _loss(out):
    outs = out if isinstance(out, tuple) else (out,)
    return sum((o * torch.linspace(-1, 1, o.numel()).view_as(o)).sum() for o in outs)


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
def test_cell_equals_torch(name, bias, batched, with_state):
    torch.manual_seed(0)
    ours, theirs = PAIRS[name][0](bias), PAIRS[name][1](bias)
    ours.load_state_dict(theirs.state_dict())
    assert list(dict(ours.named_parameters())) == list(dict(theirs.named_parameters()))
    x = torch.randn(3, 4) if batched else torch.randn(4)
    state_shape = (3, 5) if batched else (5,)
    state = None
    if with_state:
        state = torch.randn(state_shape)
        if name == "lstm":
            state = (state, torch.randn(state_shape))
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_a, out_b = theirs(xa, state), ours(xb, state)
    for a, b in zip(out_a if name == "lstm" else (out_a,), out_b if name == "lstm" else (out_b,)):
        torch.testing.assert_close(b, a, atol=1e-6, rtol=0)
    _loss(out_a).backward()
    _loss(out_b).backward()
    torch.testing.assert_close(xb.grad, xa.grad, atol=1e-6, rtol=0)
    for (n, pa), pb in zip(theirs.named_parameters(), ours.parameters()):
        torch.testing.assert_close(pb.grad, pa.grad, atol=1e-6, rtol=0, msg=n)


def test_cell_state_dict_loads_into_torch():
    ours = GRUCell(3, 2)
    theirs = torch.nn.GRUCell(3, 2)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(4, 3)
    torch.testing.assert_close(ours(x), theirs(x))


def test_rnn_cell_initialisation_is_torch_range():
    cell = LSTMCell(10, 100)
    bound = 1 / 100**0.5
    for p in cell.parameters():
        assert p.abs().max() <= bound
        assert p.abs().max() > 0.9 * bound  # really uniform over the range


def test_cell_errors():
    with pytest.raises(ValueError, match=r"^input.size\(-1\) must equal input_size=4, received 3"):
        RNNCell(4, 5)(torch.randn(2, 3))
    with pytest.raises(ValueError, match=r"^hx must have shape \(N, H\) = \(2, 5\), received"):
        RNNCell(4, 5)(torch.randn(2, 4), torch.randn(5, 2))
    with pytest.raises(ValueError, match="^nonlinearity must be one of 'tanh', 'relu', received"):
        RNNCell(4, 5, nonlinearity="gelu")
    with pytest.raises(TypeError, match=r"^hx must be a tuple \(h_0, c_0\) for LSTMCell"):
        LSTMCell(4, 5)(torch.randn(2, 4), torch.randn(2, 5))
