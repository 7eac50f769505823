"""Readers of labelled texts, their error messages, and the stratified split."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from rnnkit.data.textdata import (
    imdb_test_folder,
    read_examples,
    read_folder,
    read_imdb,
    read_table,
    stratified_split,
)
from rnnkit.errors import DataError


def test_folder_reads_one_file_per_class(tmp_path):
    (tmp_path / "Greek.txt").write_text("Pappas\n\nKaloxylos\n", encoding="utf-8")
    (tmp_path / "Czech.txt").write_text("Dvořák\n", encoding="utf-8")
    out = read_folder(tmp_path)
    assert out.texts == ["Dvořák", "Pappas", "Kaloxylos"]
    assert out.labels == ["Czech", "Greek", "Greek"]
    assert out.where[2] == f"{tmp_path / 'Greek.txt'}, line 3"


def test_csv_tsv_and_jsonl(tmp_path):
    csv_path = tmp_path / "r.csv"
    csv_path.write_text('id,review,y\n1,"Great, really",pos\n2,bad,neg\n', encoding="utf-8")
    out = read_table(csv_path, "review", "y")
    assert out.texts == ["Great, really", "bad"] and out.labels == ["pos", "neg"]
    assert out.where == [f"{csv_path}, line 2", f"{csv_path}, line 3"]

    tsv = tmp_path / "r.tsv"  # TSV has no quoting: a leading quote belongs to the text
    tsv.write_text('label\ttext\n1\t"Quoted" title, fine\n0\tno\n', encoding="utf-8")
    assert read_table(tsv, "text", "label").texts == ['"Quoted" title, fine', "no"]

    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text(json.dumps({"t": "héllo", "l": 3}) + "\n\n" + json.dumps({"t": "x", "l": 4}))
    out = read_examples("csv", jsonl, "t", "l")
    assert out.texts == ["héllo", "x"] and out.labels == ["3", "4"]
    assert out.where[1] == f"{jsonl}, line 3"


def test_imdb_layout(tmp_path):
    for split in ("train", "test"):
        for label, texts in (("pos", ["Loved it", "Fine film"]), ("neg", ["Awful"])):
            folder = tmp_path / "aclImdb" / split / label
            folder.mkdir(parents=True)
            for i, text in enumerate(texts):
                (folder / f"{i}_7.txt").write_text(text + "\n")
    (tmp_path / "aclImdb" / "train" / "unsup").mkdir()
    (tmp_path / "aclImdb" / "train" / "unsup" / "0_0.txt").write_text("no label")
    root = tmp_path / "aclImdb"
    out = read_imdb(root / "train")
    assert sorted(zip(out.labels, out.texts)) == [
        ("neg", "Awful"),
        ("pos", "Fine film"),
        ("pos", "Loved it"),
    ]
    assert read_imdb(root).texts == out.texts  # the root means its train/ folder
    assert imdb_test_folder(root) == root / "test"
    assert imdb_test_folder(root / "train") is None


def test_empty_file_is_an_error(tmp_path):
    (tmp_path / "Irish.txt").write_text("\n  \n")
    with pytest.raises(DataError, match=f"^{tmp_path / 'Irish.txt'} is empty$"):
        read_folder(tmp_path)
    empty = tmp_path / "e.csv"
    empty.write_text("")
    with pytest.raises(DataError, match=f"^{empty} is empty$"):
        read_table(empty, "text", "label")
    header_only = tmp_path / "h.csv"
    header_only.write_text("text,label\n")
    with pytest.raises(DataError, match="has a header but no examples$"):
        read_table(header_only, "text", "label")


def test_missing_label_column_names_the_columns(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text,sentiment\nok,pos\n")
    with pytest.raises(DataError) as err:
        read_table(path, "text", "label")
    assert str(err.value) == (
        f"{path} has no column 'label' (data.label_column); its header has 'text', 'sentiment'"
    )
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text('{"text": "a", "label": 1}\n{"text": "b"}\n')
    with pytest.raises(DataError) as err:
        read_table(jsonl, "text", "label")
    assert str(err.value) == f"{jsonl}, line 2: no key 'label' (data.label_column); it has 'text'"


def test_non_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"text,label\nfine,pos\ncaf\xe9,neg\n")
    with pytest.raises(DataError) as err:
        read_table(path, "text", "label")
    assert str(err.value) == f"{path}, line 3, column 4: expected UTF-8 text, found the byte 0xe9"
    (tmp_path / "names").mkdir()
    (tmp_path / "names" / "French.txt").write_bytes(b"Martin\nH\xe9bert\n")
    with pytest.raises(
        DataError, match=r"French.txt, line 2, column 2: expected UTF-8 text, found the byte 0xe9$"
    ):
        read_folder(tmp_path / "names")


def test_malformed_rows_name_the_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text,label\na,pos\nb,neg,extra\n")
    with pytest.raises(DataError, match=r"r.csv, line 3: 3 fields where the header has 2$"):
        read_table(path, "text", "label")
    path.write_text("text,label\na,\n")
    with pytest.raises(DataError, match=r"r.csv, line 2: empty label in column 'label'$"):
        read_table(path, "text", "label")
    with pytest.raises(DataError, match="^data.format must be one of imdb, csv, folder"):
        read_examples("xml", path)


def test_stratified_split_is_seeded_exhaustive_and_proportional():
    labels = ["a"] * 50 + ["b"] * 30 + ["c"] * 3 + ["d"]
    kept, held = stratified_split(labels, 0.2, seed=3)
    assert sorted(kept + held) == list(range(len(labels)))  # every example exactly once
    assert Counter(labels[i] for i in held) == {"a": 10, "b": 6, "c": 1}  # d has one example
    assert stratified_split(labels, 0.2, seed=3) == (kept, held)
    assert stratified_split(labels, 0.2, seed=4) != (kept, held)
    with pytest.raises(ValueError, match=r"^fraction must be in \[0, 1\), received 1.5$"):
        stratified_split(labels, 1.5, 0)
