"""Tokens to ids: vocabulary rules in the pipeline, n-grams, truncation, padded batches,
and length bucketing."""

from __future__ import annotations

import doctest

import pytest
import torch

import rnnkit.data.encoding as encoding_module
from rnnkit.data.batching import IndexBatches, padding_fraction
from rnnkit.data.encoding import TextEncoder, ngram_channels, truncate
from rnnkit.data.text import get_tokenizer
from rnnkit.errors import ConfigError


def test_doctests():
    assert doctest.testmod(encoding_module).failed == 0


@pytest.mark.parametrize(
    "mode, expected",
    [("head", [0, 1, 2, 3, 4]), ("tail", [5, 6, 7, 8, 9]), ("both", [0, 1, 2, 8, 9])],
)
def test_truncate_keeps_head_tail_or_both(mode, expected):
    assert truncate(list(range(10)), 5, mode) == expected
    assert truncate(list(range(3)), 5, mode) == [0, 1, 2]
    assert truncate(list(range(10)), 0, mode) == list(range(10))


def test_truncate_rejects_unknown_mode():
    with pytest.raises(ConfigError, match="^data.truncate must be one of head, tail, both, "):
        truncate([1, 2], 1, "middle")


def test_vocab_rules_and_unknown_tokens_in_the_pipeline():
    tokenize = get_tokenizer("word", lower=True)
    texts = ["The film was great!", "the FILM was bad", "great great acting"]
    tokens = [tokenize(t) for t in texts]
    vocab, ngrams = TextEncoder.build_vocabs(tokens, min_freq=2, max_size=3)
    # counts: the 2, film 2, was 2, great 3; ties alphabetical; max_size keeps 3
    assert vocab.itos == ["<pad>", "<unk>", "great", "film", "the"]
    assert ngrams is None
    encoder = TextEncoder(tokenize, vocab)
    x, lengths = encoder.encode(["The great unseen", "", "FILM"]).batch(torch.arange(3))
    assert x.tolist() == [[4, 2, 1], [1, 0, 0], [3, 0, 0]]  # empty text -> one <unk>
    assert lengths.tolist() == [3, 1, 1]


def test_char_level_and_ngram_channels():
    tokenize = get_tokenizer("char")
    tokens = [tokenize("abab"), tokenize("ba")]
    vocab, grams = TextEncoder.build_vocabs(tokens, ngrams=2, ngram_min_freq=2)
    assert vocab.itos == ["<pad>", "<unk>", "a", "b"]
    assert grams.itos == ["<pad>", "<unk>", "a b", "b a"]  # "<s> a", "<s> b" seen once
    assert ngram_channels(["a", "b"], 2) == [["<s> a", "a b"]]
    encoded = TextEncoder(tokenize, vocab, grams, ngrams=2, max_length=3, truncate="tail").encode(
        ["abab", "ba"]
    )
    x, lengths = encoded.batch(torch.tensor([0, 1]))
    assert x.shape == (2, 3, 2) and lengths.tolist() == [3, 2]
    # "abab" -> tail "bab": tokens b a b; bigrams "a b", "b a", "a b"
    assert x[0].tolist() == [[3, 2], [2, 3], [3, 2]]
    assert x[1].tolist() == [[3, 1], [2, 3], [0, 0]]  # "<s> b" is unknown; then padding
    assert encoded.truncated == 1


def test_bucketing_keeps_every_example_exactly_once_and_cuts_padding():
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 200, (1000,), generator=g)
    batches = IndexBatches(1000, 32, seed=5, lengths=lengths, bucket_batches=10)
    plain = IndexBatches(1000, 32, seed=5)
    for epoch in range(3):
        seen = torch.cat(batches.global_batches(epoch)).sort().values
        assert torch.equal(seen, torch.arange(1000))
        shards = [torch.cat(list(batches.epoch(epoch, rank, 2))) for rank in range(2)]
        assert torch.equal(torch.cat(shards).sort().values, torch.arange(1000))
    bucketed = padding_fraction(lengths, batches.global_batches(0))
    random = padding_fraction(lengths, plain.global_batches(0))
    assert round(bucketed, 4) == 0.1133 and round(random, 4) == 0.4973
