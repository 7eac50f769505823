"""The exact text of the layers' argument errors (both engines share the checks)."""

from __future__ import annotations

import re

import pytest
import torch

from rnnkit.nn import GRU, LSTM, RNN, pack, recurrent

BACKENDS = ["native", "scratch"]


def raises(exc, text):
    return pytest.raises(exc, match="^" + re.escape(text) + "$")


@pytest.mark.parametrize("backend", BACKENDS)
def test_input_feature_size(backend):
    with raises(
        ValueError, "input.size(-1) must equal input_size=10, received 7 (input shape (5, 2, 7))"
    ):
        RNN(10, 3, backend=backend)(torch.randn(5, 2, 7))


@pytest.mark.parametrize("backend", BACKENDS)
def test_seed_002_h0_mistake_is_named(backend):
    """Seed 002 builds h0 as (batch, layers, hidden) under batch_first=True."""
    rnn = RNN(10, 3, num_layers=2, batch_first=True, backend=backend)
    x = torch.randn(4, 5, 10)  # (N=4, L=5, H_in)
    with raises(
        ValueError,
        "h0 must have shape (D*num_layers, N, H_out) = (2, 4, 3) whatever "
        "batch_first is, received (4, 2, 3): it looks batch-first (N, D*num_layers, H); "
        "the initial state is never batch-first, use h0.transpose(0, 1).contiguous()",
    ):
        rnn(x, torch.zeros(4, 2, 3))


@pytest.mark.parametrize("backend", BACKENDS)
def test_h0_wrong_shape(backend):
    with raises(
        ValueError,
        "h0 must have shape (D*num_layers, N, H_out) = (2, 4, 3) whatever "
        "batch_first is, received (1, 4, 3)",
    ):
        GRU(10, 3, bidirectional=True, backend=backend)(torch.randn(5, 4, 10), torch.zeros(1, 4, 3))


@pytest.mark.parametrize("backend", BACKENDS)
def test_c0_wrong_shape(backend):
    lstm = LSTM(10, 3, backend=backend)
    with raises(
        ValueError,
        "c0 must have shape (D*num_layers, N, H_cell) = (1, 4, 3) whatever "
        "batch_first is, received (1, 4, 2)",
    ):
        lstm(torch.randn(5, 4, 10), (torch.zeros(1, 4, 3), torch.zeros(1, 4, 2)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_dtype_and_device_mismatch(backend):
    with raises(
        TypeError,
        "input has dtype torch.float64 but the weights have dtype "
        "torch.float32; convert one of them, e.g. input.to(torch.float32)",
    ):
        LSTM(4, 3, backend=backend)(torch.randn(5, 2, 4, dtype=torch.float64))
    with raises(
        TypeError,
        "h0 has dtype torch.float64 but the weights have dtype "
        "torch.float32; convert one of them, e.g. h0.to(torch.float32)",
    ):
        RNN(4, 3, backend=backend)(torch.randn(5, 2, 4), torch.zeros(1, 2, 3, dtype=torch.float64))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_lower_precision_input_is_accepted_under_autocast(kind, backend):
    """Under autocast a Linear before the layer hands it bf16: accepted, as torch.nn does."""
    layer = recurrent(kind, backend=backend, input_size=4, hidden_size=3, batch_first=True)
    x = torch.randn(2, 5, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, _ = layer(x.to(torch.bfloat16))
    want, _ = layer(x)
    torch.testing.assert_close(out.float(), want, atol=0.05, rtol=0.05)
    with raises(
        TypeError,
        "input has dtype torch.bfloat16 but the weights have dtype "
        "torch.float32; convert one of them, e.g. input.to(torch.float32)",
    ):
        layer(x.to(torch.bfloat16))  # outside autocast the mismatch is still an error


def test_input_rank():
    with raises(
        ValueError,
        "input must be 3-D (L, N, H_in) (or (N, L, H_in) with batch_first) "
        "or 2-D (L, H_in) unbatched, received 4-D with shape (1, 2, 3, 4)",
    ):
        RNN(4, 3)(torch.randn(1, 2, 3, 4))


@pytest.mark.parametrize(
    "kwargs,exc,text",
    [
        (
            dict(input_size=0, hidden_size=3),
            ValueError,
            "input_size must be a positive integer, received 0",
        ),
        (
            dict(input_size=4, hidden_size=-2),
            ValueError,
            "hidden_size must be a positive integer, received -2",
        ),
        (
            dict(input_size=4, hidden_size=3, num_layers=0),
            ValueError,
            "num_layers must be a positive integer, received 0",
        ),
        (
            dict(input_size=4.0, hidden_size=3),
            TypeError,
            "input_size must be a positive integer, received 4.0",
        ),
        (
            dict(input_size=4, hidden_size=3, dropout=1.5),
            ValueError,
            "dropout must be a number in [0, 1], received 1.5",
        ),
        (
            dict(input_size=4, hidden_size=3, dropout=-0.1),
            ValueError,
            "dropout must be a number in [0, 1], received -0.1",
        ),
        (
            dict(input_size=4, hidden_size=3, backend="cudnn"),
            ValueError,
            "backend must be one of 'native', 'scratch', received 'cudnn'",
        ),
    ],
)
def test_constructor_errors(kwargs, exc, text):
    with raises(exc, text):
        GRU(**kwargs)


def test_proj_size_errors():
    with raises(ValueError, "proj_size must be smaller than hidden_size=3, received 3"):
        LSTM(4, 3, proj_size=3)


def test_unknown_kind_lists_the_known_ones():
    with raises(
        ValueError,
        "kind must be one of rnn, lstm, gru, jordan, mingru, minlstm, slstm, "
        "received 'transformer'",
    ):
        recurrent("transformer", input_size=1, hidden_size=1)


@pytest.mark.parametrize(
    "lengths,text",
    [
        (
            [5, 0, 2],
            "lengths must be between 1 and the padded length L=5, received 0 at position 1",
        ),  # noqa: E501
        (
            [5, 6, 2],
            "lengths must be between 1 and the padded length L=5, received 6 at position 1",
        ),  # noqa: E501
        ([5, 2], "lengths must be 1-D with one length per sequence (N=3), received shape (2,)"),
    ],
)
def test_pack_length_errors(lengths, text):
    with raises(ValueError, text):
        pack(torch.randn(5, 3, 2), lengths)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("layer", [RNN, LSTM, GRU])
@pytest.mark.parametrize(
    "shape, batch_first", [((0, 2, 3), False), ((0, 3), False), ((2, 0, 3), True)]
)
def test_a_sequence_of_length_0_raises_what_torch_nn_raises(backend, layer, shape, batch_first):
    native = getattr(torch.nn, layer.__name__)(3, 4, batch_first=batch_first)
    with pytest.raises(Exception) as expected:
        native(torch.zeros(shape))
    ours = layer(3, 4, batch_first=batch_first, backend=backend)
    with pytest.raises(type(expected.value)) as got:
        ours(torch.zeros(shape))
    assert type(got.value) is type(expected.value) is RuntimeError
    assert (
        str(got.value)
        == str(expected.value)
        == ("Expected sequence length to be larger than 0 in RNN")
    )


def test_a_jordan_network_refuses_length_0_the_same_way():
    from rnnkit.nn import Jordan

    with raises(RuntimeError, "Expected sequence length to be larger than 0 in RNN"):
        Jordan(3, 4, output_size=2)(torch.zeros(0, 2, 3))
    assert Jordan(3, 4, output_size=2)(torch.zeros(5, 0, 3))[0].shape == (5, 0, 2)  # N = 0 is fine
