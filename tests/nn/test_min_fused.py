"""MinGRU/MinLSTM's fused C++ pass (rnnkit.nn.minfused, csrc/min_fused.cpp: the input projection
computed chunk by chunk inside the scan) gives what min_scan gives on x W^T computed apart
(min_scan is proven equal to the step loop, gradcheck and NumPy in test_mingru.py): outputs and
every gradient, across chunk boundaries, both directions, with and without a bias, with and
without dL/dx; and it is the path an unpadded float32 CPU layer takes."""

from __future__ import annotations

import itertools

import pytest
import torch

from rnnkit.nn import MinGRU, MinLSTM, minfused, mingru
from rnnkit.nn.minscan import min_scan

fused_module = minfused.fusable(torch.zeros(1, 1, 16), torch.zeros(32, 16), torch.zeros(1, 16))
needs_fused = pytest.mark.skipif(fused_module is None, reason="no C++ build with AVX-512")

CASES = [  # (L, H_in, x needs a gradient): one step, across a chunk edge, three chunks
    (1, 16, True),
    (minfused.CHUNK + 2, 16, True),
    (2 * minfused.CHUNK + 44, 16, False),
    (minfused.CHUNK + 2, 24, False),  # H_in not a multiple of 16: allowed without dL/dx
]


def operands(lstm: bool, length: int, width_in: int, bias: bool, dtype=torch.float64):
    torch.manual_seed(length + width_in + 2 * lstm + bias)
    hidden, gates = 32, 3 if lstm else 2
    x = torch.randn(5, length, width_in, dtype=dtype)
    w = torch.randn(gates * hidden, width_in, dtype=dtype) * 0.3
    b = torch.randn(gates * hidden, dtype=dtype) * 0.3 if bias else None
    return x, w, b, torch.randn(5, hidden, dtype=dtype)


@needs_fused
@pytest.mark.parametrize("length,width_in,x_grad", CASES)
@pytest.mark.parametrize("lstm,reverse,bias", list(itertools.product([False, True], repeat=3)))
def test_the_fused_pass_equals_min_scan_on_the_projection(
    length, width_in, x_grad, lstm, reverse, bias
):
    x, w, b, h0 = operands(lstm, length, width_in, bias)
    leaves = [t for t in (x, w, b, h0) if t is not None]
    for t in leaves:
        t.requires_grad_(t is not x or x_grad)
    want = min_scan(x @ w.t(), h0, reverse, lstm, b, batch_first=True)  # float64
    grad_out = torch.randn_like(want)
    wanted = [t for t in leaves if t.requires_grad]
    want_grads = torch.autograd.grad(want, wanted, grad_out)

    leaves32 = [t.detach().float().requires_grad_(t.requires_grad) for t in leaves]
    x32, w32, h32 = leaves32[0], leaves32[1], leaves32[-1]
    b32 = leaves32[2] if bias else None
    assert minfused.fusable(x32, w32, h32) is fused_module
    got = minfused.min_fused(x32, w32, b32, h32, reverse, lstm)
    got_grads = torch.autograd.grad(got, [t for t in leaves32 if t.requires_grad], grad_out.float())
    torch.testing.assert_close(got.double(), want, rtol=1e-5, atol=1e-5)
    for g, r in zip(got_grads, want_grads, strict=True):
        torch.testing.assert_close(g.double(), r, rtol=1e-4, atol=1e-4)


@needs_fused
@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
@pytest.mark.parametrize("batch_first,bidirectional", [(True, True), (False, False)])
def test_an_unpadded_float32_layer_takes_the_fused_pass_and_agrees(
    monkeypatch, cls, batch_first, bidirectional
):
    """Against the same layer in float64 (min_scan's tree): the fused pass's float32 rounding
    is that of min_scan's C++ pass (the weight gradients, sums over N * L rows, carry most)."""
    torch.manual_seed(1)
    layer = cls(16, 32, num_layers=2, batch_first=batch_first, bidirectional=bidirectional)
    exact = cls(16, 32, num_layers=2, batch_first=batch_first, bidirectional=bidirectional)
    exact.double().load_state_dict(layer.state_dict())
    rows = 2 * (2 if bidirectional else 1)
    x = torch.randn(*((4, 150) if batch_first else (150, 4)), 16)
    h0 = torch.randn(rows, 4, 32)

    def run(module, dtype):
        xx, hh = x.to(dtype).requires_grad_(), h0.to(dtype).requires_grad_()
        out, h = module(xx, hh)
        weights = torch.linspace(-1, 1, out.numel(), dtype=dtype).view_as(out)
        loss = (out * weights).sum() + h.square().sum()
        return [out, h, *torch.autograd.grad(loss, [xx, hh, *module.parameters()])]

    calls = []
    real = minfused.min_fused
    monkeypatch.setattr(mingru, "min_fused", lambda *a: calls.append(1) or real(*a))
    fused = run(layer, torch.float32)
    assert len(calls) == rows  # every layer-direction
    for got, want in zip(fused, run(exact, torch.float64), strict=True):
        scale = want.abs().max().item()
        torch.testing.assert_close(got.double(), want, rtol=1e-4, atol=1e-5 * scale)


@needs_fused
def test_the_states_of_a_time_major_layer_come_back_without_a_copy():
    x, w, b, h0 = operands(False, 40, 16, True, torch.float32)
    out = minfused.min_fused(x, w, b, h0, time_major=True)
    assert out.shape == (5, 40, 32) and out.transpose(0, 1).is_contiguous()
    torch.testing.assert_close(out, minfused.min_fused(x, w, b, h0), rtol=0, atol=0)


@needs_fused
def test_inference_keeps_nothing_and_gives_the_training_values():
    x, w, b, h0 = operands(True, 70, 16, True, torch.float32)
    w.requires_grad_(True)
    trained = minfused.min_fused(x, w, b, h0, lstm=True)
    assert trained.grad_fn is not None
    with torch.no_grad():
        inferred = minfused.min_fused(x, w, b, h0, lstm=True)
    assert inferred.grad_fn is None
    torch.testing.assert_close(inferred, trained.detach(), rtol=0, atol=0)


@needs_fused
def test_one_and_two_threads_give_the_same_gradients():
    """Rows split over threads, each thread its own dW: the sum's order changes with the
    thread count (float32 rounding), not with the run."""
    x, w, b, h0 = operands(False, 300, 16, True, torch.float32)
    w.requires_grad_(True)
    before = torch.get_num_threads()

    def grad(threads):
        torch.set_num_threads(threads)
        return torch.autograd.grad(minfused.min_fused(x, w, b, h0).sum(), w)[0]

    try:
        one, two, again = grad(1), grad(2), grad(2)
    finally:
        torch.set_num_threads(before)
    torch.testing.assert_close(one, two, rtol=1e-5, atol=1e-4)
    assert torch.equal(two, again)


def test_fusable_refuses_what_the_pass_cannot_run():
    x, w, h0 = torch.zeros(2, 3, 16), torch.zeros(64, 16), torch.zeros(2, 32)
    assert minfused.fusable(x.double(), w.double(), h0.double()) is None
    assert minfused.fusable(x, torch.zeros(48, 16), torch.zeros(2, 24)) is None  # H % 16
    odd = torch.zeros(2, 3, 24, requires_grad=True)
    assert minfused.fusable(odd, torch.zeros(64, 24), h0) is None  # dL/dx needs H_in % 16
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert minfused.fusable(x, w, h0) is None
    if fused_module is not None:
        assert minfused.fusable(odd.detach(), torch.zeros(64, 24), h0) is fused_module
