"""Encoder-decoder with attention: masking, teacher forcing, greedy = beam of 1, the task."""

from __future__ import annotations

import math

import pytest
import torch

from rnnkit.errors import ConfigError, DataError
from rnnkit.models.attention import Attention
from rnnkit.models.seq2seq import Memory, Seq2Seq
from rnnkit.tasks.runs import load_run
from rnnkit.tasks.seq2seq import Seq2SeqModel, read_tsv
from rnnkit.train import fit

SRC = torch.tensor([[4, 5, 6, 7, 8], [9, 4, 0, 0, 0], [5, 6, 7, 0, 0]])  # 0 = <pad>
LENGTHS = torch.tensor([5, 2, 3])


def model(cell="lstm", attention="additive", bidirectional=True, layers=1) -> Seq2Seq:
    torch.manual_seed(0)
    cfg = Seq2SeqModel(
        cell=cell,
        hidden_size=12,
        embedding_dim=6,
        num_layers=layers,
        bidirectional=bidirectional,
        attention=attention,
    )
    return Seq2Seq(cfg, src_vocab=10, tgt_vocab=7, pad=0, bos=2, eos=3).eval()


@pytest.mark.parametrize("kind", ["additive", "multiplicative", "dot"])
def test_attention_sums_to_one_over_the_source_and_ignores_padding(kind):
    torch.manual_seed(0)
    attention = Attention(kind, query_size=8, key_size=8)
    keys = torch.randn(3, 5, 8)
    mask = torch.arange(5)[None, :] < LENGTHS[:, None]
    context, weights = attention(torch.randn(3, 8), keys, attention.prepare(keys), mask)
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(3))
    assert torch.all(weights[~mask] == 0) and torch.all(weights[mask] > 0)
    torch.testing.assert_close(context, torch.einsum("ns,nsh->nh", weights, keys))
    changed = keys.clone()
    changed[~mask] = 1e3  # whatever sits in the padding does not matter
    again, _ = attention(torch.randn(3, 8), changed, attention.prepare(changed), mask)
    assert again.shape == (3, 8)


def test_dot_attention_needs_equal_sizes():
    with pytest.raises(ConfigError) as err:
        Attention("dot", query_size=8, key_size=16)
    assert str(err.value) == (
        "model.attention 'dot' needs the decoder size (8) to equal the encoder output size "
        "(16); use 'multiplicative' or 'additive'"
    )


@pytest.mark.parametrize("cell,layers", [("lstm", 2), ("gru", 1), ("rnn", 1)])
def test_decoder_attention_and_padding_in_the_model(cell, layers):
    m = model(cell, layers=layers)
    tgt = torch.tensor([[2, 4, 5, 6], [2, 5, 0, 0], [2, 6, 6, 0]])
    with torch.no_grad():
        logits, _, attention = m(SRC, LENGTHS, tgt)
        padded, _, _ = m(torch.cat([SRC, torch.zeros(3, 2, dtype=torch.long)], 1), LENGTHS, tgt)
    assert logits.shape == (3, 4, 7) and attention.shape == (3, 4, 5)
    torch.testing.assert_close(attention.sum(-1), torch.ones(3, 4))
    mask = torch.arange(5)[None, :] < LENGTHS[:, None]
    assert torch.all(attention.permute(0, 2, 1)[~mask] == 0)  # padding gets no weight
    torch.testing.assert_close(padded, logits)  # extra padding columns change nothing


def test_teacher_forcing_zero_feeds_the_greedy_outputs():
    m = model()
    greedy = m.greedy(SRC, LENGTHS, max_length=6)
    with torch.no_grad():
        logits, _, _ = m(SRC, LENGTHS, torch.full((3, 6), 2), teacher_forcing=0.0)
    own = logits.argmax(-1).tolist()
    for row, decoded in zip(own, greedy):
        assert row[: len(decoded.ids)] == decoded.ids


@pytest.mark.parametrize("cell,attention", [("lstm", "additive"), ("gru", "multiplicative")])
def test_beam_of_width_one_is_greedy(cell, attention):
    m = model(cell, attention)
    greedy = m.greedy(SRC, LENGTHS, max_length=8)
    beam = m.beam_search(SRC, LENGTHS, max_length=8, beam_size=1, length_penalty=0.7)
    for g, b in zip(greedy, beam):
        assert g.ids == b.ids
        torch.testing.assert_close(g.attention, b.attention)


class Scripted(Seq2Seq):
    """A decoder with fixed next-token probabilities per prefix (ids: a = 4, b = 5, </s> = 3),
    where greedy decoding is not the most likely output:

    greedy: a (0.6), a (0.55), </s> (1.0) -> p = 0.33;   best: b (0.4), </s> (0.9) -> p = 0.36
    """

    TABLE = {2: {4: 0.6, 5: 0.4}, 24: {4: 0.55, 5: 0.45}, 244: {3: 1.0}, 245: {3: 1.0}}
    TABLE.update({25: {3: 0.9, 4: 0.1}, 254: {3: 1.0}})

    def __init__(self):
        super().__init__(Seq2SeqModel(hidden_size=4, embedding_dim=2), 10, 6, 0, 2, 3)

    def encode(self, src, lengths):
        n = src.size(0)
        keys, mask, state = torch.zeros(n, 1, 1), torch.ones(n, 1).bool(), torch.zeros(1, n, 1)
        return Memory(keys, keys, mask, state)

    def _start(self, memory):
        return memory.state, torch.zeros(memory.keys.size(0), 1)  # the prefix, as a number

    def step(self, prev, state, feed, memory):
        code = feed[:, 0].long() * 10 + prev  # digits of <s> and the tokens so far
        probs = torch.zeros(len(prev), 6)
        for i, c in enumerate(code.tolist()):
            for token, p in self.TABLE[c].items():
                probs[i, token] = p
        return probs.log(), state, code[:, None].float(), torch.ones(len(prev), 1)


def test_beam_search_finds_the_likelier_output_and_normalises_length():
    m, src, lengths = Scripted(), torch.ones(1, 1, dtype=torch.long), torch.tensor([1])
    greedy = m.greedy(src, lengths, max_length=5)[0]
    assert greedy.ids == [4, 4] and greedy.score == pytest.approx(math.log(0.33))
    plain = m.beam_search(src, lengths, max_length=5, beam_size=2, length_penalty=0.0)[0]
    assert plain.ids == [5] and plain.score == pytest.approx(math.log(0.36))
    normalised = m.beam_search(src, lengths, max_length=5, beam_size=2, length_penalty=1.0)[0]
    assert normalised.ids == [4, 4]  # log(0.33) / 3 > log(0.36) / 2
    assert normalised.score == pytest.approx(math.log(0.33) / 3)
    assert m.beam_search(src, lengths, 5, beam_size=1)[0].ids == greedy.ids


def test_read_tsv_errors_name_the_line(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("a\tb\n\nno tab here\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_tsv(path)
    assert str(err.value) == (
        f"{path}, line 3: expected source<TAB>target (one tab), found 0 tab(s) in 'no tab here'"
    )
    path.write_text("a\t \n", encoding="utf-8")
    with pytest.raises(DataError, match="line 1: the target is empty"):
        read_tsv(path)


def test_dates_run_trains_saves_and_loads(tmp_path, make):
    raw = {
        "task": "seq2seq",
        "data": {
            "format": "dates",
            "examples": 256,
            "validation_examples": 32,
            "test_examples": 32,
        },
        "model": {"cell": "gru", "hidden_size": 16, "embedding_dim": 8, "beam_size": 2},
        "train": {"epochs": 1, "batch_size": 32, "lr": 0.01},
    }
    config, task = make(raw)
    result = fit(task, config, tmp_path / "run", quiet=True)
    assert {"val_exact_match", "val_char_accuracy", "val_bleu", "test_exact_match"} <= set(
        result.metrics
    )
    loaded = load_run(tmp_path / "run")
    for a, b in zip(result.model.state_dict().values(), loaded.model.state_dict().values()):
        assert torch.equal(a, b)
    sources = [s for s, _ in task.pairs["test"][:5]]
    ids = [d.ids for d in loaded.task.translate(loaded.model, sources)]
    assert ids == [d.ids for d in task.translate(result.model.eval(), sources)]
    assert (tmp_path / "run" / "src_vocab.json").exists()
    assert loaded.task.tgt_vocab.itos[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
