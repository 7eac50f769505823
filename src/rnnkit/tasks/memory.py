"""Data handed over as Python objects instead of files (:func:`rnnkit.fit`).

A task built with ``memory={"train": ..., "validation": ..., "test": ...}`` reads those splits
from the objects, and its saved config says ``"<in-memory data>"`` where a path would be.
The converters below turn the objects into what the file readers return, so that the same
examples in the same order give the same run to the last digit whichever way they came:

==========  =====================================================================
task        one split
==========  =====================================================================
classify    (text, label) pairs, or a DataFrame with ``data.text_column`` and
            ``data.label_column``
tag         sentences, each a list of (token, tag) pairs
lm          ``format = "text"``: a list of lines (joined with newlines);
            ``"folder"``: (text, category) pairs or a DataFrame (text, category)
seq2seq     (source, target) pairs, or a DataFrame (source, target)
regress     a pandas Series, a one-column DataFrame (or ``data.column``), or numbers
forecast    a DataFrame (long, wide or M4), a pandas Series or a SeriesSet
==========  =====================================================================

Errors name the split and the position of the bad item, e.g. ``train[3]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnkit.config import IN_MEMORY
from rnnkit.data.conll import Sentence
from rnnkit.data.textdata import LabelledTexts
from rnnkit.errors import DataError


def _items(obj, split: str, columns: tuple[str, str]) -> list[tuple]:
    """Rows of a DataFrame's two ``columns``, or the items of a list of pairs."""
    if isinstance(obj, pd.DataFrame):
        missing = [c for c in columns if c not in obj.columns]
        if missing:
            have = ", ".join(repr(str(c)) for c in obj.columns)
            raise DataError(f"{split}: the DataFrame has no column {missing[0]!r}; it has {have}")
        return list(zip(obj[columns[0]].tolist(), obj[columns[1]].tolist()))
    if isinstance(obj, (str, bytes)) or not hasattr(obj, "__iter__"):
        raise DataError(
            f"{split} must be a list of ({columns[0]}, {columns[1]}) pairs or a DataFrame, "
            f"received {type(obj).__name__}"
        )
    return list(obj)


def string_pairs(obj, split: str, columns: tuple[str, str]) -> list[tuple[str, str]]:
    """``(a, b)`` string pairs, both non-empty after stripping the second."""
    out = []
    for i, item in enumerate(_items(obj, split, columns)):
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise DataError(
                f"{split}[{i}] must be a ({columns[0]}, {columns[1]}) pair, received {item!r:.60}"
            )
        first, second = item
        if not isinstance(first, str) or not isinstance(second, str) or not second.strip():
            raise DataError(
                f"{split}[{i}] must hold two strings, the {columns[1]} not empty, received "
                f"{item!r:.60}"
            )
        out.append((first, second.strip()))
    if not out:
        raise DataError(f"{split} is empty")
    return out


def labelled_texts(obj, split: str, text_column: str, label_column: str) -> LabelledTexts:
    """Task classify: the examples, each ``where`` being ``split[i]``."""
    out = LabelledTexts()
    for i, (text, label) in enumerate(string_pairs(obj, split, (text_column, label_column))):
        out.add(text, label, f"{split}[{i}]")
    return out


def tagged_sentences(obj, split: str) -> list[Sentence]:
    """Task tag: one :class:`~rnnkit.data.conll.Sentence` per list of (token, tag) pairs."""
    if isinstance(obj, (str, bytes, pd.DataFrame)) or not hasattr(obj, "__iter__"):
        raise DataError(
            f"{split} must be a list of sentences, each a list of (token, tag) pairs, "
            f"received {type(obj).__name__}"
        )
    out = []
    for i, sentence in enumerate(obj):
        pairs = list(sentence) if not isinstance(sentence, (str, bytes)) else [sentence]
        ok = bool(pairs) and all(
            isinstance(p, (tuple, list)) and len(p) == 2 and all(isinstance(s, str) for s in p)
            for p in pairs
        )
        if not ok:
            raise DataError(
                f"{split}[{i}] must be a non-empty list of (token, tag) string pairs, "
                f"received {sentence!r:.60}"
            )
        tokens, tags = [p[0] for p in pairs], [p[1] for p in pairs]
        rows, numbers = [[t, g] for t, g in pairs], list(range(1, len(pairs) + 1))
        out.append(Sentence(tokens, tags, rows, numbers))
    if not out:
        raise DataError(f"{split} is empty")
    return out


def lines_text(obj, split: str) -> str:
    """Task lm, format text: a list of lines as one text, each line ending in a newline."""
    if isinstance(obj, (str, bytes)) or not hasattr(obj, "__iter__"):
        raise DataError(
            f"{split} must be a list of lines (a str is a file path), received {type(obj).__name__}"
        )
    lines = list(obj)
    for i, line in enumerate(lines):
        if not isinstance(line, str):
            raise DataError(f"{split}[{i}] must be a str, received {line!r:.60}")
    return "".join(line + "\n" for line in lines)


def category_pairs(obj, split: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Task lm, format folder: the unique (text, category) pairs in order and the sorted
    categories, as :func:`~rnnkit.data.categories.read_category_folder` returns them."""
    pairs = string_pairs(obj, split, ("text", "category"))
    unique = dict.fromkeys((text.strip(), category) for text, category in pairs if text.strip())
    return list(unique), sorted({category for _, category in unique})


def numeric_values(obj, split: str, column: str) -> tuple[str, np.ndarray]:
    """Task regress: the column name and the values as float32, all finite."""
    if isinstance(obj, pd.DataFrame):
        name = column or str(obj.columns[-1])
        if name not in obj.columns:
            have = ", ".join(repr(str(c)) for c in obj.columns)
            raise DataError(f"{split}: the DataFrame has no column {name!r}; it has {have}")
        obj = obj[name]
    name = str(obj.name) if isinstance(obj, pd.Series) and obj.name is not None else "value"
    try:
        values = np.asarray(obj, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{split} must hold numbers, received {obj!r:.60}") from None
    if values.ndim != 1 or not np.isfinite(values).all():
        raise DataError(f"{split} must be one series of finite numbers (no missing values)")
    return name, values.astype(np.float32)


__all__ = [
    "IN_MEMORY",
    "category_pairs",
    "labelled_texts",
    "lines_text",
    "numeric_values",
    "string_pairs",
    "tagged_sentences",
]
