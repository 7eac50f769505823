"""CoNLL and CoNLL-U readers: documents, columns, multiword tokens, round trips, errors."""

from __future__ import annotations

import pytest

from rnnkit.data.conll import format_conll, format_conllu, read_conll, read_conllu
from rnnkit.errors import ConfigError, DataError

CONLL = """-DOCSTART- -X- O O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
. . O O

Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- O O

BRUSSELS NNP I-NP I-LOC

"""

CONLLU = """# sent_id = 1
# text = I'm here.
1-2	I'm	_	_	_	_	_	_	_	_
1	I	I	PRON	PRP	_	3	nsubj	_	_
2	'm	be	AUX	VBP	_	3	cop	_	_
3	here	here	ADV	RB	_	0	root	_	_
3.1	is	be	VERB	VBZ	_	_	_	3:orphan	_
4	.	.	PUNCT	.	_	3	punct	_	_

# sent_id = 2
1	Go	go	VERB	VB	_	0	root	_	_

"""


def test_conll_sentences_documents_and_columns(tmp_path):
    path = tmp_path / "a.conll"
    path.write_text(CONLL)
    sentences = read_conll(path)
    assert [s.tokens for s in sentences] == [
        ["EU", "rejects", "German", "."],
        ["Peter", "Blackburn"],
        ["BRUSSELS"],
    ]
    assert sentences[0].tags == ["I-ORG", "O", "I-MISC", "O"]
    assert [s.docstart is not None for s in sentences] == [True, False, True]
    assert sentences[1].line_numbers == [8, 9]
    assert read_conll(path, tag_column=1)[0].tags == ["NNP", "VBZ", "JJ", "."]
    assert read_conll(path, tag_column=-2)[0].tags == ["I-NP", "I-VP", "I-NP", "O"]


def test_conll_round_trip_and_predicted_column(tmp_path):
    sentences = read_conll("a", text=CONLL)
    assert format_conll(sentences) == CONLL
    predicted = [["O"] * len(s) for s in sentences]
    lines = format_conll(sentences, predicted).splitlines()
    assert lines[2] == "EU NNP I-NP I-ORG O"
    assert read_conll("b", text=format_conll(sentences, predicted))[0].tags == ["O"] * 4


def test_conll_errors_name_file_and_line(tmp_path):
    bad = CONLL.replace("rejects VBZ I-VP O", "rejects VBZ O")
    with pytest.raises(
        DataError,
        match=r"^x.conll, line 4: expected 4 columns like the first token line, found 3: "
        r"'rejects VBZ O'$",
    ):
        read_conll("x.conll", text=bad)
    with pytest.raises(
        ConfigError,
        match=r"^data.tag_column 4 is out of range: x.conll has 4 columns "
        r"\(0 to 3, or -4 to -1\)$",
    ):
        read_conll("x.conll", tag_column=4, text=CONLL)
    with pytest.raises(DataError, match=r"^x.conll, line 1: a token line needs at least 2"):
        read_conll("x.conll", text="word\n")
    with pytest.raises(DataError, match=r"^x.conll holds no sentences$"):
        read_conll("x.conll", text="-DOCSTART- -X- O O\n\n")
    with pytest.raises(DataError, match=r"^data file not found: .*missing.conll$"):
        read_conll(tmp_path / "missing.conll")
    (tmp_path / "latin1.conll").write_bytes(b"caf\xe9 O\n")
    with pytest.raises(DataError) as err:
        read_conll(tmp_path / "latin1.conll")
    latin1 = tmp_path / "latin1.conll"
    assert str(err.value) == f"{latin1}, line 1, column 4: expected UTF-8 text, found the byte 0xe9"


def test_conllu_skips_multiword_tokens_and_empty_nodes():
    sentences = read_conllu("u", text=CONLLU)
    assert sentences[0].tokens == ["I", "'m", "here", "."]
    assert sentences[0].tags == ["PRON", "AUX", "ADV", "PUNCT"]
    assert read_conllu("u", "xpos", text=CONLLU)[0].tags == ["PRP", "VBP", "RB", "."]
    assert sentences[1].comments == ["# sent_id = 2"]


def test_conllu_round_trip_and_predictions():
    sentences = read_conllu("u", text=CONLLU)
    assert format_conllu(sentences) == CONLLU
    predicted = [["X"] * len(s) for s in sentences]
    out = format_conllu(sentences, predicted, "xpos")
    assert "1\tI\tI\tPRON\tX\t_\t3\tnsubj\t_\t_" in out.splitlines()
    assert read_conllu("v", "xpos", text=out)[0].tags == ["X"] * 4
    assert read_conllu("v", text=out)[0].tags == sentences[0].tags


def test_conllu_errors():
    with pytest.raises(
        DataError, match=r"^u, line 3: a CoNLL-U line has 10 tab-separated fields, found 9: "
    ):
        read_conllu("u", text=CONLLU.replace("\t_\t_\n1\tI", "\t_\n1\tI", 1))
    with pytest.raises(DataError, match=r"^u, line 2: ID 'x' is not n, n-m or n.m$"):
        read_conllu("u", text="# c\nx" + "\t_" * 9 + "\n")
    with pytest.raises(ConfigError, match=r"^data.tag_field must be upos or xpos, received 'pos'$"):
        read_conllu("u", "pos", text=CONLLU)
