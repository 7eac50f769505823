"""What the text readers refuse, and the exact line that says so (library level).

Binary files are recognised from their first bytes; a byte that is not UTF-8 is named with
its real line and column (in characters); empty texts are left out and listed, and a file of
nothing but empty texts is refused; a single label is refused; word vectors refuse
non-finite numbers; CoNLL-U refuses empty FORM and tag fields.
"""

from __future__ import annotations

import gzip
import json

import pytest

from rnnkit.data.categories import read_category_folder
from rnnkit.data.conll import Sentence, cut_long, join_pieces, read_conll, read_conllu
from rnnkit.data.encoding import require_tokens
from rnnkit.data.text import SNIFF_BYTES, Vocab, byte_position, read_text_file
from rnnkit.data.textdata import (
    read_folder,
    read_imdb,
    read_table,
    report_skipped,
    require_two_labels,
)
from rnnkit.data.vectors import load_vectors
from rnnkit.errors import DataError


def refusal(reader, *args) -> str:
    with pytest.raises(DataError) as err:
        reader(*args)
    return str(err.value)


# ---- binary files and encodings -----------------------------------------------------------
@pytest.mark.parametrize(
    "data,said",
    [
        (
            gzip.compress(b"text,label\n"),
            "is a gzip file, not text: it starts with the bytes 1f 8b",
        ),
        (b"PK\x03\x04rest", "is a zip archive (or a PyTorch .pt file), not text: it starts "),
        (b"%PDF-1.4\n", "is a PDF document, not text: it starts with the bytes 25 50 44 46"),
        (
            b"\x80\x04\x95\x10\x00",
            "is a Python pickle, not text: it starts with the bytes 80 04 95",
        ),
        ("text\n".encode("utf-16"), "is UTF-16 text (it starts with the byte-order mark ff fe): "),
        ("text\n".encode("utf-32"), "is UTF-32 text (it starts with the byte-order mark ff fe 00 "),
        (
            b"ab\ncd\x00ef",
            "is a binary file, not UTF-8 text: a NUL byte (0x00) on line 2, column 3",
        ),
        (b"\x00" * 4096, "is a binary file, not UTF-8 text: a NUL byte (0x00) on line 1, column 1"),
    ],
)
def test_binary_files_are_named_by_what_they_are(tmp_path, data, said):
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    assert refusal(read_text_file, path).startswith(f"{path} {said}")
    assert refusal(read_table, path, "text", "label").startswith(f"{path} {said}")


def test_exact_binary_messages(tmp_path):
    path = tmp_path / "x.gz.csv"
    path.write_bytes(gzip.compress(b"a,b\n"))
    assert (
        refusal(read_text_file, path)
        == f"{path} is a gzip file, not text: it starts with the bytes 1f 8b"
    )
    path.write_bytes("a\n".encode("utf-16"))
    assert refusal(read_text_file, path) == (
        f"{path} is UTF-16 text (it starts with the byte-order mark ff fe): save it as UTF-8"
    )


def test_a_large_binary_file_is_refused_from_its_first_bytes(tmp_path, monkeypatch):
    path = tmp_path / "zeros.txt"
    path.write_bytes(b"\x00" * (4 * SNIFF_BYTES))
    read = []
    real_open = type(path).open

    def counting_open(self, *args, **kwargs):
        f = real_open(self, *args, **kwargs)
        original = f.read
        f.read = lambda n=-1: read.append(n) or original(n)
        return f

    monkeypatch.setattr(type(path), "open", counting_open)
    assert refusal(read_text_file, path) == (
        f"{path} is a binary file, not UTF-8 text: a NUL byte (0x00) on line 1, column 1"
    )
    assert read == [SNIFF_BYTES]  # the rest of the file was never read


def test_a_nul_byte_after_the_first_bytes_is_found_too(tmp_path):
    path = tmp_path / "late.txt"
    path.write_bytes(b"word\n" * 3000 + b"bad\x00\n")
    assert refusal(read_text_file, path) == (
        f"{path} is a binary file, not UTF-8 text: a NUL byte (0x00) on line 3001, column 4"
    )


def test_a_non_utf8_byte_is_named_by_line_and_column_not_by_offset(tmp_path):
    path = tmp_path / "long.txt"
    body = "".join(f"línea {i} ✓\n" for i in range(1, 32)).encode()  # 31 lines of UTF-8
    path.write_bytes(body + "Zoë and ".encode() + b"Fran\xe7ois\n")
    assert refusal(read_text_file, path) == (
        f"{path}, line 32, column 13: expected UTF-8 text, found the byte 0xe7"
    )
    assert byte_position(b"ab\ncaf\xc3\xa9 x", 9) == (2, 6)  # columns count characters


def test_a_byte_order_mark_is_not_part_of_the_text(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufefftext,label\nfine,pos\nbad,neg\n".encode())
    assert read_text_file(path) == "text,label\nfine,pos\nbad,neg\n"
    assert read_table(path, "text", "label").labels == ["pos", "neg"]
    path.write_bytes("\ufeff".encode())  # a mark and nothing else: an empty file
    assert refusal(read_table, path, "text", "label") == f"{path} is empty"


def test_a_folder_is_not_a_file(tmp_path):
    assert refusal(read_text_file, tmp_path) == f"{tmp_path} is a folder; expected a text file"


# ---- empty texts, one label -----------------------------------------------------------------
def test_empty_texts_are_left_out_and_listed(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("text,label\ngood,pos\n,neg\n   ,pos\nbad,neg\n", encoding="utf-8")
    out = read_table(path, "text", "label")
    assert out.texts == ["good", "bad"] and out.labels == ["pos", "neg"]
    assert out.skipped == [f"{path}, line 3", f"{path}, line 4"]
    report_skipped(out, path)
    assert capsys.readouterr().err == (
        f"classify: left out 2 empty texts of {path} (line 3; line 4)\n"
    )

    jsonl = tmp_path / "r.jsonl"
    rows = [{"text": "ok", "label": 1}, {"text": None, "label": 0}, {"text": " ", "label": 1}]
    jsonl.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = read_table(jsonl, "text", "label")
    assert out.texts == ["ok"] and out.labels == ["1"] and len(out.skipped) == 2


def test_all_empty_texts_are_refused(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text("label\ttext\npos\t\nneg\t  \n", encoding="utf-8")
    assert refusal(read_table, path, "text", "label") == (
        f"{path}: all 2 texts are empty (data.text_column = 'text')"
    )
    root = tmp_path / "imdb"
    for label in ("pos", "neg"):
        (root / label).mkdir(parents=True)
        (root / label / "0_1.txt").write_text(" \n")
    assert refusal(read_imdb, root) == f"{root}: all 2 reviews are empty"
    (root / "pos" / "1_9.txt").write_text("Loved it")
    assert read_imdb(root).texts == ["Loved it"]


def test_json_lists_and_objects_are_not_texts(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"text": ["a"], "label": 1}\n', encoding="utf-8")
    assert refusal(read_table, path, "text", "label") == (
        f"{path}, line 1: key 'text' holds a list, expected a string or a number"
    )
    path.write_text('{"text": "a", "label": null}\n', encoding="utf-8")
    assert (
        refusal(read_table, path, "text", "label") == f"{path}, line 1: empty label in key 'label'"
    )
    path.write_text("[" * 100_000 + "\n", encoding="utf-8")
    assert refusal(read_table, path, "text", "label") == f"{path}, line 1: JSON nested too deeply"


def test_an_unterminated_quote_is_refused_with_its_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('text,label\nfine,pos\n"never closed,neg\n', encoding="utf-8")
    assert refusal(read_table, path, "text", "label") == (
        f"{path}, line 3: 1 fields where the header has 2"
    )


def test_one_label_is_refused(tmp_path):
    (tmp_path / "Greek.txt").write_text("Pappas\nKaloxylos\n", encoding="utf-8")
    out = read_folder(tmp_path)
    assert refusal(require_two_labels, out, tmp_path) == (
        f"{tmp_path}: every example has the label 'Greek' (2 examples); classification "
        "needs at least two labels"
    )


def test_a_vocabulary_of_specials_only_is_refused():
    vocab = Vocab.build([["rare"]], min_freq=2)
    assert refusal(require_tokens, vocab, "t.csv", 2) == (
        "t.csv: no token of the training texts is seen data.min_freq = 2 time(s), so the "
        "vocabulary would hold only <pad> and <unk>"
    )


def test_category_folders_split_lines_at_newlines_only(tmp_path):
    (tmp_path / "A.txt").write_text("x\x0cy\n\u2028\nz\n", encoding="utf-8")
    (tmp_path / "A-b.txt").write_text("w\n", encoding="utf-8")
    pairs, categories = read_category_folder(tmp_path)
    assert pairs == [("x\x0cy", "A"), ("z", "A"), ("w", "A-b")]
    assert categories == ["A", "A-b"]  # sorted by name, not by file name ("A-b.txt" < "A.txt")


# ---- CoNLL-U, long sentences ----------------------------------------------------------------
def test_conllu_refuses_empty_form_and_tag_fields():
    line = "1\t\tdog\tNOUN\t_\t_\t0\troot\t_\t_\n"
    assert refusal(read_conllu, "u.conllu", "upos", line) == (
        "u.conllu, line 1: the FORM field (field 2) is empty; CoNLL-U writes _ for a missing value"
    )
    line = "1\tdog\tdog\tNOUN\t\t_\t0\troot\t_\t_\n"
    assert read_conllu("u", "upos", line)[0].tags == ["NOUN"]
    assert refusal(read_conllu, "u.conllu", "xpos", line) == (
        "u.conllu, line 1: the XPOS field (field 5) is empty; CoNLL-U writes _ for a missing value"
    )


def test_long_sentences_are_cut_into_pieces_and_joined_back():
    sentence = read_conll("c", -1, text="".join(f"w{i} O\n" for i in range(7)))[0]
    pieces, counts = cut_long([sentence, Sentence(["x"], ["O"])], 3)
    assert [p.tokens for p in pieces] == [["w0", "w1", "w2"], ["w3", "w4", "w5"], ["w6"], ["x"]]
    assert [p.line_numbers for p in pieces[:3]] == [[1, 2, 3], [4, 5, 6], [7]]
    assert counts == [3, 1]
    assert join_pieces([p.tokens for p in pieces], counts) == [sentence.tokens, ["x"]]
    assert cut_long([sentence], 0) == ([sentence], [1])


# ---- word vectors ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body,said",
    [
        (
            b"the 0.1 0.2\ncat inf 1\n",
            "line 2: the vector of 'cat' holds the non-finite number 'inf'",
        ),
        (b"the 0.1 nan\n", "line 1: the vector of 'the' holds the non-finite number 'nan'"),
        (b"the 0.1 1e400\n", "line 1: the vector of 'the' holds the non-finite number '1e400'"),
        (b"the 1 2\ncaf\xe9 1 2\n", "line 2, column 4: expected UTF-8 text, found the byte 0xe9"),
    ],
)
def test_vectors_refuse_non_finite_numbers_and_bad_bytes(tmp_path, body, said):
    path = tmp_path / "v.txt"
    path.write_bytes(body)
    assert refusal(load_vectors, path) == f"{path}, {said}"
    gz = tmp_path / "v.txt.gz"
    gz.write_bytes(gzip.compress(body))
    assert refusal(load_vectors, gz) == f"{gz}, {said}"


def test_a_superscript_digit_is_not_a_vectors_header(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("² 3\n", encoding="utf-8")  # "²".isdigit() is True, but it is no count
    vectors, dim = load_vectors(path)  # a word and its 1-dimensional vector
    assert dim == 1 and vectors["²"].tolist() == [3.0]


def test_vectors_refuse_binary_and_broken_gzip(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"\x00\x01\x02")
    assert refusal(load_vectors, path) == (
        f"{path} is a binary file, not UTF-8 text: a NUL byte (0x00) on line 1, column 1"
    )
    gz = tmp_path / "v.txt.gz"
    gz.write_bytes(gzip.compress(b"the 1 2\n" * 100)[:-12])
    assert refusal(load_vectors, gz).startswith(f"cannot read {gz}: ")
