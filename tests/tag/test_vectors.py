"""Task ``tag`` with pretrained word vectors (``model.vectors``): the embedding rows, the
lower-case fallback, the printed coverage, the size mismatch messages and ``~`` in the path."""

from __future__ import annotations

import gzip

import pytest
import torch

from rnnkit.config import config_from_dict
from rnnkit.errors import ConfigError, DataError
from rnnkit.tasks import get_task_class

# Two sentences: 6 vocabulary entries (Ann, visited, Paris, ., Bob, Oslo) and 8 tokens.
CONLL = """-DOCSTART- -X- O O

Ann NNP I-NP I-PER
visited XX O O
Paris NNP I-NP I-LOC
. XX O O

Bob NNP I-NP I-PER
visited XX O O
Oslo NNP I-NP I-LOC
. XX O O
"""

# GloVe text: "Paris" has only "paris" (lower-case fallback); "Ann" has both forms and the
# exact one wins; Bob and Oslo have none; "unused" is not in the vocabulary.
GLOVE = """visited 1 2 3
paris 4 5 6
. 0.5 0.5 0.5
Ann 7 7 7
ann 8 8 8
unused 9 9 9
"""

COVERAGE = "tag: vectors cover 66.7% of the vocabulary (4/6) and 75.0% of the tokens\n"


@pytest.fixture
def tiny_file(tmp_path):
    path = tmp_path / "tiny.conll"
    path.write_text(CONLL)
    return path


def write_vectors(path, text: str = GLOVE):
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def make_task(raw: dict):
    task = get_task_class("tag")(config_from_dict(raw))
    task.setup()
    return task


@pytest.mark.parametrize("name", ["vectors.txt", "vectors.txt.gz"])
def test_rows_lower_case_fallback_and_coverage(tmp_path, tiny_file, config, capsys, name):
    vectors = write_vectors(tmp_path / name)
    raw = config(str(tiny_file), model={"vectors": str(vectors), "embedding_dim": 3})
    task = make_task(raw)
    capsys.readouterr()
    model = task.build_model()
    assert capsys.readouterr().out == COVERAGE
    weight, words = model.words.weight, task.words
    assert weight[words["visited"]].tolist() == [1, 2, 3]
    assert weight[words["."]].tolist() == [0.5, 0.5, 0.5]
    assert weight[words["Paris"]].tolist() == [4, 5, 6]  # by its lower-case form
    assert weight[words["Ann"]].tolist() == [7, 7, 7]  # the exact form before "ann"
    assert torch.equal(weight[words.pad_index], torch.zeros(3))
    for missing in ("Bob", "Oslo"):  # small random rows, not a vector of the file
        row = weight[words[missing]]
        assert 0 < row.abs().max() < 1
    assert weight.requires_grad  # the vectors are fine-tuned


def test_embedding_dim_must_equal_the_vectors_size(tmp_path, tiny_file, config):
    vectors = write_vectors(tmp_path / "vectors.txt")
    task = make_task(config(str(tiny_file), model={"vectors": str(vectors)}))  # dim 16
    with pytest.raises(ConfigError) as err:
        task.build_model()
    assert str(err.value) == (
        f"model.embedding_dim must equal the size of the vectors in {vectors} (3), received 16"
    )


def test_rows_of_different_sizes_in_the_vectors_file(tmp_path, tiny_file, config):
    vectors = write_vectors(tmp_path / "vectors.txt", "visited 1 2 3\nparis 4 5\n")
    raw = config(str(tiny_file), model={"vectors": str(vectors), "embedding_dim": 3})
    task = make_task(raw)
    with pytest.raises(DataError) as err:
        task.build_model()
    assert str(err.value) == f"{vectors}, line 2: 2 numbers where 3 were expected"


def test_tilde_in_the_vectors_path_is_the_home_folder(tmp_path, tiny_file, config, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    write_vectors(home / "glove.txt.gz")
    raw = config(str(tiny_file), model={"vectors": "~/glove.txt.gz", "embedding_dim": 3})
    task = make_task(raw)
    weight = task.build_model().words.weight  # read from $HOME/glove.txt.gz
    assert weight[task.words["Paris"]].tolist() == [4, 5, 6]
    assert weight[task.words["visited"]].tolist() == [1, 2, 3]
