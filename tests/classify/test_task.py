"""Task ``classify`` in process: learning, artifacts, save/load identity, errors, vectors."""

from __future__ import annotations

import json

import pytest
import torch

from rnnkit.api import train_run
from rnnkit.config import config_from_dict
from rnnkit.errors import ConfigError, DataError
from rnnkit.tasks import get_task_class
from rnnkit.tasks.runs import load_run


def make_task(raw: dict):
    config = config_from_dict(raw)
    return config, get_task_class("classify")(config)


def test_separable_data_is_learned_to_100_percent_and_reloads_identically(
    sentiment_files, sentiment, tmp_path
):
    train, test = sentiment_files
    config, task = make_task(sentiment(train, test))
    result = train_run(config, tmp_path / "run", task=task, quiet=True)
    assert result.metrics["test_accuracy"] == 1.0
    assert task.evaluate(result.model, "train")["accuracy"] == 1.0
    assert result.metrics["test_macro_f1"] == 1.0
    run = tmp_path / "run"
    assert json.loads((run / "labels.json").read_text()) == ["neg", "pos"]
    assert json.loads((run / "vocab.json").read_text())["itos"][:2] == ["<pad>", "<unk>"]
    assert (run / "plots" / "confusion.png").exists()
    report = (run / "report.html").read_text()
    for heading in ("Per-class scores (test)", "Most confidently wrong", "padding fraction"):
        assert heading in report

    lines = ["a superb film", "it was boring", "quite awful but loved it"]
    before = task.probabilities(result.model, lines)
    loaded = load_run(run)  # weights from safetensors, vocabulary and labels from JSON
    assert torch.equal(loaded.task.probabilities(loaded.model, lines), before)
    assert before.argmax(-1).tolist()[:2] == [1, 0]  # pos, neg
    x, lengths = task.encoder.encode(lines).batch(torch.arange(3))
    torch.testing.assert_close(loaded.model(x, lengths)[0], result.model.eval()(x, lengths)[0])
    metrics = loaded.task.evaluate_path(loaded.model, str(test))
    assert metrics["accuracy"] == 1.0 and metrics["examples"] == 24


def test_unseen_label_names_file_and_line(sentiment_files, sentiment, tmp_path):
    train, test = sentiment_files
    test.write_text("id,text,label\n0,great,pos\n1,meh,neutral\n")
    config, task = make_task(sentiment(train, test))
    with pytest.raises(DataError) as err:
        task.setup()
    assert str(err.value) == (
        f"{test}, line 3: label 'neutral' was not seen in the training data (known: neg, pos)"
    )


def test_stratified_splits_of_a_folder_and_the_split_sizes(tmp_path):
    folder = tmp_path / "names"
    folder.mkdir()
    (folder / "Russian.txt").write_text("".join(f"Ivanov{i}\n" for i in range(40)))
    (folder / "Greek.txt").write_text("".join(f"Pappas{i}\n" for i in range(20)))
    raw = {
        "task": "classify",
        "data": {"train": str(folder), "test_fraction": 0.1, "validation_fraction": 0.1},
        "model": {"cell": "gru", "hidden_size": 4, "embedding_dim": 4},
    }
    _, task = make_task(raw)
    task.setup()
    sizes = {name: len(part.targets) for name, part in task.splits.items()}
    assert sizes == {"train": 48, "validation": 6, "test": 6}
    assert task.labels == ["Greek", "Russian"]
    assert task.splits["test"].targets.tolist() == [0, 0, 1, 1, 1, 1]


def test_imdb_root_gives_train_and_test(tmp_path, sentiment):
    for split, rows in (("train", 20), ("test", 6)):
        for i in range(rows):
            label = ("pos", "neg")[i % 2]
            folder = tmp_path / "aclImdb" / split / label
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{i}_1.txt").write_text(f"review {i} <br />{'great' if i % 2 else 'bad'}")
    raw = sentiment(tmp_path / "aclImdb", "")
    raw["data"].update(format="imdb", validation_fraction=0.2)
    _, task = make_task(raw)
    task.setup()
    assert {k: len(v.targets) for k, v in task.splits.items()} == {
        "train": 16,
        "validation": 4,
        "test": 6,
    }
    assert task.splits["test"].examples.where[0].endswith("aclImdb/test/neg/1_1.txt, line 1")


def test_vectors_coverage_and_rows(sentiment_files, sentiment, tmp_path):
    train, test = sentiment_files
    train.write_text(train.read_text().replace("loved", "Loved"))
    vectors = tmp_path / "vectors.txt"  # GloVe text format; "Loved" finds "loved" by lower case
    vectors.write_text("great 1 2 3\nawful -1 -2 -3\nthe 0.5 0.5 0.5\nloved 4 4 4\nunused 9 9 9\n")
    raw = sentiment(train, test, vectors=str(vectors), embedding_dim=3, freeze_vectors=True)
    _, task = make_task(raw)
    task.setup()
    vocab, coverage = task.encoder.vocab, task.coverage
    assert (coverage.vocab_found, coverage.vocab_size) == (4, len(vocab) - 2)
    counts = vocab.counts
    found = ("great", "awful", "the", "Loved")
    assert coverage.tokens_found == sum(counts[t] for t in found)
    assert coverage.tokens_total == sum(counts.values())
    model = task.build_model()
    weight = model.embed.tokens.weight
    assert weight[vocab["great"]].tolist() == [1, 2, 3] and not weight.requires_grad
    assert weight[vocab["Loved"]].tolist() == [4, 4, 4]
    assert "vectors cover" in dict(task.data_rows())["pretrained vectors"]
    bad = sentiment(train, test, vectors=str(vectors), embedding_dim=8)
    with pytest.raises(
        ConfigError, match="holds 3-dimensional vectors; set model.embedding_dim = 3$"
    ):
        make_task(bad)[1].setup()


def test_config_errors(sentiment_files, sentiment):
    train, test = sentiment_files
    raw = sentiment(train, test)
    raw["data"]["tokenizer"] = "spacy"
    raw["data"]["level"] = "char"
    with pytest.raises(ConfigError, match="^data.tokenizer 'spacy' does not fit data.level 'char'"):
        make_task(raw)
    raw = sentiment(train, test, kind="scratch003")
    with pytest.raises(ConfigError, match="^model.kind 'scratch003' reads one-hot characters"):
        make_task(raw)
    raw = sentiment(train, test)
    raw["data"]["truncate"] = "middle"
    with pytest.raises(ConfigError, match="^data.truncate must be one of head, tail, both"):
        make_task(raw)
