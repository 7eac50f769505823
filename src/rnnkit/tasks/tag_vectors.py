"""Pretrained word vectors for task ``tag`` (``model.vectors``).

``model.vectors`` names either a vectors file (GloVe, word2vec or fastText text, read by
:func:`rnnkit.data.vectors.load_vectors`) or the run folder of a word-level language model
(task ``lm``, ``data.level = "word"``): its input embedding, row by row, is the vector of each
word of its vocabulary. That is how rnnkit makes word vectors from text a user is allowed to
train on, with no download.

Each vector's word is normalised as the tagger's data are (``data.lower``,
``data.zero_digits``); when two words fall together the first, the more frequent in an LM's
vocabulary, keeps its vector. With ``model.vectors_vocab = true`` every word that has a vector
also joins the tagger's vocabulary, so a word never seen in training keeps its pretrained vector
instead of becoming ``<unk>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from torch import Tensor

from rnnkit.config import load_config
from rnnkit.data.tagging import normalise
from rnnkit.data.text import Vocab
from rnnkit.data.vectors import load_vectors
from rnnkit.errors import ConfigError


def word_lm_vectors(folder: Path, key: str = "model.vectors") -> tuple[dict[str, Tensor], int]:
    """``word -> vector`` from the input embedding of the word-level LM run in ``folder``."""
    from rnnkit.tasks.runs import load_run

    config = load_config(folder / "config.toml")
    if config.task != "lm" or config.data.level != "word":
        raise ConfigError(
            f"{key} must name a vectors file or a word-level language-model run (task lm, "
            f"data.level word), received {str(folder)!r}: a {config.task} run"
            + (f" at level {config.data.level!r}" if config.task == "lm" else "")
        )
    run = load_run(folder)
    weight = run.model.embed.weight.detach().float()  # (vocabulary, embedding_dim)
    vocab = run.task.vocab
    specials = set(vocab.specials)
    vectors = {w: weight[i] for i, w in enumerate(vocab.itos) if w not in specials}
    return vectors, weight.size(1)


def read_vectors(
    source: str, lower: bool, zero_digits: bool, wanted: set[str] | None = None
) -> tuple[dict[str, Tensor], int]:
    """The vectors of ``model.vectors`` keyed by normalised words (all of them when ``wanted``
    is None, else those whose normalised form is in ``wanted``), and their size."""
    path = Path(source).expanduser()
    if (path / "config.toml").is_file():
        raw, dim = word_lm_vectors(path)
    elif not path.exists():
        raise ConfigError(
            f"model.vectors must name a vectors file or a language-model run folder, received "
            f"{source!r}: no such file or folder"
        )
    elif path.is_dir():
        raise ConfigError(
            f"model.vectors must name a vectors file or a language-model run folder, received "
            f"{source!r}: a folder without config.toml"
        )
    else:
        raw, dim = load_vectors(path, None if (lower or zero_digits) else wanted)
    # a word or its lower-case form: embedding_matrix looks both up
    keep = None if wanted is None else wanted | {w.lower() for w in wanted}
    vectors: dict[str, Tensor] = {}
    for word, vector in raw.items():
        form = normalise(word, lower, zero_digits)
        if form not in vectors and (keep is None or form in keep):
            vectors[form] = vector
    return vectors, dim


def extended(words: Vocab, more_words: Iterable[str]) -> Vocab:
    """``words`` followed by every word of ``more_words`` (e.g. the keys of the vectors) it
    lacks, in their order (ids of ``words`` unchanged)."""
    specials = words.specials
    more = [w for w in more_words if w not in words]
    vocab = Vocab([*words.itos[len(specials) :], *more], specials)
    vocab.counts = getattr(words, "counts", {})
    return vocab
