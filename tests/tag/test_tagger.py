"""Token features, batches of distinct forms and whole documents, and the tagger's shapes."""

from __future__ import annotations

import pytest
import torch

from rnnkit.data.conll import read_conll, read_conllu
from rnnkit.data.tagging import (
    CASING,
    DocumentBatches,
    casing,
    encode_split,
    make_batch,
    normalise,
)
from rnnkit.data.text import Vocab
from rnnkit.models.tagger import Tagger, TaggerModel, dropout, other_mentions

SENTENCES = [["EU", "rejects", "German", "call"], ["Peter", "Blackburn"], ["EU", "1996", "EU"]]


def encoded(documents=None):
    words = Vocab.build([[normalise(t, lower=True) for t in s] for s in SENTENCES])
    chars = Vocab.build([list(t) for s in SENTENCES for t in s])
    tags = [[1] * len(s) for s in SENTENCES]
    split = encode_split(SENTENCES, tags, words, chars, lower=True, documents=documents)
    return split, words, chars


def test_casing_and_normalisation():
    shapes = [CASING[casing(t)] for t in ["1996", "12.5", "F-16", "call", "EU", "German", "iPod"]]
    assert shapes == [
        "numeric",
        "mostly_numeric",
        "contains_digit",
        "lower",
        "upper",
        "initial_upper",
        "mixed",
    ]
    assert CASING[casing("--")] == "other"
    assert normalise("Sept. 1996", lower=True, zero_digits=True) == "sept. 0000"


def test_batch_encodes_each_distinct_form_once():
    split, words, chars = encoded()
    batch = make_batch(split, torch.tensor([2, 0]))
    assert batch.words.shape == (2, 4) and batch.lengths.tolist() == [3, 4]
    assert batch.chars.size(0) == 6  # pad, EU, 1996, rejects, German, call
    rebuilt = [
        "".join(chars.decode(batch.chars[i, : batch.char_lengths[i]].tolist()))
        for i in batch.char_index[0, :3].tolist()
    ]
    assert rebuilt == ["EU", "1996", "EU"]
    assert batch.mask.tolist() == [[True, True, True, False], [True] * 4]
    assert words.decode(batch.words[1].tolist()) == ["eu", "rejects", "german", "call"]


def test_documents_bags_and_document_batches():
    split, words, _ = encoded(documents=[0, 0, 1])
    assert split.document_offsets.tolist() == [0, 6, 9]
    batch = make_batch(split, torch.tensor([2, 1]))
    assert batch.bag_index.tolist() == [1, 0] and batch.bag_offsets.tolist() == [0, 6]
    assert words.decode(batch.bag_words[6:].tolist()) == ["eu", "1996", "eu"]
    batches = DocumentBatches(split.documents, batch_size=2, shuffle=True, seed=0)
    seen = sorted(tuple(b.tolist()) for b in batches.epoch(0))
    assert seen == [(0, 1), (2,)] and len(batches) == 2
    with pytest.raises(ValueError, match=r"^documents must number the sentences in order"):
        encoded(documents=[1, 0, 0])


def test_other_mentions_pool_the_same_word_in_the_same_document():
    split, _, _ = encoded(documents=[0, 0, 0])
    batch = make_batch(split, torch.tensor([0, 1, 2]))
    hidden = torch.arange(3 * 4, dtype=torch.float).view(3, 4, 1)  # state = position number
    out = other_mentions(hidden, batch, batch.mask)
    # "EU" at (0,0)=0, (2,0)=8 and (2,2)=10: each sees the mean of the other two
    assert out[0, 0].tolist() == [9.0, 1.0]
    assert out[2, 0].tolist() == [5.0, 1.0] and out[2, 2].tolist() == [4.0, 1.0]
    assert out[0, 1].tolist() == [0.0, 0.0]  # "rejects" occurs once
    assert out[1, 2].tolist() == [0.0, 0.0]  # padding
    split, _, _ = encoded(documents=[0, 1, 1])  # the first EU is in another document
    batch = make_batch(split, torch.tensor([0, 1, 2]))
    assert other_mentions(hidden, batch, batch.mask)[0, 0].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("char_encoder", ["lstm", "cnn", "none"])
@pytest.mark.parametrize("crf", [True, False])
def test_tagger_shapes_and_decoding(char_encoder, crf):
    split, words, chars = encoded(documents=[0, 0, 1])
    cfg = TaggerModel(
        hidden_size=6,
        embedding_dim=5,
        char_dim=3,
        char_hidden_size=4,
        char_encoder=char_encoder,
        crf=crf,
        casing_dim=2,
        document_dim=3,
        repeat_context=True,
        context_layer=crf,
    )
    torch.manual_seed(0)
    model = Tagger(cfg, len(words), len(chars), num_tags=3)
    batch = make_batch(split, torch.tensor([0, 1, 2]))
    scores, loss = model(batch, batch.tags)
    assert scores.shape == (3, 4, 3) and loss.dim() == 0 and float(loss.detach()) > 0
    best = model.decode(batch)
    assert best.shape == (3, 4) and best[1, 2:].tolist() == [0, 0]
    loss.backward()
    assert model.words.weight.grad is not None


def test_readers_number_documents():
    conll = "-DOCSTART- -X- O O\n\nA x O O\n\nB x O O\n\n-DOCSTART- -X- O O\n\nC x O O\n"
    assert [s.document for s in read_conll("c", text=conll)] == [0, 0, 1]
    conllu = "".join(
        f"{'# newdoc' + chr(10) if new else ''}1\tw\tw\tX\t_\t_\t0\troot\t_\t_\n\n"
        for new in (True, False, True)
    )
    assert [s.document for s in read_conllu("u", text=conllu)] == [0, 0, 1]


def test_dropout_keeps_the_mean_and_drops_the_share_p():
    torch.manual_seed(0)
    x = torch.ones(200_000)
    y = dropout(x, 0.3, training=True)
    assert float((y == 0).float().mean()) == pytest.approx(0.3, abs=0.005)
    assert float(y.mean()) == pytest.approx(1.0, abs=0.01)
    assert torch.unique(y).tolist() == pytest.approx([0.0, 1 / 0.7])
    assert dropout(x, 0.3, training=False) is x
