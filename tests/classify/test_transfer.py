"""``model.encoder = RUN_DIR``: a classifier started from a word language model gives the
language model's encoder outputs before any fine-tuning, keeps every shared word's vector,
starts unseen words from the mean vector, takes the architecture, and refuses what cannot be
transferred with one-line messages."""

from __future__ import annotations

import random
import shutil

import pytest
import torch

from rnnkit.config import config_from_dict
from rnnkit.errors import ConfigError
from rnnkit.nn import pack, unpack
from rnnkit.tasks import get_task_class
from rnnkit.tasks.classify_transfer import load_language_model
from rnnkit.tasks.runs import load_run
from rnnkit.train import fit


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory):
    """A tiny word LSTM language model (weight drop on) trained on the filler and the
    positive cues only: 'awful', 'boring', 'hated' stay unseen."""
    folder = tmp_path_factory.mktemp("lm")
    rng = random.Random(5)
    words = "the a film movie plot actor scene was is very quite and but story it this".split()
    words += ["great", "superb", "loved"]  # the classify tests' filler and positive cues
    lines = [" ".join(rng.choice(words) for _ in range(8)) for _ in range(100)]
    text = folder / "texts.txt"
    text.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    raw = {
        "task": "lm",
        "data": {"train": str(text), "level": "word", "min_freq": 1, "bptt": 8},
        "model": {"hidden_size": 10, "num_layers": 2, "embedding_dim": 6},
        "train": {"max_steps": 4, "batch_size": 4, "eval_every": 2, "time_budget": 0},
    }
    config = config_from_dict(raw)
    fit(get_task_class("lm")(config), config, folder / "run", quiet=True)
    return folder / "run"


def classify(raw):
    config = config_from_dict(raw)
    return config, get_task_class("classify")(config)


def transfer_raw(sentiment, files, lm_run, **model):
    raw = sentiment(*files, encoder=str(lm_run), bidirectional=False)
    for key in ("hidden_size", "embedding_dim", "cell"):  # left to the language model
        raw["model"].pop(key)
    raw["model"].update(model)
    return raw


def test_transferred_encoder_gives_the_language_models_outputs(
    sentiment, sentiment_files, lm_run, capsys
):
    config, task = classify(transfer_raw(sentiment, sentiment_files, lm_run))
    task.setup()
    m = config.model
    assert (m.cell, m.hidden_size, m.num_layers, m.embedding_dim) == ("lstm", 10, 2, 6)
    assert "classify: model.hidden_size = 10 (from the language model" in capsys.readouterr().err
    model = task.build_model().eval()
    lm = load_language_model(str(lm_run))
    lm_model, lm_vocab = lm.model.eval(), lm.task.vocab
    words = [["the", "film", "was", "great"], ["loved", "this", "story", "it"]]
    x = torch.tensor([task.encoder.vocab.encode(w) for w in words])
    x_lm = torch.tensor([lm_vocab.encode(w) for w in words])
    lengths = torch.tensor([4, 4])
    out, _ = model.rnn(pack(model.embed(x), lengths, batch_first=True))
    out, _ = unpack(out, batch_first=True, total_length=4)  # (N, L, H)
    expected, _ = lm_model.encode(x_lm)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)


def test_shared_words_keep_their_vectors_and_unseen_words_get_the_mean(
    sentiment, sentiment_files, lm_run
):
    _, task = classify(transfer_raw(sentiment, sentiment_files, lm_run))
    task.setup()
    table = task.build_model().embed.tokens.weight.detach()
    lm = load_language_model(str(lm_run))
    lm_weight, lm_vocab = lm.model.embed.weight.detach(), lm.task.vocab
    shared = [t for t in task.encoder.vocab.itos if t in lm_vocab]
    assert {"<pad>", "<unk>", "the", "great"} <= set(shared)
    for token in shared:
        assert torch.equal(table[task.encoder.vocab[token]], lm_weight[lm_vocab[token]])
    unseen = [t for t in task.encoder.vocab.itos if t not in lm_vocab]
    assert set(unseen) == {"awful", "boring", "hated"}
    for token in unseen:
        torch.testing.assert_close(table[task.encoder.vocab[token]], lm_weight.mean(0))


def test_a_transferred_classifier_trains_and_reloads_without_the_lm(
    sentiment, sentiment_files, lm_run, tmp_path
):
    copy = tmp_path / "lm"
    shutil.copytree(lm_run, copy)
    raw = transfer_raw(sentiment, sentiment_files, copy, weight_drop=0.3)
    raw["train"]["epochs"] = 1
    config, task = classify(raw)
    result = fit(task, config, tmp_path / "clf", quiet=True)
    shutil.rmtree(copy)  # the classifier's own checkpoint holds every weight
    loaded = load_run(tmp_path / "clf", setup=True)  # setup: as for a report
    assert loaded.config.model.encoder == str(copy) and loaded.config.model.hidden_size == 10
    for a, b in zip(result.model.state_dict().values(), loaded.model.state_dict().values()):
        assert torch.equal(a, b)


def test_refusals(sentiment, sentiment_files, lm_run, tmp_path):
    raw = transfer_raw(sentiment, sentiment_files, lm_run, hidden_size=32)
    with pytest.raises(ConfigError) as err:
        classify(raw)[1].setup()
    assert str(err.value) == (
        f"model.hidden_size is 32 but the language model {lm_run} has 10: leave "
        "model.hidden_size out or set it to 10"
    )
    raw = transfer_raw(sentiment, sentiment_files, lm_run)
    raw["model"]["bidirectional"] = True
    with pytest.raises(ConfigError) as err:
        classify(raw)[1].setup()
    assert str(err.value) == (
        "model.bidirectional must be false with model.encoder: the language model "
        f"{lm_run} reads left to right only, received true"
    )
    raw = transfer_raw(sentiment, sentiment_files, lm_run)
    raw["data"]["level"] = "char"
    with pytest.raises(ConfigError) as err:
        classify(raw)[1].setup()
    assert str(err.value) == (
        f"data.level must be the language model's with model.encoder: {lm_run} reads "
        "'word', received 'char'"
    )
    raw = transfer_raw(sentiment, sentiment_files, lm_run, vectors="glove.txt")
    with pytest.raises(ConfigError) as err:
        classify(raw)[1].setup()
    assert str(err.value) == (
        "model.vectors and model.encoder both initialise the embedding: set one, received "
        f"vectors = 'glove.txt', encoder = '{lm_run}'"
    )
    raw = transfer_raw(sentiment, sentiment_files, tmp_path / "nothing")
    with pytest.raises(Exception) as err:
        classify(raw)[1].setup()
    assert str(err.value) == f"{tmp_path / 'nothing'} is not a run folder (no config.toml)"


def test_weight_drop_reaches_the_classifier_and_not_seed_003(sentiment, sentiment_files):
    raw = sentiment(*sentiment_files, weight_drop=0.3)
    _, task = classify(raw)
    task.setup()
    model = task.build_model()
    assert sorted(model.rnn.parametrizations.keys()) == ["weight_hh_l0", "weight_hh_l0_reverse"]
    raw = sentiment(*sentiment_files, weight_drop=0.3, kind="scratch003")
    raw["data"]["level"] = "char"
    _, task = classify(raw)
    task.setup()
    with pytest.raises(ConfigError) as err:
        task.build_model()
    assert str(err.value) == (
        "model.weight_drop needs model.kind = 'rnn' (seed 003's model has no hidden-to-hidden "
        "weight), received 0.3"
    )
