"""The runnable examples in the public docstrings run and print what they say."""

from __future__ import annotations

import doctest

import pytest
import torch

import rnnkit.nn as rnn_nn
from rnnkit.nn import cells, factory, jordan, layers

PUBLIC = ["RNNCell", "LSTMCell", "GRUCell", "JordanCell", "RNN", "LSTM", "GRU", "Jordan"]


@pytest.mark.parametrize("module", [cells, layers, jordan, factory])
def test_docstring_examples(module):
    torch.manual_seed(0)
    globs = {"torch": torch, **{name: getattr(rnn_nn, name) for name in rnn_nn.__all__}}
    result = doctest.testmod(module, extraglobs=globs, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0


@pytest.mark.parametrize("name", PUBLIC)
def test_public_docstrings_state_shapes_and_example(name):
    doc = getattr(rnn_nn, name).__doc__
    assert "Example::" in doc and ">>>" in doc
    assert "(N, H_in)" in doc or "(L, N, H_in)" in doc
    assert "math::" in doc or ":math:" in doc
