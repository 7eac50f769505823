"""``FrozenRowsEmbedding``: the same vectors, bags and state dict as ``nn.Embedding``, no
gradient on the frozen rows, and a tagger trained with it ends exactly where a tagger with a
plain embedding ends when no training word is frozen (``model.vectors_vocab``)."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from rnnkit.config import config_from_dict
from rnnkit.models.frozen_rows import FrozenRowsEmbedding
from rnnkit.tasks import get_task_class

from .test_vectors_lm import tag_raw, tiny_file, word_lm  # noqa: F401 (fixtures)


def pair(rows: int = 9, dim: int = 4, trained: int = 5):
    torch.manual_seed(0)
    plain = nn.Embedding(rows, dim, padding_idx=0)
    return plain, FrozenRowsEmbedding(plain.weight.data, trained)


def test_lookup_and_weight_equal_a_plain_embedding():
    plain, split = pair()
    ids = torch.tensor([[0, 1, 4, 5], [8, 6, 0, 3]])
    assert torch.equal(split(ids), plain(ids))
    assert torch.equal(split.weight, plain.weight)
    assert [name for name, _ in split.named_parameters()] == ["trained_weight"]


def test_only_the_trained_rows_get_gradients():
    _, split = pair()
    split(torch.tensor([[1, 4, 5, 8, 0]])).sum().backward()
    grad = split.trained_weight.grad
    assert grad[[1, 4]].eq(1).all() and grad[[0, 2, 3]].eq(0).all()  # 0 is padding
    assert not split.frozen.requires_grad


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 8), max_size=6), min_size=1, max_size=5))
def test_bag_mean_equals_embedding_bag(bags):
    plain, split = pair()
    ids = torch.tensor([i for bag in bags for i in bag], dtype=torch.long)
    offsets = torch.tensor([0] + [len(b) for b in bags][:-1]).cumsum(0)
    expected = F.embedding_bag(ids, plain.weight, offsets, mode="mean", padding_idx=0)
    torch.testing.assert_close(split.bag_mean(ids, offsets), expected)


def test_state_dict_is_a_plain_embeddings_both_ways():
    plain, split = pair()
    assert list(split.state_dict()) == ["weight"]
    assert torch.equal(split.state_dict()["weight"], plain.state_dict()["weight"])
    other = FrozenRowsEmbedding(torch.zeros(9, 4), 5)
    other.load_state_dict(plain.state_dict())
    assert torch.equal(other.weight, plain.weight)
    with pytest.raises(RuntimeError, match=r"\(8, 4\) in the checkpoint, \(9, 4\) in the model"):
        other.load_state_dict({"weight": torch.zeros(8, 4)})


def test_a_tagger_trains_as_with_a_plain_embedding(tiny_file, config, word_lm):  # noqa: F811
    """Adam and gradient clipping over a plain table leave the rows of words unseen in
    training unchanged: the split trains every other weight to the same values."""
    run = word_lm[0]
    task = get_task_class("tag")(
        config_from_dict(tag_raw(config, tiny_file, run, vectors_vocab=True))
    )
    task.setup()
    assert task.trained_words < len(task.words)
    split = task.build_model()
    plain = copy.deepcopy(split)  # the same weights, with a plain table of every row
    plain.words = nn.Embedding.from_pretrained(split.words.weight.detach(), False, padding_idx=0)
    initial = split.words.weight.detach().clone()
    for model in (split, plain):
        torch.manual_seed(0)  # the same dropout masks
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        for epoch in range(3):
            for batch in task.train_batches(epoch):
                optimizer.zero_grad()
                model(batch, batch.tags)[1].backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
    assert isinstance(split.words, FrozenRowsEmbedding) and isinstance(plain.words, nn.Embedding)
    for (name, a), b in zip(split.state_dict().items(), plain.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6, msg=name)
    first = task.trained_words
    assert torch.equal(plain.words.weight[first:], initial[first:])  # untouched in both
    assert torch.equal(split.words.frozen, initial[first:])
    assert not torch.allclose(split.words.trained_weight, initial[:first])  # these learned
