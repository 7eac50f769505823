"""Task ``lm``'s token streams of texts: word level, and the ``lines`` format.

A text file (``format = "text"``) is a list of lines; a table (``format = "lines"``) is the
rows of its ``text_column`` (IMDB's ``train.tsv``: one review a row), any other file under
``lines`` its lines. Blank lines and empty texts are left out. Each text becomes its tokens
followed by ``<eos>``, and the texts follow each other as one stream for truncated BPTT
(:class:`~rnnkit.data.stream.StreamBatches`), the state carried across text boundaries as
AWD-LSTM and ULMFiT train on WikiText and IMDB.

Words are task ``classify``'s (:func:`~rnnkit.data.text.word_tokenize`: words, numbers and
punctuation marks, ``<br />`` a space, ``lower`` folding case), so that a classifier can take
over the language model's vocabulary word for word (``model.encoder``).

Validation, when ``data.validation`` is empty: the last ``validation_fraction`` of the texts
of a ``text`` file (its tail, like characters), a seeded share of the rows of ``lines`` (a
table may be sorted by label, as IMDB's is: the tail would be all positive reviews).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from rnnkit.data.batching import generator
from rnnkit.data.text import PAD, UNK, Vocab, read_text_file, text_lines
from rnnkit.data.textdata import read_table
from rnnkit.errors import DataError
from rnnkit.tasks.lm_generation import EOS

TABLES = (".csv", ".tsv", ".tab", ".jsonl", ".json", ".ndjson")
SPECIALS = (PAD, UNK, EOS)  # <pad> = 0 and <unk> = 1 as in task classify's vocabulary


def file_texts(path: Path, fmt: str, text_column: str) -> list[str]:
    """The texts of a file: the non-blank lines, or the ``text_column`` of a table under
    ``format = "lines"`` (empty cells left out)."""
    if fmt == "lines" and path.suffix.lower() in TABLES:
        return read_table(path, text_column, text_column).texts  # the text is its own label
    texts = [line for line in text_lines(read_text_file(path)) if line.strip()]
    if not texts:
        raise DataError(f"{path} has no text: every line is blank")
    return texts


def memory_texts(text: str) -> list[str]:
    """The non-blank lines of a text handed over in memory."""
    return [line for line in text_lines(text) if line.strip()]


def split_texts(
    texts: list[str], fraction: float, fmt: str, seed: int
) -> tuple[list[str], list[str]]:
    """(train, validation): the tail of a ``text`` file, a seeded share of ``lines`` rows."""
    n_val = max(1, int(round(len(texts) * fraction)))
    if n_val >= len(texts):
        raise DataError(
            f"{len(texts)} text(s) are too few to hold {fraction:.0%} out for validation: give "
            f"more text or data.validation"
        )
    if fmt == "lines":
        order = torch.randperm(len(texts), generator=generator(seed, -1)).tolist()
        texts = [texts[i] for i in order]
    return texts[:-n_val], texts[-n_val:]


def build_vocab(tokens: list[list[str]], min_freq: int, max_vocab: int, where: str) -> Vocab:
    """``<pad>``, ``<unk>``, ``<eos>`` and the words seen ``min_freq`` times, at most
    ``max_vocab`` of them; a vocabulary of specials only is refused."""
    vocab = Vocab.build(tokens, min_freq=min_freq, max_size=max_vocab, specials=SPECIALS)
    if len(vocab) == len(SPECIALS):
        raise DataError(
            f"{where}: no word is seen {min_freq} times (data.min_freq); the vocabulary would "
            f"hold only {', '.join(SPECIALS)}"
        )
    return vocab


def stream_ids(tokens: list[list[str]], vocab: Vocab) -> torch.Tensor:
    """``(T,)`` ids of every text's tokens followed by ``<eos>``, text after text."""
    eos = vocab.stoi[EOS]
    ids: list[int] = []
    for text in tokens:
        ids.extend(vocab.encode(text))
        ids.append(eos)
    return torch.tensor(ids, dtype=torch.long)


def tokenize_all(texts: list[str], tokenize: Callable[[str], list[str]]) -> list[list[str]]:
    return [tokenize(text) for text in texts]


def detokenize(tokens: list[str]) -> str:
    """Words joined by spaces, ``<eos>`` a line break."""
    return " ".join(tokens).replace(f" {EOS} ", "\n").replace(EOS, "\n")


__all__ = [
    "SPECIALS",
    "build_vocab",
    "detokenize",
    "file_texts",
    "memory_texts",
    "split_texts",
    "stream_ids",
    "tokenize_all",
]
