"""Tasks lm and seq2seq on lines they cannot use whole: a 1 MB line is cut to
``data.max_length`` (1000 by default) with a count on standard error; files they cannot read
are refused with the exact line."""

from __future__ import annotations

import pytest

from rnnkit.errors import DataError
from rnnkit.tasks.lm import LMData
from rnnkit.tasks.seq2seq import Seq2SeqData, read_tsv


def test_lm_folder_cuts_a_one_megabyte_line(names_folder, make, capsys):
    assert LMData().max_length == 1000
    folder = names_folder
    (folder / "Russian.txt").write_text("Ivanov\n" + "v" * 1_000_000 + "\n", encoding="utf-8")
    _, task = make({"task": "lm", "data": {"format": "folder", "train": str(folder)}})
    task.setup()
    assert capsys.readouterr().err == (
        f"lm: cut 1 of 14 lines of {folder} to data.max_length = 1000 characters\n"
    )
    widths = [int(task.splits[s]["lengths"].max()) for s in ("train", "validation")]
    assert max(widths) == 1001  # <eos> and 1000 characters


def test_lm_folder_with_one_line_is_refused(tmp_path, make):
    (tmp_path / "Greek.txt").write_text("Pappas\nPappas\n", encoding="utf-8")
    _, task = make({"task": "lm", "data": {"format": "folder", "train": str(tmp_path)}})
    with pytest.raises(DataError) as err:
        task.setup()
    assert str(err.value) == (
        f"{tmp_path} has 1 distinct line(s): too few to hold some out for validation"
    )


def test_lm_text_refuses_binary_and_names_the_column_of_a_bad_byte(tmp_path, make):
    path = tmp_path / "t.txt"
    path.write_bytes("Thé first line\nsecond lïne ".encode() + b"\xff\n")
    _, task = make({"task": "lm", "data": {"format": "text", "train": str(path)}})
    with pytest.raises(DataError) as err:
        task.setup()
    assert str(err.value) == f"{path}, line 2, column 13: expected UTF-8 text, found the byte 0xff"
    path.write_bytes(b"\x1f\x8b\x08\x00")
    with pytest.raises(DataError) as err:
        task.setup()
    assert str(err.value) == f"{path} is a gzip file, not text: it starts with the bytes 1f 8b"


def test_seq2seq_cuts_a_one_megabyte_source(tmp_path, make, capsys):
    assert Seq2SeqData().max_length == 1000
    path = tmp_path / "pairs.tsv"
    pairs = [f"{a}\t{a.upper()}" for a in ("abc", "de", "fgh", "ij", "klm")]
    path.write_text("\n".join(pairs + ["x" * 1_000_000 + "\tX"]) + "\n", encoding="utf-8")
    raw = {
        "task": "seq2seq",
        "data": {"format": "tsv", "train": str(path), "validation": str(path)},
    }
    _, task = make(raw)
    task.setup()
    assert capsys.readouterr().err == (
        f"seq2seq: cut 1 of 6 pairs of {path} to data.max_length = 1000 tokens a side\n" * 2
    )
    assert int(task.splits["train"]["src_lengths"].max()) == 1000
    assert task.max_output_length == 2 * 3 + 10  # from the targets, the longest has 3


def test_seq2seq_lines_end_at_newlines_only(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("a\x0cb\tc\u2028d\r\ne\tf\n", encoding="utf-8")
    assert read_tsv(path) == [("a\x0cb", "c\u2028d"), ("e", "f")]
    path.write_bytes(b"ok\tOK\nbad\t\xe9\n")
    with pytest.raises(DataError) as err:
        read_tsv(path)
    assert str(err.value) == f"{path}, line 2, column 5: expected UTF-8 text, found the byte 0xe9"
