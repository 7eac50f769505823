"""Classifier models: packed batches equal one-by-one runs, padding never changes a
prediction, pooling by known numbers, pretrained vectors, seed 003's scratch model."""

from __future__ import annotations

import doctest

import pytest
import torch

import rnnkit.models.classifier as classifier_module
from rnnkit.errors import ConfigError
from rnnkit.models.classifier import ClassifyModel, ScratchCharRNN, TextClassifier, TokenEmbedding
from rnnkit.models.pooling import Pooling, parse_pooling

LENGTHS = torch.tensor([5, 2, 7, 1])


def batch(vocab: int = 30, channels: int = 1, seed: int = 0):
    """A padded batch (4, 7[, K]) in unsorted length order, and its lengths."""
    g = torch.Generator().manual_seed(seed)
    shape = (4, 7) if channels == 1 else (4, 7, channels)
    x = torch.randint(2, vocab, shape, generator=g)
    x[torch.arange(7)[None, :] >= LENGTHS[:, None]] = 0
    return x, LENGTHS.clone()


def make(seed: int = 0, **kwargs) -> TextClassifier:
    torch.manual_seed(seed)
    cfg = ClassifyModel(embedding_dim=6, hidden_size=5, **kwargs)
    return TextClassifier(cfg, vocab_size=30, num_classes=3)


CASES = [
    dict(cell="rnn", pooling="last"),
    dict(cell="lstm", pooling="last", bidirectional=True, num_layers=2),
    dict(cell="gru", pooling="max+mean", bidirectional=True),
    dict(cell="gru", pooling="attention", backend="scratch"),
    dict(cell="lstm", pooling="mean+max+last+attention", bidirectional=True, backend="scratch"),
    dict(cell="jordan", pooling="last", bidirectional=True, backend="scratch"),
    dict(cell="lstm", pooling="mean+max+last", num_layers=2, backend="native"),  # padded run
    dict(cell="gru", pooling="last", backend="native"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c.values())))
def test_packed_batch_equals_each_example_alone(case):
    model = make(**case).eval()
    x, lengths = batch()
    logits, _ = model(x, lengths)
    for i, n in enumerate(lengths.tolist()):
        alone, _ = model(x[i : i + 1, :n], lengths[i : i + 1])  # no padding at all
        torch.testing.assert_close(logits[i : i + 1], alone, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c.values())))
def test_appending_padding_never_changes_a_prediction(case):
    model = make(**case).eval()
    x, lengths = batch()
    logits, _ = model(x, lengths)
    padded = torch.cat([x, torch.zeros(4, 9, dtype=x.dtype)], dim=1)
    torch.testing.assert_close(model(padded, lengths)[0], logits, rtol=1e-5, atol=1e-6)


def test_native_and_scratch_backends_agree():
    x, lengths = batch()
    native = make(cell="gru", bidirectional=True, pooling="max+mean").eval()
    scratch = make(cell="gru", bidirectional=True, pooling="max+mean", backend="scratch").eval()
    scratch.load_state_dict(native.state_dict())
    torch.testing.assert_close(native(x, lengths)[0], scratch(x, lengths)[0])


def test_pooling_by_known_numbers():
    out = torch.tensor(
        [[[1.0, -1.0], [3.0, 5.0], [9.0, 9.0]], [[2.0, 4.0], [0.0, 0.0], [7.0, 7.0]]]
    )
    lengths = torch.tensor([2, 1])  # the 9s and 7s are padding
    pooled = Pooling(("last", "mean", "max"), 2, directions=1)(out, lengths)
    assert pooled.tolist() == [[3, 5, 2, 2, 3, 5], [2, 4, 2, 4, 2, 4]]
    both = Pooling(("last",), 2, directions=2)(out, lengths)  # forward half at the end,
    assert both.tolist() == [[3, -1], [2, 4]]  # backward half at step 0
    attention = Pooling(("attention",), 2)
    weights_sum_to_one = attention(torch.ones(2, 3, 2), lengths)
    torch.testing.assert_close(weights_sum_to_one, torch.ones(2, 2))


def test_pooling_spec_errors():
    assert parse_pooling("max+mean") == ("max", "mean")
    with pytest.raises(ConfigError) as err:
        parse_pooling("avg")
    assert str(err.value) == (
        "model.pooling must be one of last, mean, max, attention, or concat (= last+max+mean), "
        "or several joined by '+' (e.g. 'max+mean'), received 'avg'"
    )
    with pytest.raises(ConfigError, match="^model.pooling names a kind twice: 'max\\+max'$"):
        parse_pooling("max+max")


def test_ngram_features_add_to_the_token_embedding():
    emb = TokenEmbedding(10, 4, ngram_vocab_size=8)
    x = torch.tensor([[[3, 5], [4, 0]]])  # (N=1, L=2, K=2)
    expected = emb.tokens.weight[[3, 4]] + emb.ngrams.weight[[5, 0]]
    torch.testing.assert_close(emb(x)[0], expected)
    assert emb.ngrams.weight[0].abs().sum() == 0  # <pad> embeds to zeros


def test_pretrained_vectors_frozen_or_fine_tuned():
    vectors = torch.arange(40, dtype=torch.float32).view(10, 4)
    frozen = TokenEmbedding(10, 4, vectors=vectors, freeze=True)
    assert torch.equal(frozen.tokens.weight, vectors) and not frozen.tokens.weight.requires_grad
    assert TokenEmbedding(10, 4, vectors=vectors).tokens.weight.requires_grad
    with pytest.raises(ConfigError, match=r"embedding \(10, 5\), vectors \(10, 4\)$"):
        TokenEmbedding(10, 5, vectors=vectors)


def test_scratch003_is_the_seed_recurrence_and_masks_padding():
    torch.manual_seed(0)
    model = ScratchCharRNN(vocab_size=30, hidden_size=8, num_classes=3)
    x, lengths = batch()
    out, loss = model(x, lengths, torch.tensor([0, 1, 2, 1]))
    # the seed's loop, one name at a time: hidden = i2h(cat), output = LogSoftmax(i2o(cat))
    for i, n in enumerate(lengths.tolist()):
        hidden = torch.zeros(1, 8)
        for t in range(n):
            combined = torch.cat(
                [torch.nn.functional.one_hot(x[i, t], 30)[None].float(), hidden], 1
            )
            output = torch.log_softmax(model.i2o(combined), dim=1)
            hidden = model.i2h(combined)
        torch.testing.assert_close(out[i : i + 1], output)
    padded = torch.cat([x, torch.zeros(4, 5, dtype=x.dtype)], dim=1)
    torch.testing.assert_close(model(padded, lengths)[0], out)
    assert loss > 0 and torch.allclose(out.exp().sum(-1), torch.ones(4))


def test_docstring_example_runs():
    assert doctest.testmod(classifier_module).failed == 0


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_one_direction_on_torchs_kernel_runs_padded_with_the_packed_outputs_and_gradients(cell):
    """run_over_lengths skips packing for a one-directional native layer (torch back-propagates
    packed batches in quadratic time): same outputs, zero padding, same gradients."""
    from rnnkit.models.common import run_over_lengths
    from rnnkit.nn import pack, recurrent, unpack

    torch.manual_seed(0)
    rnn = recurrent(cell, backend="native", input_size=3, hidden_size=4, num_layers=2,
                    batch_first=True).double()  # fmt: skip
    x = torch.randn(4, 7, 3, dtype=torch.float64, requires_grad=True)
    out = run_over_lengths(rnn, x, LENGTHS)
    ref, _ = unpack(rnn(pack(x, LENGTHS, batch_first=True))[0], batch_first=True, total_length=7)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-12)
    weights = torch.randn_like(out)
    grads = torch.autograd.grad((out * weights).sum(), [x, *rnn.parameters()])
    ref_grads = torch.autograd.grad((ref * weights).sum(), [x, *rnn.parameters()])
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r, rtol=1e-10, atol=1e-12)
