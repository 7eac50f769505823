"""Task ``tag`` with word vectors from a word-level language-model run (``model.vectors =
"RUN_DIR"``) and ``model.vectors_vocab``: the rows are the LM's input embedding, words are
normalised as the tagger's data, unseen words keep their vectors, the run reloads the same,
and the wrong runs are refused with their exact messages."""

from __future__ import annotations

import pytest
import torch

from rnnkit.config import config_from_dict
from rnnkit.data.tagging import normalise
from rnnkit.errors import ConfigError
from rnnkit.tasks import get_task_class
from rnnkit.tasks.runs import load_run
from rnnkit.train import fit

TEXT = "Ann visited Paris in 1996 .\nBob visited Madrid in 2001 .\n" * 20

SENTENCES = [  # (word, entity type) pairs: no '1996' and no 'madrid' in training
    [("Ann", "PER"), ("visited", ""), ("Paris", "LOC"), (".", "")],
    [("Bob", "PER"), ("visited", ""), ("Oslo", "LOC"), ("in", ""), ("1987", ""), (".", "")],
]
CONLL = "-DOCSTART- -X- O O\n\n" + "".join(
    "".join(f"{w} XX O {f'I-{t}' if t else 'O'}\n" for w, t in s) + "\n" for s in SENTENCES
)


def train(raw: dict, out):
    config = config_from_dict(raw)
    return fit(get_task_class(raw["task"])(config), config, out, quiet=True)


@pytest.fixture(scope="module")
def word_lm(tmp_path_factory):
    """A tiny word LM (lower-cased, 6-wide embedding) on text where 'madrid' and two years
    appear but the tagger's training file has neither 'madrid' nor '1996'."""
    folder = tmp_path_factory.mktemp("wordlm")
    (folder / "text.txt").write_text(TEXT, encoding="utf-8")
    raw = {
        "task": "lm",
        "data": {"train": str(folder / "text.txt"), "level": "word", "lower": True,
                 "min_freq": 1, "bptt": 6},
        "model": {"hidden_size": 8, "num_layers": 1, "embedding_dim": 6},
        "train": {"max_steps": 2, "batch_size": 2, "eval_every": 2, "time_budget": 0},
    }  # fmt: skip
    train(raw, folder / "run")
    loaded = load_run(folder / "run")
    return folder / "run", loaded.task.vocab, loaded.model.embed.weight.detach()


@pytest.fixture
def tiny_file(tmp_path):
    path = tmp_path / "tiny.conll"
    path.write_text(CONLL)
    return path


def tag_raw(config, path, run, **model):
    return config(
        str(path),
        data={"lower": True, "zero_digits": True},
        model={"vectors": str(run), "embedding_dim": 6, **model},
        train={"epochs": 1},
    )


def test_rows_are_the_language_models_embedding(tiny_file, config, word_lm, capsys):
    run, lm_vocab, lm_weight = word_lm
    task = get_task_class("tag")(config_from_dict(tag_raw(config, tiny_file, run)))
    task.setup()
    weight, words = task.build_model().words.weight, task.words
    for word in ("visited", "paris", "ann", "bob", "."):
        assert torch.equal(weight[words[word]], lm_weight[lm_vocab[word]])
    # '1996' and '2001' both normalise to '0000': the LM's first (more frequent or, tied,
    # alphabetical) keeps its vector
    first = min(("1996", "2001"), key=lambda w: lm_vocab[w])
    assert torch.equal(weight[words["0000"]], lm_weight[lm_vocab[first]])
    assert "madrid" not in words  # not a training word, and vectors_vocab is off
    assert capsys.readouterr().out == (  # only 'oslo' has no vector
        "tag: vectors cover 87.5% of the vocabulary (7/8) and 90.0% of the tokens\n"
    )


def test_vectors_vocab_keeps_unseen_words_and_reloads(tmp_path, tiny_file, config, word_lm):
    run, lm_vocab, lm_weight = word_lm
    raw = tag_raw(config, tiny_file, run, vectors_vocab=True)
    train(raw, tmp_path / "tag")
    loaded = load_run(tmp_path / "tag")
    words = loaded.task.words
    assert "madrid" in words and "in" in words
    base = get_task_class("tag")(config_from_dict(tag_raw(config, tiny_file, run)))
    base.setup()
    assert words.itos[: len(base.words)] == base.words.itos  # training words keep their ids
    lm_forms = {normalise(w, True, True) for w in lm_vocab.itos} - {"<unk>", "<eos>"}
    assert set(words.itos) == set(base.words.itos) | lm_forms
    # 'madrid' never appears in training: its row is still the LM's vector
    assert torch.equal(loaded.model.words.weight[words["madrid"]], lm_weight[lm_vocab["madrid"]])
    again = load_run(tmp_path / "tag", setup=True)  # re-reading the data keeps the vocabulary
    assert again.task.words.itos == words.itos
    assert again.model.words.num_trained == len(base.words)  # the LM's own words stay frozen
    first = [words[w] for w in ("ann", "visited", "paris", ".")]
    assert again.task.encoded["train"].words[0, :4].tolist() == first


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            "char",
            "model.vectors must name a vectors file or a word-level language-model run "
            "(task lm, data.level word), received '{run}': a lm run at level 'char'",
        ),
        (
            "empty",
            "model.vectors must name a vectors file or a language-model run folder, received "
            "'{run}': a folder without config.toml",
        ),
    ],
)
def test_wrong_folders_are_refused(tmp_path, tiny_file, config, make, message):
    run = tmp_path / "run"
    if make == "char":
        (tmp_path / "text.txt").write_text(TEXT)
        raw = {
            "task": "lm",
            "data": {"train": str(tmp_path / "text.txt"), "bptt": 6},
            "model": {"hidden_size": 8, "num_layers": 1},
            "train": {"max_steps": 1, "batch_size": 2, "eval_every": 1, "time_budget": 0},
        }
        train(raw, run)
    else:
        run.mkdir()
    task = get_task_class("tag")(config_from_dict(tag_raw(config, tiny_file, run)))
    task.setup()
    with pytest.raises(ConfigError) as err:
        task.build_model()
    assert str(err.value) == message.format(run=run)


def test_vectors_vocab_without_vectors_is_refused(tiny_file, config):
    raw = config(str(tiny_file), model={"vectors_vocab": True})
    with pytest.raises(ConfigError) as err:
        get_task_class("tag")(config_from_dict(raw))
    assert str(err.value) == (
        "model.vectors_vocab needs model.vectors (a vectors file or a word-level LM run), "
        "received an empty path"
    )
