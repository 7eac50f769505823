"""Readers and writers for token-per-line corpora: CoNLL-2003 columns and CoNLL-U.

**CoNLL columns** (CoNLL-2000/2003): one token per line, columns separated by whitespace
(``word POS chunk NER``), sentences separated by blank lines, documents opened by a
``-DOCSTART-`` line. Every token line of a file must have the same number of columns.
``tag_column`` picks the tags (0-based; negative counts from the end, -1 = the last).

**CoNLL-U** (Universal Dependencies): 10 tab-separated fields ``ID FORM LEMMA UPOS XPOS
FEATS HEAD DEPREL DEPS MISC``; ``#`` comment lines before a sentence; multiword-token lines
(ID ``n-m``) and empty nodes (ID ``n.m``) are kept for writing back but are not tokens, so the
tokens are the syntactic words. ``column`` is ``"upos"`` or ``"xpos"``.

Both readers return :class:`Sentence` objects that remember every line, so the writers give
back the input byte for byte, or the input with the tags replaced by predictions. A malformed
line (a missing column, an empty CoNLL-U FORM or tag field), a binary file or a byte that is
not UTF-8 is a :class:`~rnnkit.errors.DataError` naming the file and the line number.

:func:`cut_long` cuts sentences longer than a limit into pieces for a model, and
:func:`join_pieces` puts the per-piece predictions back together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rnnkit.data.text import read_text_file
from rnnkit.errors import ConfigError, DataError

DOCSTART = "-DOCSTART-"
CONLLU_COLUMNS = {"upos": 3, "xpos": 4}


@dataclass
class Sentence:
    """One sentence: its tokens, the chosen tags, and everything needed to write it back.

    ``rows[i]`` are the fields of token i's line; ``line_numbers[i]`` its line in the file.
    CoNLL: ``docstart`` is the ``-DOCSTART-`` line opening a document before this sentence.
    CoNLL-U: ``comments`` are the ``#`` lines; ``extra`` holds (token index, line) for the
    multiword-token and empty-node lines, written before token ``index`` (or at the end).
    ``document`` numbers the documents of the file from 0 (``-DOCSTART-`` in CoNLL,
    ``# newdoc`` in CoNLL-U).
    """

    tokens: list[str]
    tags: list[str]
    rows: list[list[str]] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    docstart: str | None = None
    comments: list[str] = field(default_factory=list)
    extra: list[tuple[int, str]] = field(default_factory=list)
    document: int = 0

    def __len__(self) -> int:
        return len(self.tokens)


def _column_index(tag_column: int, width: int, path: Path | str) -> int:
    if not -width <= tag_column < width:
        raise ConfigError(
            f"data.tag_column {tag_column} is out of range: {path} has {width} columns "
            f"(0 to {width - 1}, or -{width} to -1)"
        )
    return tag_column % width


def read_conll(path: str | Path, tag_column: int = -1, text: str | None = None) -> list[Sentence]:
    """Sentences of a CoNLL column file; ``text`` (optional) replaces reading ``path``.

    Each token line must have as many columns as the first token line, and at least two
    (the word and its tag). A trailing blank line is optional.
    """
    text = read_text_file(path) if text is None else text
    sentences: list[Sentence] = []
    current = Sentence([], [])
    docstart: str | None = None
    width = column = None
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        if not line.strip():
            if current.tokens:
                sentences.append(current)
                current = Sentence([], [])
            continue
        fields = line.split()
        if fields[0] == DOCSTART:
            if current.tokens:
                sentences.append(current)
                current = Sentence([], [])
            docstart = line
            continue
        if width is None:
            if len(fields) < 2:
                raise DataError(
                    f"{path}, line {number}: a token line needs at least 2 columns "
                    f"(word and tag), found 1: {line[:80]!r}"
                )
            width, column = len(fields), _column_index(tag_column, len(fields), path)
        if len(fields) != width:
            raise DataError(
                f"{path}, line {number}: expected {width} columns like the first token line, "
                f"found {len(fields)}: {line[:80]!r}"
            )
        if not current.tokens:
            previous = sentences[-1].document if sentences else -1
            current.document = previous + 1 if docstart is not None or not sentences else previous
            current.docstart, docstart = docstart, None
        current.tokens.append(fields[0])
        current.tags.append(fields[column])
        current.rows.append(fields)
        current.line_numbers.append(number)
    if current.tokens:
        sentences.append(current)
    if not sentences:
        raise DataError(f"{path} holds no sentences")
    return sentences


def _conllu_token(fields: list[str], path, number: int, line: str, index: int) -> bool:
    """True for a word line, False for a multiword token or empty node; errors otherwise
    (``index`` is the tag field, which a word line must fill like its FORM)."""
    if len(fields) != 10:
        raise DataError(
            f"{path}, line {number}: a CoNLL-U line has 10 tab-separated fields, "
            f"found {len(fields)}: {line[:80]!r}"
        )
    ident = fields[0]
    if ident.isdigit():
        for k, name in ((1, "FORM"), (index, "UPOS" if index == 3 else "XPOS")):
            if not fields[k]:
                raise DataError(
                    f"{path}, line {number}: the {name} field (field {k + 1}) is empty; "
                    f"CoNLL-U writes _ for a missing value"
                )
        return True
    head, sep, tail = ident.partition("-") if "-" in ident else ident.partition(".")
    if sep and head.isdigit() and tail.isdigit():
        return False
    raise DataError(f"{path}, line {number}: ID {ident!r} is not n, n-m or n.m")


def read_conllu(path: str | Path, column: str = "upos", text: str | None = None) -> list[Sentence]:
    """Sentences of a CoNLL-U file with the ``upos`` or ``xpos`` tags of their words."""
    if column not in CONLLU_COLUMNS:
        raise ConfigError(f"data.tag_field must be upos or xpos, received {column!r}")
    index = CONLLU_COLUMNS[column]
    text = read_text_file(path) if text is None else text
    sentences: list[Sentence] = []
    current = Sentence([], [])
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        if not line.strip():
            if current.tokens:
                sentences.append(current)
            elif current.comments or current.extra:
                raise DataError(f"{path}, line {number}: sentence without words ends here")
            current = Sentence([], [])
            continue
        if line.startswith("#"):
            if current.tokens or current.extra:
                raise DataError(
                    f"{path}, line {number}: a comment inside a sentence; CoNLL-U puts "
                    f"comments before the sentence's first word line"
                )
            current.comments.append(line)
            continue
        fields = line.split("\t")
        if not _conllu_token(fields, path, number, line, index):
            current.extra.append((len(current.tokens), line))
            continue
        if not current.tokens:
            previous = sentences[-1].document if sentences else -1
            newdoc = any(c.startswith("# newdoc") for c in current.comments)
            current.document = previous + 1 if newdoc or not sentences else previous
        current.tokens.append(fields[1])
        current.tags.append(fields[index])
        current.rows.append(fields)
        current.line_numbers.append(number)
    if current.tokens:
        sentences.append(current)
    if not sentences:
        raise DataError(f"{path} holds no sentences")
    return sentences


def format_conll(sentences: list[Sentence], predicted: list[list[str]] | None = None) -> str:
    """CoNLL column text; with ``predicted``, each token line gets one more column (the
    conlleval input: ``word ... gold predicted``)."""
    lines: list[str] = []
    for i, sentence in enumerate(sentences):
        if sentence.docstart is not None:
            lines += [sentence.docstart, ""]
        for j, row in enumerate(sentence.rows):
            extra = [predicted[i][j]] if predicted is not None else []
            lines.append(" ".join(row + extra))
        lines.append("")
    return "\n".join(lines) + "\n"


def format_conllu(
    sentences: list[Sentence], predicted: list[list[str]] | None = None, column: str = "upos"
) -> str:
    """CoNLL-U text; with ``predicted``, the ``column`` field holds the predictions."""
    index = CONLLU_COLUMNS[column]
    lines: list[str] = []
    for i, sentence in enumerate(sentences):
        lines += sentence.comments
        extra = sorted(sentence.extra, key=lambda item: item[0])
        k = 0
        for j, row in enumerate(sentence.rows):
            while k < len(extra) and extra[k][0] == j:
                lines.append(extra[k][1])
                k += 1
            fields = list(row)
            if predicted is not None:
                fields[index] = predicted[i][j]
            lines.append("\t".join(fields))
        lines += [line for _, line in extra[k:]]
        lines.append("")
    return "\n".join(lines) + "\n"


def detect_format(path: str | Path, lines: int = 200) -> str:
    """``conllu`` when a token line among the first ``lines`` of the file has the ten
    tab-separated fields of CoNLL-U, else ``conll`` (the reader then says what is wrong)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for _, line in zip(range(lines), f):
                if line.strip() and not line.startswith("#"):
                    return "conllu" if len(line.rstrip("\r\n").split("\t")) == 10 else "conll"
    except OSError:
        pass  # the reader names the missing or unreadable file
    return "conll"


def read_corpus(path: str | Path, fmt: str, tag_column: int = -1, tag_field: str = "upos"):
    """Dispatch on ``fmt``: ``conll`` (with ``tag_column``) or ``conllu`` (with
    ``tag_field``)."""
    if fmt == "conll":
        return read_conll(path, tag_column)
    if fmt == "conllu":
        return read_conllu(path, tag_field)
    raise ConfigError(f"data.format must be conll or conllu, received {fmt!r}")


def cut_long(sentences: list[Sentence], max_length: int) -> tuple[list[Sentence], list[int]]:
    """Sentences of more than ``max_length`` tokens (0 = no limit) cut into consecutive pieces
    of at most ``max_length``, for a model that reads whole sentences; returns the pieces and
    how many pieces each sentence became (:func:`join_pieces` undoes the cut).

    >>> pieces, counts = cut_long([Sentence(list("abcde"), list("OOOOO"))], 2)
    >>> [p.tokens for p in pieces], counts
    ([['a', 'b'], ['c', 'd'], ['e']], [3])
    """
    if not max_length or all(len(s) <= max_length for s in sentences):
        return sentences, [1] * len(sentences)
    pieces, counts = [], []
    for s in sentences:
        starts = range(0, max(1, len(s)), max_length)
        counts.append(len(starts))
        if len(starts) == 1:
            pieces.append(s)
            continue
        for a in starts:
            b = a + max_length
            rows, numbers = s.rows[a:b], s.line_numbers[a:b]
            part = Sentence(s.tokens[a:b], s.tags[a:b], rows, numbers, document=s.document)
            pieces.append(part)
    return pieces, counts


def join_pieces(items: list[list], counts: list[int]) -> list[list]:
    """Per-piece lists (e.g. predicted tags) concatenated back into one list per sentence.

    >>> join_pieces([["O", "B"], ["I"], ["S"]], [2, 1])
    [['O', 'B', 'I'], ['S']]
    """
    out, k = [], 0
    for count in counts:
        out.append([x for piece in items[k : k + count] for x in piece])
        k += count
    return out
