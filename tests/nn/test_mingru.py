"""MinGRU and MinLSTM: the parallel scan equals the step loop over the whole layer contract,
in float64 and float32, in outputs, final states and every gradient; gradcheck; packed
sequences behave like each sequence run alone; the scan functions agree with the paper's
log-space form and with a plain loop."""

from __future__ import annotations

import doctest
import re

import pytest
import torch

import rnnkit.nn as rnn_nn
from rnnkit.nn import MinGRU, MinLSTM, fast, mingru, minscan, pack, recurrent, unpack
from rnnkit.nn.minscan import min_scan
from rnnkit.nn.scan import linear_scan_, log_space_scan, step_loop, tree_levels

CLASSES = [MinGRU, MinLSTM]
TOLERANCE = {torch.float64: 1e-10, torch.float32: 1e-5}


def raises(exc, text):
    return pytest.raises(exc, match="^" + re.escape(text) + "$")


def run(layer, x, h0, lengths, parallel: bool):
    """Output (padded), h_n and the gradients of x, h0 and every parameter."""
    layer.zero_grad()
    x = x.detach().requires_grad_()
    h0 = None if h0 is None else h0.detach().requires_grad_()
    inp = x if lengths is None else pack(x, lengths, batch_first=layer.batch_first)
    layer.fast = parallel
    out, h_n = layer(inp, h0)
    if lengths is not None:
        out, _ = unpack(out, batch_first=layer.batch_first, total_length=max(lengths))
    weights = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)
    ((out * weights).sum() + (h_n**2).sum()).backward()
    grads = [x.grad] + ([] if h0 is None else [h0.grad])
    grads += [p.grad for p in layer.parameters()]
    return out.detach(), h_n.detach(), grads


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("packed, initial", [(False, False), (False, True), (True, True)])
def test_scan_equals_step_loop(cls, dtype, batch_first, bidirectional, num_layers, packed, initial):
    torch.manual_seed(0)
    layer = cls(3, 5, num_layers, batch_first=batch_first, bidirectional=bidirectional)
    layer = layer.to(dtype)
    n, length = 4, 7
    x = torch.randn((n, length, 3) if batch_first else (length, n, 3), dtype=dtype)
    rows = num_layers * (2 if bidirectional else 1)
    h0 = torch.randn(rows, n, 5, dtype=dtype) if initial else None
    lengths = [7, 2, 5, 1] if packed else None
    scan = run(layer, x, h0, lengths, parallel=True)
    loop = run(layer, x, h0, lengths, parallel=False)
    atol = TOLERANCE[dtype]
    for a, b in zip(scan[:2] + tuple(scan[2]), loop[:2] + tuple(loop[2])):
        torch.testing.assert_close(a, b, atol=atol, rtol=atol)


@pytest.mark.parametrize("cls", CLASSES)
def test_packed_sequences_run_as_if_alone(cls):
    """Padding never reaches the state; the reverse direction starts at each sequence's end."""
    torch.manual_seed(1)
    layer = cls(2, 3, num_layers=2, bidirectional=True, batch_first=True).double()
    lengths = [3, 6, 1]
    x = torch.randn(3, 6, 2, dtype=torch.float64)
    h0 = torch.randn(4, 3, 3, dtype=torch.float64)
    out, h_n = layer(pack(x, lengths, batch_first=True), h0)
    out, _ = unpack(out, batch_first=True)
    for i, length in enumerate(lengths):
        alone, h_alone = layer(x[i, :length], h0[:, i])  # unbatched (L, H_in)
        torch.testing.assert_close(out[i, :length], alone, atol=1e-12, rtol=0)
        torch.testing.assert_close(h_n[:, i], h_alone, atol=1e-12, rtol=0)


@pytest.mark.parametrize("cls", CLASSES)
def test_step_carries_the_state_like_the_scan(cls):
    torch.manual_seed(2)
    layer = cls(3, 4, num_layers=3, batch_first=True).double()
    x = torch.randn(2, 9, 3, dtype=torch.float64)
    h0 = torch.randn(3, 2, 4, dtype=torch.float64)
    out, h_n = layer(x, h0)
    h, steps = h0, []
    for t in range(9):
        y, h = layer.step(x[:, t], h)
        steps.append(y)
    torch.testing.assert_close(torch.stack(steps, 1), out, atol=1e-12, rtol=0)
    torch.testing.assert_close(h, h_n, atol=1e-12, rtol=0)
    first, h_mid = layer(x[:, :4], h0)  # two calls carrying the state = one call
    second, h_end = layer(x[:, 4:], h_mid)
    torch.testing.assert_close(torch.cat([first, second], 1), out, atol=1e-12, rtol=0)
    y, h1 = layer.step(x[0, 0], h0[:, 0])  # unbatched
    assert y.shape == (4,) and h1.shape == (3, 4)


@pytest.mark.parametrize("cls", CLASSES)
def test_gradcheck(cls):
    torch.manual_seed(3)
    layer = cls(2, 3, num_layers=2, bidirectional=True).double()
    x = torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    weight = layer.weight_ih_l1_reverse.detach().clone().requires_grad_()

    def packed(x, h0, weight):
        inputs = (pack(x, [4, 2]), h0)
        out, h_n = torch.func.functional_call(layer, {"weight_ih_l1_reverse": weight}, inputs)
        return unpack(out)[0], h_n

    assert torch.autograd.gradcheck(packed, (x, h0, weight))
    assert torch.autograd.gradcheck(lambda x, h0: layer(x, h0), (x, h0))


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_functions_agree_for_every_length(reverse):
    torch.manual_seed(4)
    for length in range(1, 34):
        k = 3 * torch.randn(length, 2, 3, dtype=torch.float64)
        p = 2 * torch.randn(length, 2, 3, dtype=torch.float64)
        h0 = torch.randn(2, 3, dtype=torch.float64)  # of any sign
        scan = min_scan(torch.cat([k, p], -1), h0, reverse)
        torch.testing.assert_close(scan, step_loop(k, p, h0, reverse), atol=1e-12, rtol=0)
        if not reverse:
            torch.testing.assert_close(scan, log_space_scan(k, p, h0), atol=1e-10, rtol=0)


def test_linear_scan_in_place_equals_the_chain():
    torch.manual_seed(5)
    a, b = torch.rand(21, 4, dtype=torch.float64), torch.randn(21, 4, dtype=torch.float64)
    expected, h = [], torch.zeros(4, dtype=torch.float64)
    for t in range(21):
        h = a[t] * h + b[t]
        expected.append(h)
    torch.testing.assert_close(linear_scan_(a.clone(), b.clone()), torch.stack(expected))


def test_tree_has_two_log2_levels():
    phases = [(phase, stride) for phase, stride, _, _ in tree_levels(8)]
    assert phases == [("up", 1), ("up", 2), ("up", 4), ("down", 2), ("down", 1)]
    assert len(tree_levels(2048)) == 2 * 11 - 1
    assert tree_levels(1) == []


def test_long_float32_sequence_stays_close_to_float64():
    """No cancellation at long L: the float32 scan follows the float64 chain at L = 4096."""
    torch.manual_seed(6)
    k, p = 2 * torch.randn(4096, 2, 8, dtype=torch.float64), torch.randn(4096, 2, 8)
    exact = step_loop(k, p.double(), torch.zeros(2, 8, dtype=torch.float64))
    fast32 = min_scan(torch.cat([k.float(), p], -1), torch.zeros(2, 8))
    assert (fast32.double() - exact).abs().max() < 1e-5


def test_padding_steps_keep_the_state():
    k = torch.full((3, 1, 2), -float("inf"))
    h0 = torch.tensor([[0.3, -2.0]])
    assert torch.equal(min_scan(torch.cat([k, torch.randn(3, 1, 2)], -1), h0), h0.expand(3, 1, 2))


def test_contract_shapes_and_parameters():
    layer = recurrent("minlstm", backend="scratch", input_size=4, hidden_size=6, num_layers=2,
                      bidirectional=True)  # fmt: skip
    names = [n for n, _ in layer.named_parameters()]
    assert names == [
        "weight_ih_l0",
        "bias_ih_l0",
        "weight_ih_l0_reverse",
        "bias_ih_l0_reverse",
        "weight_ih_l1",
        "bias_ih_l1",
        "weight_ih_l1_reverse",
        "bias_ih_l1_reverse",
    ]
    assert layer.weight_ih_l1.shape == (18, 12) and layer.out_features == 12
    out, h_n = layer(torch.randn(5, 4))  # unbatched
    assert out.shape == (5, 12) and h_n.shape == (4, 6)
    gru = MinGRU(4, 6, bias=False)
    assert [n for n, _ in gru.named_parameters()] == ["weight_ih_l0"]
    assert repr(gru) == "MinGRU(4, 6, bias=False, backend='native')"
    with fast.enabled(False):  # the module switch also selects the step loop
        torch.testing.assert_close(layer(torch.randn(5, 4))[0].shape, out.shape)


def test_errors_are_named():
    layer = MinGRU(3, 4, num_layers=2, batch_first=True)
    with raises(ValueError, "input.size(-1) must equal input_size=3, received 2 (input shape "
                "(5, 7, 2))"):  # fmt: skip
        layer(torch.randn(5, 7, 2))
    batch_first_h0 = (
        "h0 must have shape (D*num_layers, N, H_out) = (2, 5, 4) whatever batch_first is, "
        "received (5, 2, 4): it looks batch-first (N, D*num_layers, H); the initial state is "
        "never batch-first, use h0.transpose(0, 1).contiguous()"
    )
    with raises(ValueError, batch_first_h0):
        layer(torch.randn(5, 7, 3), torch.zeros(5, 2, 4))
    with raises(ValueError, "step needs a unidirectional layer (the reverse direction reads the "
                "future), received bidirectional=True"):  # fmt: skip
        MinLSTM(3, 4, bidirectional=True).step(torch.randn(2, 3))
    with raises(ValueError, "backend must be one of 'native', 'scratch', received 'fast'"):
        MinGRU(3, 4, backend="fast")


def test_docstrings_run_and_state_shapes():
    torch.manual_seed(0)
    globs = {"torch": torch, **{name: getattr(rnn_nn, name) for name in rnn_nn.__all__}}
    result = doctest.testmod(mingru, extraglobs=globs, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted == 6
    for cls in CLASSES:
        assert "(L, N, H_in)" in cls.__doc__ and "math::" in cls.__doc__


@pytest.mark.parametrize("reverse", [False, True])
def test_batch_blocks_do_not_change_the_numbers(monkeypatch, reverse):
    """The scan cuts the batch into cache-sized blocks; one row per block gives the same."""
    torch.manual_seed(7)
    kp = torch.randn(6, 5, 8, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    whole = min_scan(kp, h0, reverse)
    monkeypatch.setattr(minscan, "BLOCK", 1)
    torch.testing.assert_close(min_scan(kp, h0, reverse), whole, atol=1e-14, rtol=0)
    assert torch.autograd.gradcheck(lambda kp, h0: min_scan(kp, h0, reverse), (kp, h0))


def test_minlstm_gates_that_both_underflow_stay_finite():
    """f = i = sigmoid(-200) = 0 in float32: f / (f + i) is 0/0, the log-space forms are 1/2."""
    layer = MinLSTM(1, 2, bias=False)
    with torch.no_grad():
        layer.weight_ih_l0.copy_(torch.tensor([[200.0], [200.0], [200.0], [200.0], [1.0], [1.0]]))
    x = -torch.ones(3, 1, 1)  # a_f = a_i = -200, a_h = -1
    expected = torch.sigmoid(torch.tensor(-1.0)) * torch.tensor([0.5, 0.75, 0.875])
    for parallel in (True, False):
        layer.fast = parallel
        out, _ = layer(x)
        torch.testing.assert_close(out[:, 0, 0], expected)


@pytest.mark.parametrize("cls", CLASSES)
def test_inference_without_grad_gives_the_same_numbers(cls):
    """Under no_grad the scan keeps no buffers for a backward; the numbers do not change."""
    torch.manual_seed(8)
    layer = cls(3, 4, num_layers=2, bidirectional=True).double()
    x = torch.randn(7, 2, 3, dtype=torch.float64)
    with_grad, h_grad = layer(x)
    with torch.no_grad():
        without, h_without = layer(x)
    assert torch.equal(with_grad.detach(), without) and torch.equal(h_grad.detach(), h_without)
