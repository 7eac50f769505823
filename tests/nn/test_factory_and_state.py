from __future__ import annotations

import pytest
import torch

from rnnkit.nn import GRU, LSTM, RNN, Jordan, detach_state, final_hidden, recurrent


@pytest.mark.parametrize(
    "kind,cls", [("rnn", RNN), ("lstm", LSTM), ("gru", GRU), ("jordan", Jordan), ("LSTM", LSTM)]
)
def test_factory_builds_each_kind(kind, cls):
    extra = {"output_size": 2} if kind == "jordan" else {}
    backend = "scratch" if kind == "jordan" else "native"
    layer = recurrent(kind, backend=backend, input_size=3, hidden_size=4, **extra)
    assert type(layer) is cls
    assert layer.backend == backend


def test_layers_are_their_torch_counterparts():
    assert isinstance(LSTM(2, 3, backend="scratch"), torch.nn.LSTM)
    assert isinstance(GRU(2, 3), torch.nn.GRU)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_out_features(kind):
    layer = recurrent(kind, input_size=3, hidden_size=4, bidirectional=True)
    out, _ = layer(torch.randn(5, 2, 3))
    assert out.size(-1) == layer.out_features == 8


def test_backend_can_be_switched_on_a_built_layer():
    torch.manual_seed(0)
    layer = LSTM(3, 4)
    x = torch.randn(6, 2, 3)
    native, _ = layer(x)
    layer.backend = "scratch"
    scratch, _ = layer(x)
    torch.testing.assert_close(scratch, native, atol=1e-5, rtol=0)
    assert "backend='scratch'" in repr(layer)


def test_detach_and_final_hidden():
    h, c = torch.ones(1, 2, 3, requires_grad=True), torch.zeros(1, 2, 3, requires_grad=True)
    dh, dc = detach_state((h * 2, c * 2))
    assert not dh.requires_grad and not dc.requires_grad
    assert final_hidden((h, c)) is h
    assert final_hidden(h) is h
    assert detach_state(None) is None
