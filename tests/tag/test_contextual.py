"""Contextual string embeddings (flair): the states a forward and a backward character LM
have at each word's edges, equal to the LMs run by hand one character at a time; computed
once per sentence when frozen; trained on request; carried in the tag run folder."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest
import torch

from rnnkit.api import train_run
from rnnkit.config import config_from_dict
from rnnkit.data.tagging import SentencePlaces, encode_split, make_batch
from rnnkit.data.text import UNK, Vocab
from rnnkit.errors import ConfigError, RunError
from rnnkit.models import contextual
from rnnkit.models.charlm import CharLM
from rnnkit.models.contextual import (
    ContextualEmbeddings,
    Reading,
    document_string,
    sentence_string,
)
from rnnkit.models.contextual import language_model_states as states
from rnnkit.tasks.runs import load_run
from rnnkit.tasks.tag import TagTask
from rnnkit.train.run import read_metrics


def tiny_lm(cell: str, seed: int, vocab_size: int) -> CharLM:
    torch.manual_seed(seed)
    cfg = SimpleNamespace(
        input="embedding",
        bidirectional=False,
        tie_weights=False,
        embedding_dim=5,
        condition_dim=0,
        dropout=0.0,
        cell=cell,
        backend="native",
        hidden_size=6,
        num_layers=2,
        nonlinearity="tanh",
    )
    return CharLM(cfg, vocab_size).eval()


def top_states_by_hand(lm: CharLM, ids: list[int]) -> list[torch.Tensor]:
    """The top layer's hidden state after each character, one call per character."""
    states, state = [], None
    for i in ids:
        _, _, state = lm(torch.tensor([[i]]), state=state)
        h = state[0] if isinstance(state, tuple) else state  # (layers, 1, H)
        states.append(h[-1, 0])
    return states


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_each_word_gets_the_lm_states_at_its_edges(cell):
    vocab = Vocab(list("\n abEGRUcejnrst"), specials=(UNK,))
    sentences = [["EU", "rejects", "Germ@n"], ["Ruß"]]  # '@' and 'ß' are unseen: <unk>
    fwd, bwd = tiny_lm(cell, 0, len(vocab)), tiny_lm(cell, 1, len(vocab))
    readings = [Reading(vocab), Reading(vocab, reverse=True)]
    module = ContextualEmbeddings([fwd, bwd], readings)
    out = module(sentences)
    assert out.shape == (2, 3, 12)
    for n, words in enumerate(sentences):
        chars = ["\n"] + list(" ".join(words)) + ["\n"]
        ids = [vocab.stoi.get(c, 0) for c in chars]
        forward = top_states_by_hand(fwd, ids)  # forward[t]: after reading chars[t]
        backward = top_states_by_hand(bwd, ids[::-1])  # backward[j]: after chars[T-1-j]
        start = 1
        for i, word in enumerate(words):
            first, last = start, start + len(word) - 1
            expected_f = forward[last]  # after the word's last character
            expected_b = backward[len(chars) - 1 - first]  # after reading back to its first
            torch.testing.assert_close(out[n, i, :6], expected_f, atol=1e-6, rtol=0)
            torch.testing.assert_close(out[n, i, 6:], expected_b, atol=1e-6, rtol=0)
            start = last + 2
    assert torch.equal(out[1, 1:], torch.zeros(2, 12))  # padding after the short sentence


def test_the_sentence_string_uses_a_space_when_the_lm_has_no_newline():
    chars, first, last = sentence_string(["Ana", "b"], Reading(Vocab(list("Anb "))))
    assert ("".join(chars), first, last) == (" Ana b ", [1, 5], [3, 5])
    lowered = Reading(Vocab(list("an\n")), lower=True)
    assert "".join(sentence_string(["Ana"], lowered)[0]) == "\nana\n"


@pytest.fixture
def lm_runs_counted(monkeypatch):
    """The number of times a language model has read a batch of sentences."""
    calls = []

    def counted(lm, ids, state=None):
        calls.append(ids.shape)
        return states(lm, ids, state)

    monkeypatch.setattr(contextual, "language_model_states", counted)
    return calls


def test_frozen_embeddings_are_computed_once_per_sentence(lm_runs_counted):
    vocab = Vocab(list("\n abc"), specials=(UNK,))
    module = ContextualEmbeddings([tiny_lm("lstm", 0, len(vocab))], [Reading(vocab)])
    module.train()
    assert not module.lms[0].training  # frozen: no dropout, whatever the tagger's mode
    first = module([["ab", "c"], ["a"]])
    again = module([["a"], ["ab", "c"], ["a"]])
    assert lm_runs_counted == [(2, 6)] and len(module.cache) == 2
    assert torch.equal(again[1], first[0]) and torch.equal(again[0, :1], first[1, :1])
    module([["c", "c"]])
    assert lm_runs_counted == [(2, 6), (1, 5)] and not first.requires_grad


# ---- through task tag -------------------------------------------------------------------


def lm_raw(text_file, run_name: str, reverse: bool) -> dict:
    return {
        "task": "lm",
        "name": run_name,
        "data": {"train": str(text_file), "bptt": 16, "eval_rows": 2, "reverse": reverse},
        "model": {"hidden_size": 12, "num_layers": 1, "embedding_dim": 8, "dropout": 0.0},
        "train": {"max_steps": 15, "batch_size": 4, "lr": 0.01, "warmup_steps": 0},
    }


LM_TEXT = (
    "Ann Lee visited Paris .\nAcme Corp hired Bob in New York .\n"
    "the UN office in Oslo is closed\nCarl Marx and Dora met at Blue Bank .\n"
    "nothing happened today .\nEve Stone visited Rome .\nFred and Bob met at UN .\n"
) * 6


@pytest.fixture(scope="module")
def lm_runs(tmp_path_factory):
    """A forward and a backward LM on sentences like the tiny corpus's, one per line."""
    folder = tmp_path_factory.mktemp("lms")
    text = folder / "train.txt"
    text.write_text(LM_TEXT)
    runs = []
    for name, reverse in (("fwd", False), ("bwd", True)):
        config = config_from_dict(lm_raw(text, name, reverse))
        train_run(config, folder / name, quiet=True)
        runs.append(folder / name)
    return runs


def tag_raw(config, ner_file, lms, **model) -> dict:
    contextual = {"contextual": [str(p) for p in lms], "char_encoder": "none", **model}
    return config(str(ner_file), model=contextual, train={"epochs": 2})


def train(raw, run_dir, task=None):
    return train_run(config_from_dict(raw), run_dir, quiet=True, task=task)


def lm_weights(run) -> dict:
    return {k: v.clone() for k, v in load_run(run).model.state_dict().items()}


def test_frozen_lms_run_only_in_the_first_epoch(
    tmp_path, ner_file, config, lm_runs, lm_runs_counted
):
    raw = tag_raw(config, ner_file, lm_runs)
    raw["train"]["epochs"] = 1
    train(raw, tmp_path / "one")
    one_epoch = len(lm_runs_counted)
    lm_runs_counted.clear()
    raw = tag_raw(config, ner_file, lm_runs)
    raw["train"]["epochs"] = 3
    three = train(raw, tmp_path / "three")
    assert one_epoch == 2 * 4  # two LMs, four batches of 8 of the 32 sentences
    assert len(lm_runs_counted) == one_epoch  # epochs 2 and 3, and evaluation: the cache
    source = lm_weights(lm_runs[0])
    for key, value in three.model.contextual.lms[0].state_dict().items():
        assert torch.equal(value, source[key]), key  # frozen: the LM did not move


def test_fine_tuning_trains_the_lms(tmp_path, ner_file, config, lm_runs):
    raw = tag_raw(config, ner_file, lm_runs, contextual_finetune=True)
    result = train(raw, tmp_path / "run")
    for k, run in enumerate(lm_runs):
        source = lm_weights(run)
        tuned = result.model.contextual.lms[k].state_dict()
        assert any(not torch.equal(tuned[key], source[key]) for key in source)
    loaded = load_run(tmp_path / "run")  # the tuned weights are the run's
    for key, value in result.model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value), key


def test_a_tag_run_learns_and_predicts_after_the_lm_folders_move(
    tmp_path, ner_file, config, lm_runs
):
    moved = [tmp_path / "moved-fwd", tmp_path / "moved-bwd"]
    for run, copy in zip(lm_runs, moved):
        shutil.copytree(run, copy)
    raw = tag_raw(config, ner_file, moved)
    raw["train"]["epochs"] = 12
    config_ = config_from_dict(raw)
    task = TagTask(config_)
    result = train_run(config_, tmp_path / "run", quiet=True, task=task)
    _, losses = read_metrics(tmp_path / "run" / "metrics.csv").series("train_loss")
    assert losses[-1] < 0.5 * losses[0], losses
    assert result.metrics["val_f1"] >= 0.9, result.metrics
    sentences = [["Bob", "visited", "Paris", "."], ["Ann", "Lee", "met", "Fred"]]
    before = task.tag_tokens(result.model, sentences)
    for folder in moved:
        shutil.rmtree(folder)
    loaded = load_run(tmp_path / "run")
    assert loaded.task.tag_tokens(loaded.model, sentences) == before
    assert before[0][0] == ["I-PER", "O", "I-LOC", "O"]
    assert (tmp_path / "run" / "contextual" / "lm1" / "vocab.json").is_file()
    (tmp_path / "run" / "contextual" / "lm1" / "config.toml").unlink()
    with pytest.raises(RunError) as err:
        load_run(tmp_path / "run")
    incomplete = tmp_path / "run" / "contextual" / "lm1" / "config.toml"
    assert str(err.value) == f"{tmp_path / 'run'} is incomplete: {incomplete} is missing"


def test_contextual_names_language_model_runs(tmp_path, ner_file, config, lm_runs):
    missing = tmp_path / "nowhere"
    raw = tag_raw(config, ner_file, [lm_runs[0], missing])
    with pytest.raises(ConfigError) as err:
        train(raw, tmp_path / "a")
    assert str(err.value) == (
        f"model.contextual[1] must name a language-model run folder, received "
        f"{str(missing)!r}: no such folder"
    )
    tagger = train(config(str(ner_file), train={"epochs": 1}), tmp_path / "tagger")
    assert tagger.metrics
    with pytest.raises(ConfigError) as err:
        train(tag_raw(config, ner_file, [tmp_path / "tagger"]), tmp_path / "b")
    assert str(err.value) == (
        "model.contextual[0] must be a run of task lm (a character language model), received "
        f"a run of task 'tag': {tmp_path / 'tagger'}"
    )
    names = tmp_path / "names"
    names.mkdir()
    (names / "Italian.txt").write_text("Rossi\nRusso\nFerrari\nEsposito\nBianchi\n")
    folder_lm = lm_raw(names, "names", reverse=False)
    folder_lm["data"].update(format="folder", validation_fraction=0.2)
    folder_lm["train"].update(max_steps=1)
    train(folder_lm, tmp_path / "names-lm")
    with pytest.raises(ConfigError) as err:
        train(tag_raw(config, ner_file, [tmp_path / "names-lm"]), tmp_path / "d")
    assert str(err.value) == (
        "model.contextual[0] must be a language model of one text (data.format = text), "
        f"received data.format = 'folder': {tmp_path / 'names-lm'}"
    )
    with pytest.raises(ConfigError) as err:
        train(config(str(ner_file), model={"contextual_finetune": True}), tmp_path / "c")
    assert str(err.value) == (
        "model.contextual_finetune needs model.contextual (language-model run folders), "
        "received an empty list"
    )


# ---- document context ---------------------------------------------------------------------


def places_of(documents: list[list[list[str]]]) -> SentencePlaces:
    """Every sentence of ``documents`` in order, as a batch's places."""
    docs = [tuple(tuple(words) for words in doc) for doc in documents]
    return SentencePlaces(docs, [(d, j) for d, doc in enumerate(docs) for j in range(len(doc))])


DOCUMENTS = [[["EU", "rejects"], ["Germ@n", "call"]], [["Ruß"]], [["a", "ban"], ["c"], ["Ute"]]]


@pytest.mark.parametrize("chunk", [1024, 3])
def test_document_context_reads_each_document_as_one_string(monkeypatch, chunk):
    monkeypatch.setattr(contextual, "CHUNK", chunk)  # 3: the states carried between calls
    vocab = Vocab(list("\n abEGRUcejlnrst"), specials=(UNK,))
    fwd, bwd = tiny_lm("lstm", 0, len(vocab)), tiny_lm("gru", 1, len(vocab))
    readings = [Reading(vocab), Reading(vocab, reverse=True)]
    module = ContextualEmbeddings([fwd, bwd], readings, context="document")
    places = places_of(DOCUMENTS)
    sentences = [words for doc in DOCUMENTS for words in doc]
    out = module(sentences, places)
    assert out.shape == (6, 2, 12)
    row = 0
    for doc in DOCUMENTS:
        text = "\n" + "\n".join(" ".join(words) for words in doc) + "\n"
        ids = [vocab.stoi.get(c, 0) for c in text]
        forward, backward = top_states_by_hand(fwd, ids), top_states_by_hand(bwd, ids[::-1])
        start = 1
        for words in doc:
            for i, word in enumerate(words):
                first, last = start, start + len(word) - 1
                expected = torch.cat([forward[last], backward[len(text) - 1 - first]])
                torch.testing.assert_close(out[row, i], expected, atol=1e-6, rtol=0)
                start = last + 2
            assert torch.equal(out[row, len(words) :], torch.zeros(2 - len(words), 12))
            row += 1
    alone = ContextualEmbeddings([fwd, bwd], readings)(sentences)
    assert not torch.allclose(out[1], alone[1])  # "Germ@n call" read after "EU rejects"
    torch.testing.assert_close(out[2], alone[2], atol=1e-6, rtol=0)  # a one-sentence document


def test_bf16_precision_fills_the_cache_in_bf16_and_hands_the_tagger_float32():
    vocab = Vocab(list("\n abEGRUcejlnrst"), specials=(UNK,))
    lms = [tiny_lm("lstm", 0, len(vocab)), tiny_lm("gru", 1, len(vocab))]
    readings = [Reading(vocab), Reading(vocab, reverse=True)]
    sentences = [words for doc in DOCUMENTS for words in doc]
    exact = ContextualEmbeddings(lms, readings, context="document")
    half = ContextualEmbeddings(lms, readings, context="document", precision="bf16")
    reference = exact(sentences, places_of(DOCUMENTS))
    with torch.autocast("cpu", dtype=torch.bfloat16):  # a bf16 training step around fp32
        inside = ContextualEmbeddings(lms, readings, context="document")(
            sentences, places_of(DOCUMENTS)
        )
    assert torch.equal(inside, reference)  # fp32 fills in fp32 whatever the step's autocast
    out = half(sentences, places_of(DOCUMENTS))
    assert out.dtype == torch.float32 and out.shape == reference.shape
    assert {rows.dtype for rows in half.cache.values()} == {torch.bfloat16}
    assert {rows.dtype for rows in exact.cache.values()} == {torch.float32}
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        by_hand = exact.embed(sentences)  # read by hand: each sentence alone, bf16 products
    single = ContextualEmbeddings(lms, readings, precision="bf16")(sentences)
    assert torch.equal(single, by_hand.to(torch.bfloat16).float())
    torch.testing.assert_close(out, reference, atol=2e-2, rtol=0)
    assert not torch.equal(out, reference)


def test_bf16_precision_is_for_frozen_language_models_only():
    vocab = Vocab(list("ab "), specials=(UNK,))
    with pytest.raises(ValueError, match="precision must be one of"):
        ContextualEmbeddings(
            [tiny_lm("gru", 0, len(vocab))], [Reading(vocab)], True, "sentence", "bf16"
        )


def test_document_string_joins_the_sentences_with_the_boundary():
    chars, first, last = document_string([["Ana", "b"], ["c"]], Reading(Vocab(list("Anbc "))))
    assert ("".join(chars), first, last) == (" Ana b c ", [[1, 5], [7]], [[3, 5], [7]])


def test_each_document_is_read_once_all_documents_of_the_split_together(lm_runs_counted):
    vocab = Vocab(list("\n abcEGRUejnrstu"), specials=(UNK,))
    module = ContextualEmbeddings(
        [tiny_lm("lstm", 0, len(vocab))], [Reading(vocab)], context="document"
    )
    places = places_of(DOCUMENTS)
    later = SentencePlaces(places.documents, [(2, 1), (0, 0)])  # another batch of the split
    first = module([["a", "ban"], ["c"]], SentencePlaces(places.documents, [(2, 0), (2, 1)]))
    again = module([["c"], ["EU", "rejects"]], later)
    assert lm_runs_counted == [(3, 24)]  # 3 documents in one call, "\nEU rejects\nGerm@n call\n"
    assert torch.equal(again[0, :1], first[1, :1]) and len(module.cache) == 6  # sentences
    alone = module([["c"], ["EU", "rejects"]])  # no places: each sentence read alone
    assert lm_runs_counted == [(3, 24), (2, 12)] and not torch.equal(alone[0], again[0])


def test_a_split_knows_each_sentence_s_place_in_its_document():
    vocab = Vocab(list("abc"))
    sentences = [["a"], ["b", "c"], ["c"], ["a", "a"]]
    split = encode_split(sentences, None, vocab, vocab, documents=[0, 0, 1, 1])
    places = split.places()
    assert places.documents == [(("a",), ("b", "c")), (("c",), ("a", "a"))]
    assert places.places == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert split.places() is places  # made once
    batch = make_batch(split, torch.tensor([3, 0]))
    assert batch.places.places == [(1, 1), (0, 0)] and batch.places.documents is places.documents


def in_documents(ner_file, size: int) -> str:
    """The tiny corpus cut into documents of ``size`` sentences, each after -DOCSTART-."""
    blocks = ner_file.read_text().strip().split("\n\n")[1:]  # after the first -DOCSTART-
    return "".join(
        ("-DOCSTART- -X- O O\n\n" if k % size == 0 else "") + block + "\n\n"
        for k, block in enumerate(blocks)
    )


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_a_tagger_with_document_context_reads_each_document_once_and_reloads(
    tmp_path, ner_file, config, lm_runs, lm_runs_counted, precision
):
    documents = tmp_path / "docs.conll"
    documents.write_text(in_documents(ner_file, 8))
    raw = tag_raw(
        config, documents, lm_runs, contextual_context="document", contextual_precision=precision
    )
    raw["train"]["epochs"] = 3
    config_ = config_from_dict(raw)
    task = TagTask(config_)
    result = train_run(config_, tmp_path / "run", quiet=True, task=task)
    assert lm_runs_counted == [(4, lm_runs_counted[0][1])] * 2  # both LMs, 4 documents, once
    sentences = [["Bob", "visited", "Paris", "."], ["Ann", "Lee", "met", "Fred"]]
    before = task.tag_tokens(result.model, sentences)
    loaded = load_run(tmp_path / "run")
    assert loaded.config.model.contextual_context == "document"
    assert loaded.config.model.contextual_precision == precision
    assert loaded.task.tag_tokens(loaded.model, sentences) == before


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            {"contextual_context": "paragraph"},
            "model.contextual_context must be one of sentence, document, received 'paragraph'",
        ),
        (
            {"contextual_context": "document", "contextual_finetune": True},
            "model.contextual_context = 'document' reads frozen language models, received "
            "model.contextual_finetune = true",
        ),
        (
            {"contextual_precision": "fp16"},
            "model.contextual_precision must be one of fp32, bf16, received 'fp16'",
        ),
        (
            {"contextual_precision": "bf16", "contextual_finetune": True},
            "model.contextual_precision = 'bf16' sets how frozen language models fill their "
            "cache, received model.contextual_finetune = true",
        ),
    ],
)
def test_contextual_context_is_checked(tmp_path, ner_file, config, lm_runs, model, message):
    with pytest.raises(ConfigError) as err:
        train(tag_raw(config, ner_file, lm_runs, **model), tmp_path / "run")
    assert str(err.value) == message
