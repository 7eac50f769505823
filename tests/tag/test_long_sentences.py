"""A CoNLL file whose blank lines are missing is one "sentence" of the whole file: task tag
reads it in pieces of ``data.max_length`` tokens (1000 by default), says so, and joins the
predictions back so that every token of the file is written out with its tag."""

from __future__ import annotations

import tomli_w

from rnnkit.cli.main import main
from rnnkit.data.conll import read_conll
from rnnkit.tasks.tag import TagData

TOKENS = ["Ann XX O I-PER", "visited XX O O", "Oslo XX O I-LOC", ". XX O O"]


def test_a_file_without_blank_lines_is_read_in_pieces(tmp_path, capsys):
    assert TagData().max_length == 1000
    path = tmp_path / "run-on.conll"
    short = "".join(line + "\n" for line in TOKENS) + "\n"
    run_on = "".join(TOKENS[i % 4] + "\n" for i in range(2500))  # one sentence, 2500 tokens
    path.write_text(short * 3 + run_on, encoding="utf-8")
    raw = {
        "task": "tag",
        "data": {"train": str(path), "validation": str(path)},
        "model": {"hidden_size": 4, "embedding_dim": 4, "char_encoder": "none"},
        "train": {"epochs": 1, "batch_size": 4},
    }
    config = tmp_path / "tag.toml"
    config.write_text(tomli_w.dumps(raw))
    assert main(["train", str(config), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    note = (
        f"tag: cut 1 sentence(s) of {path} longer than data.max_length = 1000 tokens into pieces\n"
    )
    assert capsys.readouterr().err == note * 2  # the training and the validation split

    written = read_conll(tmp_path / "run" / "predictions.conll", tag_column=-2)
    original = read_conll(path)
    assert [len(s) for s in written] == [4, 4, 4, 2500]
    assert [s.tokens for s in written] == [s.tokens for s in original]
    assert [s.tags for s in written] == [s.tags for s in original]  # gold column kept
    assert all(len(row) == 5 for s in written for row in s.rows)  # + the predicted tag

    lines = tmp_path / "lines.txt"
    lines.write_text("Ann visited Oslo .\n" + "Ann visited Oslo . " * 600 + "\n", encoding="utf-8")
    out = tmp_path / "out.conll"
    assert (
        main(["predict", str(tmp_path / "run"), "--input", str(lines), "--output", str(out)]) == 0
    )
    assert capsys.readouterr().err == (
        "tag: cut 1 sentence(s) of the input longer than data.max_length = 1000 tokens into "
        "pieces\n"
    )
    blocks = out.read_text(encoding="utf-8").rstrip("\n").split("\n\n")
    assert [len(b.splitlines()) for b in blocks] == [4, 2400]  # every token tagged
