"""``rnnkit train / predict`` on text that cannot be learned from or read: the exit code and
the exact line on standard error.

- one label only: refused (it used to train and report an accuracy of 1.0);
- texts that are all empty: refused (it used to train on a vocabulary of <pad> and <unk>);
- some empty texts: left out, with a count on standard error;
- a 1 MB line: cut to ``data.max_length`` (5000 by default), with a count (it used to look
  hung for ten minutes, printing nothing);
- a byte that is not UTF-8 on standard input of ``rnnkit predict``: refused (it exited 0).
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import pytest
import tomli_w

from rnnkit.cli.main import main
from rnnkit.config import config_from_dict
from rnnkit.tasks.classify import ClassifyData, ClassifyTask

ROWS = [(f"{w} film", "pos") for w in ("great", "superb", "fine")] + [
    (f"{w} film", "neg") for w in ("awful", "boring", "dull")
]


def write_rows(path, rows) -> None:
    path.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in rows), encoding="utf-8")


def config_file(tmp_path, train, **data) -> str:
    raw = {
        "task": "classify",
        "data": {
            "format": "csv",
            "train": str(train),
            "validation_fraction": 0.3,
            "level": "char",
            **data,
        },
        "model": {"hidden_size": 4, "embedding_dim": 4},
        "train": {"epochs": 1, "batch_size": 4},
    }
    path = tmp_path / "c.toml"
    path.write_text(tomli_w.dumps(raw))
    return str(path)


def train(tmp_path, capsys, train_file, **data) -> tuple[int, str]:
    code = main(
        [
            "train",
            config_file(tmp_path, train_file, **data),
            "--out",
            str(tmp_path / "run"),
            "--quiet",
        ]
    )
    return code, capsys.readouterr().err


def test_one_label_is_refused(tmp_path, capsys):
    path = tmp_path / "one.csv"
    write_rows(path, [(t, "pos") for t, _ in ROWS])
    assert train(tmp_path, capsys, path) == (
        2,
        f"rnnkit train: error: {path}: every example has the label 'pos' (6 examples); "
        "classification needs at least two labels\n",
    )


def test_all_empty_texts_are_refused(tmp_path, capsys):
    path = tmp_path / "empty.csv"
    write_rows(path, [("", "pos"), ("  ", "neg"), ("", "neg")])
    assert train(tmp_path, capsys, path) == (
        2,
        f"rnnkit train: error: {path}: all 3 texts are empty (data.text_column = 'text')\n",
    )


def test_texts_without_a_kept_token_are_refused(tmp_path, capsys):
    path = tmp_path / "rare.csv"
    write_rows(path, ROWS)  # every word but "film" is seen once
    assert train(tmp_path, capsys, path, level="word", min_freq=7) == (
        2,
        f"rnnkit train: error: {path}: no token of the training texts is seen data.min_freq "
        "= 7 time(s), so the vocabulary would hold only <pad> and <unk>\n",
    )


def test_empty_texts_are_left_out_with_a_count(tmp_path, capsys):
    path = tmp_path / "some.csv"
    write_rows(path, ROWS[:3] + [("", "neg"), (" ", "pos")] + ROWS[3:])
    assert train(tmp_path, capsys, path) == (
        0,
        f"classify: left out 2 empty texts of {path} (line 5; line 6)\n",
    )


def test_a_one_megabyte_line_is_cut_to_max_length_with_a_count(tmp_path, capsys):
    assert ClassifyData().max_length == 5000
    path, validation = tmp_path / "big.csv", tmp_path / "val.csv"
    write_rows(path, ROWS + [("x" * 1_000_000, "pos")])
    write_rows(validation, ROWS)
    config = config_from_dict(
        {
            "task": "classify",
            "data": {
                "format": "csv",
                "train": str(path),
                "validation": str(validation),
                "level": "char",
            },
        }
    )
    task = ClassifyTask(config)
    task.setup()
    assert int(task.splits["train"].encoded.lengths.max()) == 5000
    assert capsys.readouterr().err == (
        "classify: cut 1 of 7 texts of the training part to data.max_length = 5000 tokens "
        "(data.truncate = 'head')\n"
    )


# ---- rnnkit predict: what it reads ---------------------------------------------------------
@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("predict")
    write_rows(tmp / "t.csv", ROWS * 2)
    code = main(["train", config_file(tmp, tmp / "t.csv"), "--out", str(tmp / "run"), "--quiet"])
    assert code == 0
    return tmp / "run"


def predict(run_dir, *args, stdin: bytes = b"") -> subprocess.CompletedProcess:
    """``rnnkit predict`` in a subprocess under the C locale, standard input as bytes."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "LC_ALL": "C", "PYTHONIOENCODING": ""}
    return subprocess.run(
        [sys.executable, "-m", "rnnkit.cli.main", "predict", str(run_dir), *args],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=300,
    )


def test_predict_refuses_bytes_that_are_not_utf8_on_standard_input(run_dir):
    done = predict(run_dir, "--input", "-", stdin=b"great film\ncaf\xe9 film\n")
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode() == (
        "rnnkit predict: error: standard input, line 2, column 4: expected UTF-8 text, "
        "found the byte 0xe9\n"
    )
    done = predict(run_dir, "--input", "-", stdin="great film\ncafé film\n".encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines()[1].startswith("café film  ")


def test_predict_refuses_binary_input(run_dir, tmp_path, capsys):
    path = tmp_path / "lines.txt.gz"
    path.write_bytes(gzip.compress(b"great film\n"))
    assert main(["predict", str(run_dir), "--input", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"rnnkit predict: error: {path} is a gzip file, not text: it starts with the bytes 1f 8b\n"
    )
    path.write_bytes(b"great film\n\x00\n")
    assert main(["predict", str(run_dir), "--input", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"rnnkit predict: error: {path} is a binary file, not UTF-8 text: a NUL byte (0x00) on "
        "line 2, column 1\n"
    )
    path.write_bytes(b" \n\n")
    assert main(["predict", str(run_dir), "--input", str(path)]) == 2
    assert capsys.readouterr().err == f"rnnkit predict: error: {path} has no input lines\n"


def test_a_split_left_empty_names_the_file(tmp_path, capsys):
    path = tmp_path / "two.csv"
    write_rows(path, [("great film", "pos"), ("awful film", "neg")])
    assert train(tmp_path, capsys, path) == (
        2,
        f"rnnkit train: error: {path}: the validation part is empty; lower data.*_fraction or "
        "add data\n",
    )
