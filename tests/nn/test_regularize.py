"""AWD-LSTM's regularisers do what they say: one DropConnect mask per forward call, used at
every step by both engines; locked dropout constant over time; embedding dropout zeroes whole
words and rescales the others; AR/TAR add exactly their formula."""

from __future__ import annotations

import doctest

import pytest
import torch
from torch import nn

from rnnkit.nn import GRU, LSTM, RNN, Jordan, regularize
from rnnkit.nn.regularize import (
    LockedDropout,
    activation_regularization,
    embedding_dropout,
    load_plain_state_dict,
    plain_state_dict,
    weight_drop,
)

LAYERS = {"lstm": LSTM, "gru": GRU, "rnn": RNN}


def _plain_copy(layer, masks):
    """A layer without weight drop whose recurrent weights are the dropped ones."""
    plain = type(layer).__bases__[0](3, 5, num_layers=2, batch_first=True, backend=layer.backend)
    state = plain_state_dict(layer)
    for name, mask in masks.items():
        state[name] = state[name] * mask
    plain.load_state_dict(state)
    return plain.eval()


@pytest.mark.parametrize("backend", ["native", "scratch"])
@pytest.mark.parametrize("kind", list(LAYERS))
def test_weight_drop_uses_one_mask_for_every_step_of_a_forward(kind, backend):
    torch.manual_seed(0)
    layer = weight_drop(LAYERS[kind](3, 5, num_layers=2, batch_first=True, backend=backend), 0.5)
    x = torch.randn(4, 7, 3)
    out, _ = layer(x)  # training mode: dropped weights
    masks = {n: layer.parametrizations[n][0].mask for n in ("weight_hh_l0", "weight_hh_l1")}
    for mask in masks.values():
        assert set(mask.unique().tolist()) <= {0.0, 2.0}
        assert 0.3 < float((mask == 0).float().mean()) < 0.7
    # a plain layer holding W * mask reproduces every step: the mask never changed in time
    expected, _ = _plain_copy(layer, masks)(x)
    torch.testing.assert_close(out, expected)


def test_weight_drop_draws_a_new_mask_per_forward_and_none_in_eval():
    torch.manual_seed(0)
    layer = weight_drop(LSTM(3, 5, batch_first=True), 0.5)
    drop = layer.parametrizations.weight_hh_l0[0]
    x = torch.randn(2, 4, 3)
    layer(x)
    first = drop.mask.clone()
    layer(x)
    assert not torch.equal(first, drop.mask)
    layer.eval()
    raw = layer.parametrizations.weight_hh_l0.original
    assert torch.equal(layer.weight_hh_l0, raw)
    plain = LSTM(3, 5, batch_first=True)
    plain.load_state_dict(plain_state_dict(layer))
    torch.testing.assert_close(layer(x)[0], plain(x)[0])


def test_weight_drop_trains_the_raw_weight_and_keeps_input_weights():
    torch.manual_seed(0)
    layer = weight_drop(GRU(3, 5, batch_first=True), 0.5)
    layer(torch.randn(2, 4, 3))[0].sum().backward()
    raw = layer.parametrizations.weight_hh_l0.original
    mask = layer.parametrizations.weight_hh_l0[0].mask
    assert raw.grad is not None and bool((raw.grad[mask == 0] == 0).all())
    assert "weight_ih_l0" in dict(layer.named_parameters())  # not parametrized


def test_weight_drop_on_jordan_and_zero_is_a_no_op():
    layer = weight_drop(Jordan(3, 5, output_size=2, batch_first=True), 0.25)
    assert list(layer.parametrizations.keys()) == ["weight_yh_l0"]
    plain = LSTM(3, 5)
    assert weight_drop(plain, 0.0) is plain and not hasattr(plain, "parametrizations")
    with pytest.raises(ValueError, match=r"weight_drop must be a number in \[0, 1\), received 1"):
        weight_drop(LSTM(3, 5), 1)


def test_plain_state_dict_round_trip_into_a_dropped_layer():
    torch.manual_seed(0)
    plain = LSTM(3, 5, num_layers=2)
    dropped = weight_drop(LSTM(3, 5, num_layers=2), 0.3)
    load_plain_state_dict(dropped, plain.state_dict())
    assert plain_state_dict(dropped).keys() == plain.state_dict().keys()
    for key, value in plain.state_dict().items():
        assert torch.equal(plain_state_dict(dropped)[key], value)
    with pytest.raises(ValueError, match="missing"):
        load_plain_state_dict(dropped, {"weight_ih_l0": plain.weight_ih_l0})


def test_locked_dropout_mask_is_constant_over_time():
    torch.manual_seed(0)
    drop = LockedDropout(0.4)
    x = torch.randn(3, 9, 6)
    y = drop(x)
    ratio = y / x  # the mask itself: 0 or 1/0.6
    assert torch.allclose(ratio, ratio[:, :1].expand_as(ratio))
    kept = ratio[ratio != 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / 0.6)) and len(kept) < ratio.numel()
    assert not torch.allclose(ratio[0], ratio[1])  # but one mask per sequence
    drop.eval()
    assert torch.equal(drop(x), x)


def test_embedding_dropout_zeroes_whole_words_and_rescales():
    torch.manual_seed(0)
    embed = nn.Embedding(50, 4)
    ids = torch.randint(0, 50, (8, 30))
    out = embedding_dropout(embed, ids, 0.5, training=True)
    scale = out / embed(ids)  # (N, L, E): the row mask of each position's word
    assert torch.allclose(scale, scale[..., :1].expand_as(scale))  # a whole vector at once
    per_word = {}
    for word, s in zip(ids.flatten().tolist(), scale[..., 0].flatten().tolist()):
        per_word.setdefault(word, set()).add(round(s, 5))
    assert all(len(v) == 1 for v in per_word.values())  # the same word: the same fate
    assert {v.pop() for v in per_word.values()} == {0.0, 2.0}
    assert torch.equal(embedding_dropout(embed, ids, 0.5, training=False), embed(ids))


def test_activation_regularization_is_exactly_alpha_ar_plus_beta_tar():
    torch.manual_seed(0)
    raw, dropped = torch.randn(2, 5, 3), torch.randn(2, 5, 3)
    ar = sum(float(dropped[n, t, h]) ** 2 for n in range(2) for t in range(5) for h in range(3))
    tar = sum(
        float(raw[n, t, h] - raw[n, t - 1, h]) ** 2
        for n in range(2)
        for t in range(1, 5)
        for h in range(3)
    )
    got = activation_regularization(raw, dropped, 2.0, 1.0)
    assert float(got) == pytest.approx(2.0 * ar / 30 + 1.0 * tar / 24, rel=1e-6)
    assert float(activation_regularization(raw, dropped, 0.0, 0.0)) == 0.0
    assert float(activation_regularization(raw[:, :1], dropped[:, :1], 0.0, 1.0)) == 0.0


def test_docstring_examples_run():
    torch.manual_seed(0)
    result = doctest.testmod(regularize, extraglobs={"torch": torch})
    assert result.failed == 0 and result.attempted > 0


def test_weight_drop_on_a_cell_without_recurrent_weights_is_a_config_error():
    from rnnkit.config import ModelConfig
    from rnnkit.errors import ConfigError
    from rnnkit.models.common import recurrent_from_config

    cfg = ModelConfig(cell="mingru", weight_drop=0.2)
    with pytest.raises(ConfigError) as err:
        recurrent_from_config(cfg, 3)
    assert str(err.value) == (
        "model.weight_drop needs a cell with hidden-to-hidden weights (rnn, lstm, gru, jordan): "
        "mingru has none, received 0.2"
    )
    layer = recurrent_from_config(ModelConfig(cell="gru", weight_drop=0.2), 3)
    assert list(layer.parametrizations.keys()) == ["weight_hh_l0"]
