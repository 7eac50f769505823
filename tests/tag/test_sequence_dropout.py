"""Locked (per-sentence) and token dropout: the masks they promise, the identity outside
training, and a tagger that uses them around its sentence layer."""

from __future__ import annotations

import pytest
import torch

from rnnkit.config import config_from_dict
from rnnkit.data.tagging import make_batch
from rnnkit.errors import ConfigError
from rnnkit.models.sequence_dropout import locked_dropout, token_dropout
from rnnkit.models.tagger import Tagger, TaggerModel
from rnnkit.tasks.tag import TagTask  # noqa: F401  (registers task tag)

from .test_tagger import encoded


def test_locked_dropout_draws_one_mask_per_sentence_and_feature():
    torch.manual_seed(0)
    x = torch.rand(8, 5, 4000) + 0.5  # no zero of its own
    y = locked_dropout(x, 0.3, training=True)
    zeros = y == 0
    assert torch.equal(zeros, zeros[:, :1].expand_as(zeros))  # the same at every position
    torch.testing.assert_close(y[~zeros], x[~zeros] / 0.7)  # the others scaled by 1 / (1 - p)
    assert float(zeros[:, 0].float().mean()) == pytest.approx(0.3, abs=0.01)
    assert not torch.equal(zeros[0, 0], zeros[1, 0])  # sentences draw their own masks
    assert locked_dropout(x, 0.3, training=False) is x and locked_dropout(x, 0.0, True) is x


def test_token_dropout_zeroes_whole_tokens_without_rescaling():
    torch.manual_seed(0)
    x = torch.rand(50, 40, 6) + 0.5
    y = token_dropout(x, 0.2, training=True)
    dropped = (y == 0).all(-1)  # (N, L)
    assert torch.equal(y[~dropped], x[~dropped])  # kept tokens unchanged, not rescaled
    assert torch.equal((y == 0).any(-1), dropped)  # a token is dropped whole or not at all
    assert float(dropped.float().mean()) == pytest.approx(0.2, abs=0.03)
    assert token_dropout(x, 0.2, training=False) is x


def tagger(**options):
    split, words, chars = encoded(documents=[0, 0, 1])
    cfg = TaggerModel(hidden_size=6, embedding_dim=5, char_dim=3, char_hidden_size=4, **options)
    torch.manual_seed(0)
    return Tagger(cfg, len(words), len(chars), num_tags=3), make_batch(
        split, torch.tensor([0, 1, 2])
    )


def test_a_tagger_with_locked_dropout_masks_each_sentence_alike_and_evaluates_unchanged():
    plain, batch = tagger()
    model, _ = tagger(locked_dropout=True, token_dropout=0.05)
    model.load_state_dict(plain.state_dict())
    plain.eval(), model.eval()
    assert torch.equal(model(batch, batch.tags)[1], plain(batch, batch.tags)[1])
    seen = []
    model.rnn.register_forward_pre_hook(lambda _, args: seen.append(args[0]))
    model.train()
    torch.manual_seed(1)
    model.p_token = 0.0  # locked alone: every kept token keeps the same features
    model(batch, batch.tags)[1].backward()
    x = torch.nn.utils.rnn.pad_packed_sequence(seen[0], batch_first=True)[0]  # (N, L, F)
    for n, length in enumerate(batch.lengths.tolist()):
        zeros = x[n, :length] == 0  # (length, F)
        assert torch.equal(zeros, zeros[:1].expand_as(zeros))
        assert 0 < int(zeros[0].sum()) < x.size(-1)


def test_token_dropout_is_checked():
    raw = {"task": "tag", "data": {"train": "t.conll"}, "model": {"token_dropout": 1.0}}
    with pytest.raises(ConfigError) as err:
        config_from_dict(raw)
    assert str(err.value) == "model.token_dropout must be in [0, 1), received 1.0"
