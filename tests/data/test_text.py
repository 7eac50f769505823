from __future__ import annotations

import doctest
import gzip

import pytest
import torch

import rnnkit.data.text as text_module
from rnnkit.data.text import Vocab, char_tokenize, get_tokenizer, read_text_file, word_tokenize
from rnnkit.data.vectors import embedding_matrix, load_vectors
from rnnkit.errors import ConfigError, DataError


def test_word_tokenizer_is_unicode_aware():
    assert word_tokenize("Müller's café, naïve—Москва 2024!") == [
        "Müller's",
        "café",
        ",",
        "naïve",
        "—",
        "Москва",
        "2024",
        "!",
    ]
    assert word_tokenize("A<br />B<BR>C", lower=True) == ["a", "b", "c"]
    assert doctest.testmod(text_module).failed == 0


def test_char_tokenizer_normalises():
    assert char_tokenize("Ange\u0301l") == ["A", "n", "g", "é", "l"]  # combining accent -> é


def test_get_tokenizer_errors():
    assert get_tokenizer("word", lower=True)("Hi There") == ["hi", "there"]
    with pytest.raises(ConfigError, match="^tokenizer must be one of word, char, spacy"):
        get_tokenizer("bpe")


def test_vocab_min_freq_max_size_and_round_trip(tmp_path):
    texts = [["a", "b", "a", "c"], ["a", "b", "d"]]
    vocab = Vocab.build(texts, min_freq=2)
    assert vocab.itos == ["<pad>", "<unk>", "a", "b"]
    assert vocab.encode(["a", "z", "b"]) == [2, 1, 3]
    assert vocab.unknown(["a", "z", "z", "y"]) == ["z", "y"]
    assert Vocab.build(texts, max_size=1).itos == ["<pad>", "<unk>", "a"]
    vocab.save(tmp_path / "v.json")
    again = Vocab.load(tmp_path / "v.json")
    assert again.itos == vocab.itos and again.pad_index == 0 and again.unk_index == 1


def test_read_text_file_names_the_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"ok\nfine\nbad \xff here\n")
    with pytest.raises(
        DataError, match=r"bad.txt, line 3, column 5: expected UTF-8 text, found the byte 0xff$"
    ):
        read_text_file(path)


@pytest.mark.parametrize("header,gz", [(False, False), (True, False), (True, True)])
def test_vectors_formats_and_coverage(tmp_path, header, gz):
    lines = ["the 0.1 0.2 0.3", "cat 1 2 3", "Dog 4 5 6"]
    body = ("3 3\n" if header else "") + "\n".join(lines) + "\n"
    path = tmp_path / ("v.vec.gz" if gz else "v.txt")
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(body)
    else:
        path.write_text(body)
    vocab = Vocab.build([["the", "cat", "Cat", "dog", "bird", "the"]])
    vectors, dim = load_vectors(path)
    assert dim == 3
    weight, cov = embedding_matrix(vocab, vectors, dim)
    assert torch.equal(weight[vocab["the"]], torch.tensor([0.1, 0.2, 0.3]))
    assert torch.equal(weight[vocab["Cat"]], torch.tensor([1.0, 2.0, 3.0]))  # lower-case fallback
    assert torch.equal(weight[vocab.pad_index], torch.zeros(3))
    assert (cov.vocab_found, cov.vocab_size) == (3, 5)  # the, cat, Cat; not dog (Dog), bird
    assert (cov.tokens_found, cov.tokens_total) == (4, 6)
    assert str(cov) == "vectors cover 60.0% of the vocabulary (3/5) and 66.7% of the tokens"


def test_vectors_errors(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("a 1 2\nb 1\n")
    with pytest.raises(DataError, match=r"v.txt, line 2: 1 numbers where 2 were expected$"):
        load_vectors(path)
    with pytest.raises(DataError, match="vectors file not found"):
        load_vectors(tmp_path / "none.txt")
