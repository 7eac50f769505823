"""MinGRU/MinLSTM's C++ sequence pass (rnnkit.nn.fast.compiled, csrc/min_scan.cpp) gives what
the tree scan of rnnkit.nn.minscan gives (which test_mingru.py proves equal to the step loop,
gradcheck and the NumPy reference), in float32: outputs, final states and every gradient,
padded and packed, both directions, stacked, from a given initial state; and it is the path a
float32 CPU layer takes where the fused pass (rnnkit.nn.minfused, tested in test_min_fused.py)
does not: every test here turns the fused pass off, so that unpadded batches reach min_scan."""

from __future__ import annotations

import pytest
import torch

from rnnkit.nn import MinGRU, MinLSTM, mingru, minscan, pack, unpack
from rnnkit.nn.fast.compiled import loops

needs_build = pytest.mark.skipif(loops() is None, reason="no C++ compiler or build failed")


@pytest.fixture(autouse=True)
def _no_fused_pass(monkeypatch):
    """The layers take min_scan's pass (as without AVX-512), not the fused one."""
    monkeypatch.setattr(mingru, "fusable", lambda x, weight, h0: None)


def run(layer, x, h0, lengths, packed: bool):
    if packed:
        out, h = layer(pack(x, lengths, batch_first=True), h0)
        out = unpack(out, batch_first=True, total_length=x.size(1))[0]
    else:
        out, h = layer(x, h0)
    weights = torch.linspace(-1, 1, out.numel()).view_as(out)
    loss = (out * weights).sum() + h.square().sum()
    grads = torch.autograd.grad(loss, [x, h0, *layer.parameters()])
    return [out, h, *grads]


@needs_build
@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_the_compiled_pass_equals_the_tree_scan(monkeypatch, cls, packed, bidirectional):
    torch.manual_seed(0)
    layer = cls(5, 16, num_layers=2, batch_first=True, bidirectional=bidirectional)
    directions = 2 if bidirectional else 1
    x = torch.randn(4, 9, 5, requires_grad=True)
    h0 = torch.randn(2 * directions, 4, 16, requires_grad=True)
    lengths = torch.tensor([9, 7, 3, 1])
    compiled = run(layer, x, h0, lengths, packed)
    monkeypatch.setattr(minscan, "_compiled", lambda xw, bias, h0: None)
    tree = run(layer, x, h0, lengths, packed)
    for a, b in zip(compiled, tree, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


@needs_build
@pytest.mark.parametrize("lstm", [False, True])
def test_inference_takes_the_compiled_pass_and_agrees(monkeypatch, lstm):
    torch.manual_seed(1)
    xw = torch.randn(3, 40, (3 if lstm else 2) * 8) * 4  # large gates: both branches of g
    bias, h0 = torch.randn(xw.size(-1)), torch.randn(3, 8)
    calls = []
    real = minscan._compiled
    monkeypatch.setattr(
        minscan, "_compiled", lambda *a: calls.append(real(*a)) or real(*a)
    )  # fmt: skip
    for reverse in (False, True):
        got = minscan.min_scan(xw, h0, reverse, lstm, bias, batch_first=True)
        want = minscan.scan_blocks(xw, bias, h0, reverse, lstm, keep=False)[0]
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    assert calls and all(c is loops() for c in calls)


def test_float64_takes_the_tree_scan():
    xw, h0 = torch.randn(2, 5, 8, dtype=torch.float64), torch.zeros(2, 4, dtype=torch.float64)
    assert minscan._compiled(xw, None, h0) is None


@needs_build
@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
@pytest.mark.parametrize("packed", [False, True])
def test_a_column_major_gradient_gives_the_same_weight_gradients(monkeypatch, cls, packed):
    """An input that needs no gradient, a projection on oneDNN (2H >= 256): dL/dxw comes back
    column-major and dW is computed from it; the gradients equal the tree scan's. (Packed, the layer
    asks for row-major: the padding's masked_fill would copy it to row-major anyway.)"""
    from rnnkit.nn.fast import linear

    torch.manual_seed(2)
    layer = cls(6, 128, batch_first=True, bidirectional=True)
    x, lengths = torch.randn(3, 20, 6), torch.tensor([20, 11, 4])
    assert linear.uses_dnn(x, layer.weight_ih_l0)
    layouts = []
    real = linear.DnnLinear.backward
    monkeypatch.setattr(
        linear.DnnLinear, "backward",
        staticmethod(lambda ctx, dy: layouts.append(dy.is_contiguous()) or real(ctx, dy)),
    )  # fmt: skip

    def grads():
        if packed:
            out = unpack(layer(pack(x, lengths, batch_first=True))[0], batch_first=True)[0]
        else:
            out = layer(x)[0]
        loss = (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum()
        return torch.autograd.grad(loss, list(layer.parameters()))

    compiled = grads()
    assert (False in layouts) is not packed  # the column-major branch ran, unpacked
    monkeypatch.setattr(minscan, "_compiled", lambda xw, bias, h0: None)
    for a, b in zip(compiled, grads(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@needs_build
@pytest.mark.parametrize("loss", ["sum", "weighted"])
def test_time_major_and_broadcast_gradients_are_read_in_place(monkeypatch, loss):
    """A time-major layer hands the pass a transposed gradient, ``out.sum()`` a broadcast one
    (strides 0): both are read without a copy of (N, L, H), with the tree scan's results."""
    torch.manual_seed(3)
    layer = MinGRU(4, 16, num_layers=2)  # batch_first=False
    x = torch.randn(7, 3, 4, requires_grad=True)

    def grads():
        out = layer(x)[0]
        value = (
            out.sum()
            if loss == "sum"
            else (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum()
        )
        return torch.autograd.grad(value, [x, *layer.parameters()])

    seen = []
    real = minscan._rows_of
    monkeypatch.setattr(minscan, "_rows_of", lambda g: seen.append(g.stride()) or real(g))
    compiled = grads()
    assert seen and all(s[-1] in (0, 1) for s in seen)
    monkeypatch.setattr(minscan, "_compiled", lambda xw, bias, h0: None)
    for a, b in zip(compiled, grads(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_rows_of_keeps_strided_rows_and_shrinks_a_broadcast():
    g = torch.randn(5, 3, 8).transpose(0, 1)  # (3, 5, 8), strides (8, 24, 1)
    assert minscan._rows_of(g).data_ptr() == g.data_ptr()
    ones = torch.ones(()).expand(3, 5, 8)
    rows = minscan._rows_of(ones)
    assert rows.stride() == (0, 0, 1) and torch.equal(rows, ones)
    odd = torch.randn(3, 8, 5).transpose(1, 2)  # stride 5 over H: copied
    assert minscan._rows_of(odd).is_contiguous()


@needs_build
@pytest.mark.parametrize("lstm", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_states_written_time_major_equal_the_batch_major_ones(monkeypatch, lstm, reverse):
    """A time-major layer gets its states from the C++ pass as a contiguous (L, N, H) (no
    transposing copy), with the same values and gradients as the batch-major layout."""
    torch.manual_seed(4)
    gates = torch.randn(3, 11, (3 if lstm else 2) * 16, requires_grad=True)
    bias, h0 = torch.randn(gates.size(-1), requires_grad=True), torch.randn(3, 16)
    weights = torch.linspace(-1, 1, 3 * 11 * 16).view(3, 11, 16)
    results = []
    for time_major in (False, True):
        out = minscan.min_scan(gates, h0, reverse, lstm, bias, True, time_major=time_major)
        assert out.transpose(0, 1).is_contiguous() is time_major
        grads = torch.autograd.grad((out * weights).sum(), [gates, bias])
        results.append([out, *grads])
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    with torch.no_grad():  # inference, and gates given time-major
        out = minscan.min_scan(gates.transpose(0, 1), h0, reverse, lstm, bias)
    assert out.is_contiguous()
    torch.testing.assert_close(out.transpose(0, 1), results[0][0], rtol=0, atol=0)


@needs_build
def test_a_time_major_layer_returns_its_states_without_a_copy(monkeypatch):
    layer = MinGRU(8, 16)  # time-major, one layer, one direction
    x = torch.randn(7, 3, 8)
    out, h = layer(x)
    assert out.is_contiguous() and out._base is not None  # the pass's (L, N, H) buffer
    torch.testing.assert_close(h[0], out[-1], rtol=0, atol=0)
