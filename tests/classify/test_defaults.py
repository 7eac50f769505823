"""Task classify from a three-line config (issue 16): the reader and the unit are chosen from
the data, the validation part is stratified and disjoint from training, and the defaults
learn a two-word polarity corpus perfectly."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from rnnkit.config import config_from_dict, load_config
from rnnkit.data.textdata import detect_format, detect_level
from rnnkit.tasks.classify import ClassifyTask

POSITIVE = ["good", "great", "superb", "lovely", "fine"]
NEGATIVE = ["bad", "awful", "dull", "poor", "boring"]
NOUNS = ["film", "plot", "cast", "score", "script", "ending", "story", "scene"]


def two_word_rows(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` texts of two words, an adjective and a noun; the adjective is the polarity."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = "pos" if i % 2 else "neg"
        words = POSITIVE if label == "pos" else NEGATIVE
        rows.append((f"{rng.choice(words)} {rng.choice(NOUNS)}", label))
    return rows


def write_tsv(path, rows) -> None:
    path.write_text("label\ttext\n" + "".join(f"{y}\t{t}\n" for t, y in rows), encoding="utf-8")


def test_three_lines_learn_a_two_word_polarity_corpus_perfectly(cli, tmp_path):
    train, test = tmp_path / "train.tsv", tmp_path / "test.tsv"
    write_tsv(train, two_word_rows(400, 0))
    write_tsv(test, two_word_rows(100, 1))
    config = tmp_path / "three.toml"
    config.write_text(f'task = "classify"\n[data]\ntrain = "{train}"\ntest = "{test}"\n')
    run = tmp_path / "run"
    done = cli("train", config, "--out", run, "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        f"classify: data.format = 'csv' (auto, from {train})\n"
        "classify: data.level = 'word' (auto: the median text has 2 word(s))\n"
    )
    final = json.loads((run / "metrics.json").read_text())
    assert final["test_accuracy"] == 1.0 and final["val_accuracy"] == 1.0
    saved = load_config(run / "config.toml")  # the automatic choices are written down
    assert (saved.data.format, saved.data.level, saved.model.embedding_std) == ("csv", "word", 0.1)
    assert (saved.model.cell, saved.model.bidirectional, saved.model.pooling) == (
        "gru",
        True,
        "max+mean",
    )


def test_the_automatic_validation_part_is_stratified_and_disjoint(tmp_path):
    # 3 classes of 300, 60 and 20 texts: 10% of each is held out
    rows = [(f"text {i} of a", "a") for i in range(300)]
    rows += [(f"text {i} of b", "b") for i in range(60)]
    rows += [(f"text {i} of c", "c") for i in range(20)]
    random.Random(0).shuffle(rows)
    path = tmp_path / "t.tsv"
    write_tsv(path, rows)
    task = ClassifyTask(config_from_dict({"task": "classify", "data": {"train": str(path)}}))
    parts = task._parts()
    train, validation = parts["train"], parts["validation"]
    assert Counter(validation.labels) == {"a": 30, "b": 6, "c": 2}
    assert Counter(train.labels) == {"a": 270, "b": 54, "c": 18}
    assert set(train.where).isdisjoint(validation.where)  # "file, line n": no text on both sides
    assert len(set(train.where) | set(validation.where)) == len(rows)
    other = ClassifyTask(config_from_dict({"task": "classify", "data": {"train": str(path)}}))
    assert other._parts()["validation"].where == validation.where  # seeded: the same part


def test_characters_keep_torch_s_embedding_rows(tmp_path):
    path = tmp_path / "names.tsv"
    write_tsv(path, [(name, lang) for name in ("Smith", "Jones", "Brown") for lang in "ab"])
    config = config_from_dict({"task": "classify", "data": {"train": str(path)}})
    ClassifyTask(config)._parts()
    assert (config.data.level, config.model.embedding_std) == ("char", 1.0)


def test_format_and_level_are_read_from_the_data(tmp_path):
    folder = tmp_path / "names"
    folder.mkdir()
    (folder / "English.txt").write_text("Smith\nJones\n")
    imdb = tmp_path / "aclImdb" / "train"
    (imdb / "pos").mkdir(parents=True)
    assert detect_format(folder) == "folder"
    assert detect_format(tmp_path / "aclImdb") == "imdb"
    (tmp_path / "any.tsv").write_text("label\ttext\n")
    assert detect_format(tmp_path / "any.tsv") == "csv"
    assert detect_level(["Smith", "Jones", "De Santis"]) == "char"
    assert detect_level(["great film", "Smith", "a dull and long plot"]) == "word"
    assert detect_level([]) == "char"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"format": "xml"}, "data.format must be one of auto, imdb, csv, folder, received 'xml'"),
        ({"level": "byte"}, "data.level must be one of auto, word, char, received 'byte'"),
    ],
)
def test_bad_choices_name_auto_among_the_choices(data, message):
    from rnnkit.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        ClassifyTask(config_from_dict({"task": "classify", "data": data}))
    assert str(err.value) == message


def test_embedding_rows_start_small_except_padding_and_pretrained():
    import torch

    from rnnkit.models.classifier import ClassifyModel, TokenEmbedding

    torch.manual_seed(0)
    table = TokenEmbedding(5000, 64, ngram_vocab_size=3000, std=0.1)
    for weight in (table.tokens.weight.detach(), table.ngrams.weight.detach()):
        assert torch.equal(weight[0], torch.zeros(64))  # <pad>
        assert abs(float(weight[1:].std()) - 0.1) < 0.002
    vectors = torch.full((5000, 64), 0.5)
    assert torch.equal(TokenEmbedding(5000, 64, vectors=vectors, std=0.1).tokens.weight, vectors)
    assert ClassifyModel().embedding_std == 0.0  # auto: the task sets it from data.level


def test_a_missing_file_is_one_line_before_any_automatic_choice(cli, tmp_path):
    config = tmp_path / "three.toml"
    config.write_text(f'task = "classify"\n[data]\ntrain = "{tmp_path / "nope.tsv"}"\n')
    out = cli("train", config, "--out", tmp_path / "run")
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == f"rnnkit train: error: data file not found: {tmp_path / 'nope.tsv'}\n"
