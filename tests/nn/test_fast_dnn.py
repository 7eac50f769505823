"""The fast LSTM's sigmoid-only step and the oneDNN products (rnnkit.nn.fast.linear) equal
torch.nn and the readable loop, on both loop modes and on both product paths."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from rnnkit.nn import fast, pack, recurrent
from rnnkit.nn.fast import jit
from rnnkit.nn.fast import linear as fast_linear
from rnnkit.nn.fast.lstm import doubled

L, N, H_IN, H = 6, 3, 4, 5
LENGTHS = [6, 2, 5]
needs_dnn = pytest.mark.skipif(fast_linear._DNN is None, reason="torch built without oneDNN")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_doubled_scales_the_cell_gate_rows_only():
    w = torch.arange(8.0).view(8, 1)  # H = 2: rows i i f f g g o o
    assert doubled(w).view(-1).tolist() == [0, 1, 2, 3, 8, 10, 6, 7]
    assert doubled(torch.ones(4)).tolist() == [1, 1, 2, 1]


@needs_dnn
@pytest.mark.parametrize("bias", [True, False])
def test_dnn_linear_equals_f_linear_with_its_gradients(bias):
    torch.manual_seed(0)
    x = torch.randn(7, 2, 5, requires_grad=True)
    w = torch.randn(256, 5, requires_grad=True)
    b = torch.randn(256, requires_grad=True) if bias else None
    weights = torch.randn(7, 2, 256)
    results = []
    for fn in (F.linear, fast_linear.linear):
        out = fn(x, w, b)
        (out * weights).sum().backward()
        grads = [t.grad.clone() for t in (x, w, b) if t is not None]
        results.append((out.detach(), grads))
        for t in (x, w, b):
            if t is not None:
                t.grad = None
    assert fast_linear.uses_dnn(x, w)
    torch.testing.assert_close(results[1][0], results[0][0], atol=1e-5, rtol=0)
    for got, expected in zip(results[1][1], results[0][1]):
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_dnn_linear_is_not_used_outside_float32_without_autocast_or_when_narrow():
    x, w = torch.randn(3, 2, dtype=torch.float64), torch.randn(256, 2, dtype=torch.float64)
    assert not fast_linear.uses_dnn(x, w)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not fast_linear.uses_dnn(x.float(), w.float())
    assert not fast_linear.uses_dnn(x.float(), torch.randn(255, 2))


@needs_dnn
def test_the_step_product_goes_to_onednn_only_for_large_steps():
    assert not fast_linear.step_on_dnn(32, torch.empty(4 * 64, 64))  # 0.5M multiply-adds
    assert fast_linear.step_on_dnn(64, torch.empty(4 * 256, 256))  # 16.8M
    assert not fast_linear.step_on_dnn(64, torch.empty(4 * 256, 256, dtype=torch.float64))


def _run(layer, x, h0, packed):
    x = x.clone().requires_grad_(True)
    inp = pack(x, LENGTHS) if packed else x
    out, (h_n, c_n) = layer(inp, h0)
    out = out.data if packed else out
    torch.manual_seed(3)
    loss = (out * torch.randn_like(out)).sum() + (h_n * torch.randn_like(h_n)).sum()
    loss = loss + (c_n * torch.randn_like(c_n)).sum()
    loss.backward()
    grads = [p.grad.clone() for p in layer.parameters()] + [x.grad]
    layer.zero_grad()
    return [out.detach(), h_n.detach(), c_n.detach()], grads


GRID = list(itertools.product(["script", "eager"], [False, True], [False, True], [1, 2]))


@pytest.mark.parametrize("dnn_step", [False, True], ids=["mkl", "dnn"])
@pytest.mark.parametrize("loop,packed,bidirectional,layers", GRID)
def test_lstm_steps_equal_native_and_readable(
    monkeypatch, dnn_step, loop, packed, bidirectional, layers
):
    if dnn_step and fast_linear._DNN is None:
        pytest.skip("torch built without oneDNN")
    monkeypatch.setattr(fast_linear, "STEP_DNN_MACS", 0 if dnn_step else 2**62)
    monkeypatch.setattr(fast_linear, "DNN_MIN_OUT", 0 if dnn_step else 2**62)  # projection too
    torch.manual_seed(0)
    kwargs = dict(input_size=H_IN, hidden_size=H, num_layers=layers, bidirectional=bidirectional)
    native = recurrent("lstm", backend="native", **kwargs)
    layer = recurrent("lstm", backend="scratch", **kwargs)
    layer.load_state_dict(native.state_dict())
    d = 2 if bidirectional else 1
    x = torch.randn(L, N, H_IN)
    h0 = tuple(torch.randn(d * layers, N, H) for _ in range(2))
    with jit.mode(loop):
        ours = _run(layer, x, h0, packed)
    with fast.enabled(False):
        readable = _run(layer, x, h0, packed)
    theirs = _run(native, x, h0, packed)
    for reference in (theirs, readable):
        for got, expected in zip(ours[0], reference[0]):
            torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
        for got, expected in zip(ours[1], reference[1]):
            torch.testing.assert_close(got, expected, atol=1e-4, rtol=0)


def test_sigmoid_only_step_equals_native_in_float64():
    """tanh x = 2 sigmoid(2x) - 1 loses nothing that float64 can see."""
    torch.manual_seed(0)
    kwargs = dict(input_size=H_IN, hidden_size=H, dtype=torch.float64)
    native = recurrent("lstm", backend="native", **kwargs)
    layer = recurrent("lstm", backend="scratch", **kwargs)
    layer.load_state_dict(native.state_dict())
    x = 3 * torch.randn(L, N, H_IN, dtype=torch.float64)  # saturating gates too
    torch.testing.assert_close(layer(x)[0], native(x)[0], atol=1e-12, rtol=0)
