"""Labelled texts from disk: the readers behind task ``classify``, and a stratified split.

Three layouts, chosen by ``[data] format``:

- ``"imdb"``: the aclImdb folders, one text file per review in a folder named after its label
  (``train/pos/0_9.txt``, ``train/neg/...``). ``data.train`` may point at ``aclImdb/train``
  or at ``aclImdb`` itself (then ``train/`` is read, and ``test/`` when ``data.test`` is empty).
  An ``unsup/`` folder (unlabelled reviews) is skipped.
- ``"csv"``: a table with a header row, ``text_column`` and ``label_column`` naming the
  columns: ``.csv`` (comma, with quoting), ``.tsv``/``.tab`` (tab, **no** quoting, as the
  TSV convention and /work/shared's IMDB copy have it), ``.jsonl`` (one JSON object a line).
- ``"folder"``: one file per class, ``<Label>.txt`` with one text per line (the names data).

Every reader returns :class:`LabelledTexts`, whose ``where`` list says which file and line
each example came from, so that later errors (a label unseen at training time) can name it.
A text that is empty or only white space (a CSV/TSV/JSONL row, an aclImdb review) is left
out and listed in ``skipped``; when every text is empty the reader refuses the file. Blank
lines of the ``folder`` format separate texts and are not texts. Bad input is a
:class:`~rnnkit.errors.DataError` naming the file, and the line when it is about one line:
an empty file, a missing column, a malformed row, a binary file, a byte that is not UTF-8
(with its line and column).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch

from rnnkit.data.batching import generator
from rnnkit.data.text import note, read_text_file, text_lines
from rnnkit.errors import ConfigError, DataError

FORMATS = ("imdb", "csv", "folder")
SKIPPED_IMDB_FOLDERS = ("unsup",)


@dataclass
class LabelledTexts:
    """``texts[i]`` has label ``labels[i]`` and was read at ``where[i]`` ("file, line n");
    ``skipped`` says where the empty texts left out were."""

    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, text: str, label: str, where: str) -> None:
        self.texts.append(text)
        self.labels.append(label)
        self.where.append(where)

    def subset(self, index: list[int]) -> LabelledTexts:
        """The examples at ``index``, in that order."""
        return LabelledTexts(
            [self.texts[i] for i in index],
            [self.labels[i] for i in index],
            [self.where[i] for i in index],
        )


def _require_file(path: Path) -> str:
    text = read_text_file(path)  # DataError naming file, line and column on a non-UTF-8 byte
    if not text.strip():
        raise DataError(f"{path} is empty")
    return text


def read_folder(path: str | Path) -> LabelledTexts:
    """One file per class: ``path/<Label>.txt``, one text per non-blank line (stripped).

    For the names data, ``Arabic.txt`` holding ``Khoury`` gives the example
    ``("Khoury", "Arabic")``. Labels are the file stems, files are read in sorted order.
    """
    path = Path(path)
    if not path.is_dir():
        raise DataError(f"{path} is not a folder of <label>.txt files (data.format = 'folder')")
    files = sorted(path.glob("*.txt"))
    if not files:
        raise DataError(
            f"{path} holds no .txt files; format 'folder' reads one <label>.txt a class"
        )
    out = LabelledTexts()
    for file in files:
        for number, line in enumerate(text_lines(_require_file(file)), 1):
            if line.strip():
                out.add(line.strip(), file.stem, f"{file}, line {number}")
    return out


def _imdb_split_folder(path: Path) -> Path:
    """``path`` itself when it holds label folders, else ``path/train`` (an aclImdb root)."""
    if (path / "train").is_dir() and not (path / "pos").is_dir():
        return path / "train"
    return path


def read_imdb(path: str | Path) -> LabelledTexts:
    """The aclImdb layout: ``path/<label>/*.txt``, one review a file (``unsup/`` skipped)."""
    path = Path(path)
    if not path.is_dir():
        raise DataError(
            f"{path} is not a folder (data.format = 'imdb' reads aclImdb/train/pos/*.txt)"
        )
    path = _imdb_split_folder(path)
    labels = [
        d for d in sorted(path.iterdir()) if d.is_dir() and d.name not in SKIPPED_IMDB_FOLDERS
    ]
    if not labels:
        raise DataError(f"{path} holds no label folders (expected e.g. {path}/pos and {path}/neg)")
    out = LabelledTexts()
    for folder in labels:
        files = sorted(folder.glob("*.txt"))
        if not files:
            raise DataError(f"{folder} holds no .txt files")
        for file in files:
            text = " ".join(read_text_file(file).split())
            if text:
                out.add(text, folder.name, f"{file}, line 1")
            else:
                out.skipped.append(f"{file}, line 1")
    if not len(out):
        raise DataError(f"{path}: all {len(out.skipped)} reviews are empty")
    return out


def imdb_test_folder(path: str | Path) -> Path | None:
    """The ``test/`` folder next to ``train/`` when ``path`` is an aclImdb root, else None."""
    path = Path(path)
    if (path / "train").is_dir() and (path / "test").is_dir() and not (path / "pos").is_dir():
        return path / "test"
    return None


def _columns(header: list[str], path: Path, text_column: str, label_column: str) -> tuple:
    indices = []
    for key, name in (("data.text_column", text_column), ("data.label_column", label_column)):
        if name not in header:
            have = ", ".join(repr(h) for h in header)
            raise DataError(f"{path} has no column {name!r} ({key}); its header has {have}")
        indices.append(header.index(name))
    return tuple(indices)


def _read_delimited(path: Path, text: str, text_column: str, label_column: str) -> LabelledTexts:
    tab = path.suffix.lower() in (".tsv", ".tab")
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter="\t" if tab else ",",
        quoting=csv.QUOTE_NONE if tab else csv.QUOTE_MINIMAL,
    )
    csv.field_size_limit(sys.maxsize)
    try:
        return _delimited_rows(reader, path, text_column, label_column)
    except csv.Error as err:  # e.g. a quoted field that never ends
        raise DataError(f"{path}, line {reader.line_num}: not valid CSV ({err})") from None


def _delimited_rows(reader, path: Path, text_column: str, label_column: str) -> LabelledTexts:
    header = next(reader, [])
    i_text, i_label = _columns([h.strip() for h in header], path, text_column, label_column)
    out = LabelledTexts()
    start = reader.line_num
    for row in reader:
        line = start + 1  # the first physical line of this record
        start = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != len(header):
            raise DataError(
                f"{path}, line {line}: {len(row)} fields where the header has {len(header)}"
            )
        if not row[i_text].strip():
            out.skipped.append(f"{path}, line {line}")
            continue
        label = row[i_label].strip()
        if not label:
            raise DataError(f"{path}, line {line}: empty label in column {label_column!r}")
        out.add(row[i_text], label, f"{path}, line {line}")
    return out


def _json_value(record: dict, key: str, where: str) -> str:
    """A text or label of a JSONL record as a string: strings as they are, numbers and
    booleans through ``str`` (``3 -> "3"``), null as ""; lists and objects are refused."""
    value = record[key]
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict)):
        kind = "a list" if isinstance(value, list) else "an object"
        raise DataError(f"{where}: key {key!r} holds {kind}, expected a string or a number")
    return "" if value is None else str(value)


def _read_jsonl(path: Path, text: str, text_column: str, label_column: str) -> LabelledTexts:
    out = LabelledTexts()
    for number, line in enumerate(text_lines(text), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}, line {number}: not JSON ({err.msg})") from None
        except RecursionError:
            raise DataError(f"{path}, line {number}: JSON nested too deeply") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}, line {number}: expected a JSON object, got {record!r:.40}")
        for key, name in (("data.text_column", text_column), ("data.label_column", label_column)):
            if name not in record:
                have = ", ".join(repr(k) for k in record)
                raise DataError(f"{path}, line {number}: no key {name!r} ({key}); it has {have}")
        where = f"{path}, line {number}"
        text_value = _json_value(record, text_column, where)
        if not text_value.strip():
            out.skipped.append(where)
            continue
        label = _json_value(record, label_column, where).strip()
        if not label:
            raise DataError(f"{where}: empty label in key {label_column!r}")
        out.add(text_value, label, where)
    return out


def read_table(path: str | Path, text_column: str, label_column: str) -> LabelledTexts:
    """A CSV, TSV or JSONL file (by extension) with a text and a label column."""
    path = Path(path)
    text = _require_file(path)
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        out = _read_jsonl(path, text, text_column, label_column)
    else:
        out = _read_delimited(path, text, text_column, label_column)
    if not len(out) and out.skipped:
        raise DataError(
            f"{path}: all {len(out.skipped)} texts are empty (data.text_column = {text_column!r})"
        )
    if not len(out):
        raise DataError(f"{path} has a header but no examples")
    return out


def read_examples(
    fmt: str, path: str | Path, text_column: str = "text", label_column: str = "label"
) -> LabelledTexts:
    """Dispatch on ``fmt`` in ``imdb | csv | folder``."""
    if fmt == "imdb":
        return read_imdb(path)
    if fmt == "csv":
        return read_table(path, text_column, label_column)
    if fmt == "folder":
        return read_folder(path)
    raise DataError(f"data.format must be one of {', '.join(FORMATS)}, received {fmt!r}")


def detect_format(path: str | Path) -> str:
    """``data.format = "auto"``: ``folder`` for a folder of ``.txt`` files, ``imdb`` for a
    folder of label folders (or an aclImdb root), else ``csv`` (a .csv, .tsv or .jsonl file)."""
    path = Path(path)
    if not path.exists():  # refused here, before a choice is announced for it
        raise DataError(f"data file not found: {path}")
    if not path.is_dir():
        return "csv"
    return "folder" if any(path.glob("*.txt")) else "imdb"


def detect_level(texts: list[str]) -> str:
    """``data.level = "auto"``: ``word`` when the median text has two or more words (reviews,
    sentences, phrases), else ``char`` (names, single words, codes)."""
    counts = sorted(len(text.split()) for text in texts)
    return "word" if counts and counts[len(counts) // 2] >= 2 else "char"


def stratified_split(labels: list[str], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Hold out ``round(fraction * n_c)`` examples of every class c (at least one when the class
    has two or more), chosen by a generator seeded with ``seed``.

    Returns ``(kept, held_out)``: two sorted lists of indices that together cover
    ``range(len(labels))`` exactly once.
    """
    if not 0.0 <= fraction < 1.0:
        raise ConfigError(f"fraction must be in [0, 1), received {fraction}")
    by_class: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    g = generator(seed, 7919)
    kept, held = [], []
    for label in sorted(by_class):
        members = by_class[label]
        order = torch.randperm(len(members), generator=g).tolist()
        n_held = round(fraction * len(members))
        if fraction > 0 and n_held == 0 and len(members) >= 2:
            n_held = 1
        held += [members[j] for j in order[:n_held]]
        kept += [members[j] for j in order[n_held:]]
    return sorted(kept), sorted(held)


def report_skipped(examples: LabelledTexts, path: str | Path, task: str = "classify") -> None:
    """Say (on standard error) how many empty texts of ``path`` were left out, and where."""
    n = len(examples.skipped)
    if n:
        places = [w.removeprefix(f"{path}, ") for w in examples.skipped[:3]]
        shown = "; ".join(places) + ("; ..." if n > 3 else "")
        note(f"{task}: left out {n} empty text{'s' if n > 1 else ''} of {path} ({shown})")


def require_two_labels(examples: LabelledTexts, path: str | Path) -> None:
    """Refuse training examples that all have the same label: a classifier would learn
    nothing and score a perfect accuracy on a held-out part of the same file."""
    if len(set(examples.labels)) == 1:
        raise DataError(
            f"{path}: every example has the label {examples.labels[0]!r} ({len(examples)} "
            f"examples); classification needs at least two labels"
        )
