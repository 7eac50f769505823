"""The fused LSTM layer (rnnkit.nn.fast.lstm_fused: the input projection inside the C++ step,
every weight gradient summed step by step) equals torch.nn.LSTM and the step loops of
rnnkit.nn.fast.lstm in float32: outputs, final states, dx and every parameter's gradient,
padded and packed, both directions, stacked, with initial states."""

from __future__ import annotations

import pytest
import torch

import rnnkit.nn.fast.engine as fast_engine
from rnnkit.nn import LSTM, pack, unpack
from rnnkit.nn.fast.compiled import loops
from rnnkit.nn.fast.lstm_fused import FusedLSTMFunction, fused

built = loops()
needs_tiles = pytest.mark.skipif(
    built is None or built.fused_max_hidden() == 0, reason="no C++ build with AVX-512 here"
)


def run(layer, x, lengths, packed: bool, state=None):
    if packed:
        out, (h, c) = layer(pack(x, lengths, batch_first=True), state)
        out = unpack(out, batch_first=True, total_length=x.size(1))[0]
    else:
        out, (h, c) = layer(x, state)
    weights = torch.linspace(-1, 1, out.numel()).view_as(out)
    loss = (out * weights).sum() + h.square().sum() + c.sum()
    inputs = [x, *layer.parameters(), *(state or ())]
    return [out, h, c, *torch.autograd.grad(loss, inputs)]


def count_fused(monkeypatch) -> list:
    calls = []
    real = FusedLSTMFunction.apply
    monkeypatch.setattr(FusedLSTMFunction, "apply", lambda *a: calls.append(1) or real(*a))
    return calls


@needs_tiles
@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_fused_layer_equals_torch_lstm_and_the_step_loops(monkeypatch, packed, bidirectional,
                                                          with_state):  # fmt: skip
    torch.manual_seed(0)
    kwargs = dict(num_layers=2, batch_first=True, bidirectional=bidirectional)
    native = torch.nn.LSTM(16, 32, **kwargs)
    layer = LSTM(16, 32, backend="scratch", **kwargs)
    layer.load_state_dict(native.state_dict())
    x = torch.randn(5, 11, 16, requires_grad=True)
    lengths = torch.tensor([7, 11, 3, 1, 9])  # unsorted: the layer sorts
    d = 2 if bidirectional else 1
    state = tuple(torch.randn(2 * d, 5, 32, requires_grad=True) for _ in range(2))
    state = state if with_state else None
    calls = count_fused(monkeypatch)
    got = run(layer, x, lengths, packed, state)
    assert len(calls) == 2 * d  # every layer and direction took the fused path
    want = run(native, x, lengths, packed, state)
    monkeypatch.setattr(fast_engine, "fused", lambda *args: None)
    loops_ = run(layer, x, lengths, packed, state)
    for a, b, c in zip(got, want, loops_, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=2e-5)
        torch.testing.assert_close(a, c, rtol=1e-5, atol=2e-5)


@needs_tiles
@pytest.mark.parametrize("input_size", [1, 5, 21])
def test_an_input_width_off_the_tiles_is_padded_and_its_gradients_dropped(monkeypatch,
                                                                          input_size):  # fmt: skip
    torch.manual_seed(2)
    native = torch.nn.LSTM(input_size, 16, bidirectional=True)
    layer = LSTM(input_size, 16, bidirectional=True, backend="scratch")
    layer.load_state_dict(native.state_dict())
    x = torch.randn(7, 3, input_size, requires_grad=True)
    calls = count_fused(monkeypatch)
    got = run(layer, x, None, packed=False)
    assert len(calls) == 2
    assert got[3].shape == x.shape and got[4].shape == (64, input_size)  # dx, dW_ih
    for a, b in zip(got, run(native, x, None, packed=False), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=2e-5)


@needs_tiles
def test_fused_layer_without_bias_and_without_input_gradient(monkeypatch):
    torch.manual_seed(1)
    native = torch.nn.LSTM(32, 16, bias=False)
    layer = LSTM(32, 16, bias=False, backend="scratch")
    layer.load_state_dict(native.state_dict())
    x = torch.randn(6, 3, 32)  # needs no gradient: the backward skips dx
    calls = count_fused(monkeypatch)
    grads = []
    for m in (layer, native):
        out, (h, c) = m(x)
        grads.append([out, *torch.autograd.grad(out.sum() + c.sum(), list(m.parameters()))])
    assert calls == [1]
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=2e-5)


def test_the_fused_path_is_taken_only_where_its_tiles_apply():
    w_ih, w_hh = torch.zeros(128, 16), torch.zeros(128, 32)
    x = torch.zeros(4, 2, 16)
    expected = built if built is not None and built.fused_max_hidden() else None
    assert fused(x, w_ih, w_hh, batch=2) is expected
    assert fused(torch.zeros(4, 2, 5), torch.zeros(128, 5), w_hh, batch=2) is expected  # padded
    assert fused(x, torch.zeros(80, 16), torch.zeros(80, 20), batch=2) is None  # H = 20
    assert fused(x.double(), w_ih.double(), w_hh.double(), batch=2) is None  # float64
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert fused(x, w_ih, w_hh, batch=2) is None
    big = torch.zeros(1024, 256)  # H = 256 at N = 64: a large step
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)  # oneDNN's parallel step product, unless the tiles have threads
        on_two = expected if expected is not None and expected.parallel() else None
        assert fused(torch.zeros(4, 64, 16), torch.zeros(1024, 16), big, batch=64) is on_two
        torch.set_num_threads(1)
        assert fused(torch.zeros(4, 64, 16), torch.zeros(1024, 16), big, batch=64) is expected
    finally:
        torch.set_num_threads(threads)
    assert fused(x, torch.zeros(1152, 16), torch.zeros(1152, 288), batch=2) is None  # H > 256


@needs_tiles
def test_two_threads_give_the_bits_of_one(monkeypatch):
    """With OpenMP the rows of a step, then of the weight gradients, are split over torch's
    threads; each element is summed in the same order either way."""
    torch.manual_seed(3)
    layer = LSTM(16, 32, num_layers=2, bidirectional=True, backend="scratch")
    x = torch.randn(9, 40, 16, requires_grad=True)
    calls = count_fused(monkeypatch)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = run(layer, x, None, packed=False)
        torch.set_num_threads(2)
        two = run(layer, x, None, packed=False)
    finally:
        torch.set_num_threads(threads)
    assert len(calls) == 8
    for a, b in zip(one, two, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@needs_tiles
@pytest.mark.parametrize("packed", [False, True])
def test_inference_keeps_one_step_of_activations_and_gives_the_same_bits(monkeypatch, packed):
    torch.manual_seed(5)
    layer = LSTM(16, 32, num_layers=2, bidirectional=True, batch_first=True, backend="scratch")
    x, lengths = torch.randn(4, 10, 16), torch.tensor([10, 4, 7, 1])
    kept = []
    real = FusedLSTMFunction.forward

    def spy(ctx, *args):
        out = real(ctx, *args)
        kept.append(ctx.buffers[2].size(0))  # acts: (kept steps, N, 4H)
        return out

    monkeypatch.setattr(FusedLSTMFunction, "forward", staticmethod(spy))
    with torch.no_grad():
        inferred = run_forward(layer, x, lengths, packed)
    trained = run_forward(layer, x.requires_grad_(), lengths, packed)
    assert kept == [1] * 4 + [10] * 4
    for a, b in zip(inferred, trained, strict=True):
        torch.testing.assert_close(a, b.detach(), rtol=0, atol=0)


def run_forward(layer, x, lengths, packed: bool):
    if packed:
        out, (h, c) = layer(pack(x, lengths, batch_first=True))
        return [unpack(out, batch_first=True, total_length=x.size(1))[0], h, c]
    out, (h, c) = layer(x)
    return [out, h, c]
