"""The C++ LSTM step loops (rnnkit.nn.fast.compiled) give what the TorchScript loops give (which
the other tests prove equal to torch.nn.LSTM and the NumPy reference), in float32: outputs,
final states and every gradient, padded and packed, both directions, stacked."""

from __future__ import annotations

import pytest
import torch

import rnnkit.nn.fast.engine as fast_engine
import rnnkit.nn.fast.lstm as fast_lstm
from rnnkit.nn import LSTM, pack, unpack
from rnnkit.nn.fast.compiled import loops as lstm_loops

needs_build = pytest.mark.skipif(lstm_loops() is None, reason="no C++ compiler or build failed")


def run(layer, x, lengths, packed: bool):
    if packed:
        out, (h, c) = layer(pack(x, lengths, batch_first=True))
        out = unpack(out, batch_first=True, total_length=x.size(1))[0]
    else:
        out, (h, c) = layer(x)
    weights = torch.linspace(-1, 1, out.numel()).view_as(out)
    loss = (out * weights).sum() + h.square().sum() + c.sum()
    grads = torch.autograd.grad(loss, [x, *layer.parameters()])
    return [out, h, c, *grads]


@needs_build
@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_compiled_loops_equal_the_torchscript_loops(monkeypatch, packed, bidirectional):
    torch.manual_seed(0)
    layer = LSTM(5, 16, num_layers=2, batch_first=True, bidirectional=bidirectional,
                 backend="scratch")  # fmt: skip
    x = torch.randn(4, 9, 5, requires_grad=True)
    lengths = torch.tensor([9, 7, 3, 1])
    monkeypatch.setattr(fast_engine, "fused", lambda *args: None)  # the step loops, not fused
    compiled = run(layer, x, lengths, packed)
    monkeypatch.setattr(fast_lstm, "_compiled", lambda dnn, gi: None)
    scripted = run(layer, x, lengths, packed)
    for a, b in zip(compiled, scripted, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


@needs_build
def test_the_compiled_path_is_the_one_taken_for_a_small_float32_lstm(monkeypatch):
    calls = []
    real = fast_lstm._compiled
    monkeypatch.setattr(
        fast_lstm, "_compiled", lambda dnn, gi: calls.append(real(dnn, gi)) or real(dnn, gi)
    )
    LSTM(3, 8, backend="scratch")(torch.randn(5, 2, 3))  # H = 8: off the fused layer's tiles
    assert calls and calls[0] is lstm_loops()


def test_switched_off_by_the_environment_the_torchscript_loop_runs(monkeypatch):
    import rnnkit.nn.fast.compiled as compiled

    monkeypatch.setenv("RNNKIT_COMPILED_LOOPS", "0")
    monkeypatch.setattr(compiled, "_tried", False)
    monkeypatch.setattr(compiled, "_module", None)
    assert compiled.available() is False
    assert compiled.lstm_loops() is None
    out, _ = LSTM(3, 8, backend="scratch")(torch.randn(5, 2, 3))  # runs on TorchScript
    assert out.shape == (5, 2, 8)


def test_where_a_compiler_is_there_the_module_builds():
    """Every compiled test skips when the build fails, so a C++ error would pass unseen."""
    import rnnkit.nn.fast.compiled as compiled

    if not compiled.available():
        pytest.skip("no C++ compiler or ninja here")
    module = compiled.loops()
    assert module is not None, "the C++ loops failed to build (see torch_extensions' log)"
    assert {"forward_loop", "backward_loop", "fused_forward", "min_forward"} <= set(dir(module))
