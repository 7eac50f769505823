"""Task ``lm``: a character- or word-level language model (``data.level``), on one long text,
on a table of texts, or on categories of lines. Sections and defaults: :mod:`.lm_config`.

- ``format = "text"``: ``train`` is a text file read as one stream of characters and trained
  with truncated back-propagation through time over ``train.batch_size`` parallel rows of
  ``bptt`` characters (:mod:`rnnkit.data.stream`), the hidden state carried and detached
  from batch to batch and reset at each epoch. Validation is the ``validation`` file, or
  the last ``validation_fraction`` of the text (default 2%), scored as a stream of
  ``eval_rows`` rows from a zero state.
- ``format = "folder"``: one file per category, one sequence per line (the shipped names:
  ``train = "rnnkit:names"``, the default). The model is conditioned on the category and
  learns ``<eos> n a m e <eos>``, so it can write a name for a given language (one-to-many).
  A seeded ``validation_fraction`` of the unique (name, category) pairs is held out.
  Lines longer than ``max_length`` characters are cut (with a count on standard error):
  1000 is fifty times the longest shipped name, and keeps a 1 MB line from becoming a
  million-step sequence that pads every batch it falls in.
- ``format = "lines"``, or ``level = "word"``: a list of texts (the rows of a table's
  ``text_column``, such as IMDB's ``train.tsv``, or the lines of a file), each followed by
  ``<eos>``, as one stream trained like ``text`` (:mod:`.lm_word`). Words are task
  ``classify``'s, in a vocabulary of ``max_vocab`` words seen ``min_freq`` times.

Metrics: ``loss`` (= ``loss_nats``, mean cross-entropy per predicted token, in nats),
``perplexity`` (``e^loss``) and, for characters, ``bpc`` (bits per character, ``loss / ln
2``). The training loss also holds AR/TAR (``model.ar_alpha``, ``tar_beta``) when they are on.
Sampling: :meth:`LanguageModelTask.generate` (``rnnkit generate RUN``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import torch

from rnnkit import datasets
from rnnkit.data.batching import IndexBatches, generator
from rnnkit.data.categories import boundary_batch, read_category_folder
from rnnkit.data.stream import StreamBatches
from rnnkit.data.text import PAD, UNK, Vocab, char_tokenize, note, read_text_file, word_tokenize
from rnnkit.errors import ConfigError, DataError
from rnnkit.io import read_json
from rnnkit.models.charlm import CharLM
from rnnkit.tasks import lm_word, memory
from rnnkit.tasks.base import Task
from rnnkit.tasks.lm_config import (
    FORMATS,
    LMData,
    LMModel,
    LMTrain,
    check_config,
    nats_metrics,
    resolve_level_defaults,
)
from rnnkit.tasks.lm_generation import EOS, GenerationMixin

__all__ = ["LanguageModelTask", "LMData", "LMModel", "LMTrain", "FORMATS", "nats_metrics"]


class LanguageModelTask(GenerationMixin, Task):
    name = "lm"
    data_config = LMData
    model_config = LMModel
    train_config = LMTrain
    stateful = True  # text format; a folder model sets it False per instance
    fixed_shapes = True  # (batch, bptt) windows; names of varying length: False per instance
    memory_splits = ("train", "validation")

    def __init__(self, config, memory=None) -> None:
        super().__init__(config, memory)
        check_config(config)
        resolve_level_defaults(config)
        self.stateful = config.data.format != "folder"
        self.fixed_shapes = self.stateful
        self.words = config.data.level == "word"
        self.vocab: Vocab | None = None
        self.categories: list[str] = []

    # ---- data ---------------------------------------------------------------------------
    def _tokens(self, text: str) -> list[str]:
        if self.words:
            tokens = word_tokenize(text, self.config.data.lower)
            return tokens[::-1] if self.config.data.reverse else tokens
        return char_tokenize(text, self.config.data.lower, self.config.data.reverse)

    def _join(self, ids: list[int]) -> str:
        tokens = self.vocab.decode(ids)
        if self.words:
            return lm_word.detokenize(tokens)
        return "".join("\n" if t == EOS else t for t in tokens)

    def _encode_text(self, text: str) -> torch.Tensor:
        """Ids of ``text``'s tokens (no ``<eos>``: the characters hold the line breaks)."""
        return torch.tensor(self.vocab.encode(self._tokens(text)), dtype=torch.long)

    def setup(self) -> None:
        d = self.config.data
        if d.validation_fraction == 0 and not d.validation:  # auto, written to config.toml
            d.validation_fraction = 0.02 if d.format == "text" else 0.1
        if d.format == "folder":
            self._setup_folder()
        elif d.format == "text" and not self.words:
            self._setup_text()
        else:
            self._setup_texts()

    def _read_text(self, path: str | Path, what: str) -> str:
        split = what.removeprefix("data.")
        obj = self.from_memory(split) if split in ("train", "validation") else None
        text = read_text_file(path) if obj is None else memory.lines_text(obj, split)
        if not text:
            raise DataError(f"{what} text {path} is empty: a language model needs characters")
        return text

    def _setup_text(self) -> None:
        cfg = self.config.data
        if not cfg.train:
            raise ConfigError('data.train must name a text file for format "text"')
        text = self._read_text(Path(cfg.train).expanduser(), "data.train")
        if cfg.validation:
            train, val = text, self._read_text(Path(cfg.validation).expanduser(), "data.validation")
        else:
            if not 0 < cfg.validation_fraction < 1:
                raise ConfigError(
                    "data.validation_fraction must be in (0, 1) when data.validation is empty, "
                    f"received {cfg.validation_fraction}"
                )
            cut = int(len(text) * (1 - cfg.validation_fraction))  # the end of the text
            train, val = text[:cut], text[cut:]
        if len(val) < 2:
            raise DataError(f"the validation text has {len(val)} character(s); it needs 2")
        if self.vocab is None:
            self.vocab = Vocab.build([self._tokens(train)], specials=(UNK,))
        self.train_ids, self.val_ids = self._encode_text(train), self._encode_text(val)
        if cfg.test:  # scored at the end of training, as a stream like validation
            test = self._read_text(Path(cfg.test).expanduser(), "data.test")
            self.test_ids = self._encode_text(test)
        self.stream = StreamBatches(self.train_ids, self.config.train.batch_size, cfg.bptt)

    def _texts(self, split: str) -> list[str]:
        """The texts of ``data.<split>`` (:mod:`~rnnkit.tasks.lm_word`), or of the lines
        handed over in memory."""
        d = self.config.data
        obj = self.from_memory(split) if split in ("train", "validation") else None
        if obj is not None:
            texts = lm_word.memory_texts(memory.lines_text(obj, split))
        else:
            path = Path(getattr(d, split)).expanduser()
            texts = lm_word.file_texts(path, d.format, d.text_column)
        if not texts:
            raise DataError(f"data.{split} holds no text: a language model needs some")
        return texts

    def _stream(self, texts: list[str]) -> torch.Tensor:
        return lm_word.stream_ids(lm_word.tokenize_all(texts, self._tokens), self.vocab)

    def _setup_texts(self) -> None:
        """Word level, or the ``lines`` format: texts, each followed by ``<eos>``."""
        cfg = self.config.data
        if not cfg.train:
            raise ConfigError(f'data.train must name a file for format "{cfg.format}"')
        texts = self._texts("train")
        if cfg.validation:
            train, val = texts, self._texts("validation")
        else:
            if not 0 < cfg.validation_fraction < 1:
                raise ConfigError(
                    "data.validation_fraction must be in (0, 1) when data.validation is empty, "
                    f"received {cfg.validation_fraction}"
                )
            seed = self.config.train.seed
            train, val = lm_word.split_texts(texts, cfg.validation_fraction, cfg.format, seed)
        tokens = lm_word.tokenize_all(train, self._tokens)
        if self.vocab is None:
            if self.words:
                where = str(cfg.train)
                self.vocab = lm_word.build_vocab(tokens, cfg.min_freq, cfg.max_vocab, where)
            else:
                self.vocab = Vocab.build(tokens, specials=lm_word.SPECIALS)
        self.train_ids = lm_word.stream_ids(tokens, self.vocab)
        self.val_ids = self._stream(val)
        if cfg.test:
            self.test_ids = self._stream(self._texts("test"))
        self.stream = StreamBatches(self.train_ids, self.config.train.batch_size, cfg.bptt)

    def _setup_folder(self) -> None:
        cfg = self.config.data
        pairs, categories = self._categories("train")
        if cfg.validation:
            train = pairs
            val, _ = self._categories("validation")
        else:
            order = torch.randperm(len(pairs), generator=generator(self.config.train.seed, -1))
            n_val = max(1, int(len(pairs) * cfg.validation_fraction))
            if n_val >= len(pairs):
                raise DataError(
                    f"{datasets.resolve(cfg.train, 'names')} has {len(pairs)} distinct "
                    f"line(s): too few to hold some out for validation"
                )
            val = [pairs[i] for i in order[:n_val].tolist()]
            train = [pairs[i] for i in order[n_val:].tolist()]
        if self.vocab is None:
            self.categories = categories
            self.vocab = Vocab.build(
                [self._tokens(text) for text, _ in train], specials=(PAD, UNK, EOS)
            )
        unknown = sorted({c for _, c in val} - set(self.categories))
        if unknown:
            raise DataError(f"validation categories not in training: {', '.join(unknown)}")
        self.splits = {"train": self._encode_pairs(train), "validation": self._encode_pairs(val)}
        if cfg.test:
            test, _ = self._read_folder(datasets.resolve(cfg.test, "names"))
            unknown = sorted({c for _, c in test} - set(self.categories))
            if unknown:
                raise DataError(f"test categories not in training: {', '.join(unknown)}")
            self.splits["test"] = self._encode_pairs(test)
        self.batches = IndexBatches(
            len(train),
            self.config.train.batch_size,
            seed=self.config.train.seed,
            lengths=self.splits["train"]["lengths"],
        )

    def _categories(self, split: str) -> tuple[list[tuple[str, str]], list[str]]:
        """(text, category) pairs and categories of a folder, or of the objects handed over,
        lines cut to ``max_length``."""
        obj = self.from_memory(split)
        if obj is None:
            path = datasets.resolve(getattr(self.config.data, split), "names")
            pairs, categories = read_category_folder(path)
        else:
            path = f"the {split} objects"
            pairs, categories = memory.category_pairs(obj, split)
        limit = self.config.data.max_length
        long = sum(len(text) > limit for text, _ in pairs) if limit else 0
        if long:
            note(
                f"lm: cut {long} of {len(pairs)} lines of {path} to data.max_length = "
                f"{limit} characters"
            )
            pairs = list(dict.fromkeys((text[:limit], c) for text, c in pairs))
        return pairs, categories

    def _encode_pairs(self, pairs: list[tuple[str, str]]) -> dict[str, torch.Tensor]:
        """``<eos> text <eos>`` per pair as padded inputs and targets (M, L), lengths (M,),
        category ids (M,) (:func:`~rnnkit.data.categories.boundary_batch`)."""
        seqs = [self.vocab.encode(self._tokens(text)) for text, _ in pairs]
        split = boundary_batch(seqs, self.vocab.stoi[EOS], self.vocab.pad_index)
        index = {c: i for i, c in enumerate(self.categories)}
        split["condition"] = torch.tensor([index[c] for _, c in pairs])
        return split

    def save_artifacts(self, run_dir: Path) -> None:
        from rnnkit.io import atomic_write_text

        self.vocab.save(run_dir / "vocab.json")
        d = self.config.data
        meta = {"format": d.format, "level": d.level, "categories": self.categories}
        atomic_write_text(run_dir / "lm.json", json.dumps(meta, ensure_ascii=False) + "\n")

    def load_artifacts(self, run_dir: Path) -> None:
        self.vocab = Vocab.load(run_dir / "vocab.json")
        self.categories = read_json(
            run_dir / "lm.json", "language model settings", {"categories": list}
        )["categories"]

    # ---- training -----------------------------------------------------------------------
    def steps_per_epoch(self, world: int = 1) -> int:
        return len(self.stream) if self.stateful else len(self.batches)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1):
        if self.stateful:
            for x, y in self.stream.batches(rank, world):
                yield x.to(self.device), y.to(self.device)
            return
        for idx in self.batches.epoch(epoch, rank, world):
            yield self._batch(self.splits["train"], idx)

    def _batch(self, split: dict, idx: torch.Tensor):
        width = int(split["lengths"][idx].max())
        return (
            split["inputs"][idx, :width].to(self.device),
            split["targets"][idx, :width].to(self.device),
            split["condition"][idx].to(self.device),
        )

    def batch_examples(self, batch) -> int:
        return int(batch[0].numel())  # characters (padding included for folder batches)

    def build_model(self) -> CharLM:
        return CharLM(
            self.config.model,
            vocab_size=len(self.vocab),
            num_conditions=len(self.categories),
            ignore_index=self.vocab.pad_index,
        )

    def training_step(self, model, batch, state):
        if self.stateful:
            x, y = batch
            _, loss, state = model(x, y, state)
            return loss, state
        x, y, cond = batch
        _, loss, _ = model(x, y, condition=cond)
        return loss, None

    # ---- evaluation ---------------------------------------------------------------------
    @torch.no_grad()
    def stream_loss(self, model, ids: torch.Tensor, rows: int = 0) -> tuple[float, int]:
        """Summed nats and the number of predicted characters over a text scored as a stream
        of ``rows`` rows (default ``eval_rows``, at most one a ``bptt`` window, so that a
        short text is not cut into rows too short to carry a state) from a zero state (the
        state carried across windows)."""
        if len(ids) < 2:
            raise DataError(f"a text of {len(ids)} character(s) has nothing to predict")
        bptt = self.config.data.bptt  # no more rows than windows: each row at least one
        rows = min(rows or self.config.data.eval_rows, max(1, (len(ids) - 1) // bptt))
        stream = StreamBatches(ids, rows, self.config.data.bptt)
        total, state = 0.0, None
        for x, y in stream.batches():
            _, loss, state = model(x.to(self.device), y.to(self.device), state)
            total += float(loss) * y.numel()
        return total, stream.tokens

    @torch.no_grad()
    def pairs_loss(self, model, split: dict) -> tuple[float, int]:
        """Summed nats and the number of predicted characters (``<eos>`` included)."""
        total, count = 0.0, 0
        for idx in torch.arange(len(split["lengths"])).split(256):
            x, y, cond = self._batch(split, idx)
            _, loss, _ = model(x, y, condition=cond)
            n = int((y != self.vocab.pad_index).sum())
            total, count = total + float(loss) * n, count + n
        return total, count

    def has_split(self, split: str) -> bool:
        return split == "validation" or (split == "test" and bool(self.config.data.test))

    def evaluate(self, model, split: str = "validation", state=None) -> dict:
        """Validation (and test) start from a zero state (another text), whatever ``state``."""
        if self.stateful:
            ids = self.val_ids if split == "validation" else self.test_ids
            return nats_metrics(*self.stream_loss(model, ids), per_char=not self.words)
        return nats_metrics(*self.pairs_loss(model, self.splits[split]))

    def evaluate_path(self, model, path: str) -> dict:
        """Metrics on a text file (text format) or a category folder (folder format); words
        and ``lines``: the file's texts (each followed by ``<eos>``) as one stream."""
        d = self.config.data
        if self.words or d.format == "lines":
            texts = lm_word.file_texts(Path(path), d.format, d.text_column)
            tokens = lm_word.tokenize_all(texts, self._tokens)
            ids = lm_word.stream_ids(tokens, self.vocab)
            metrics = nats_metrics(*self.stream_loss(model, ids), per_char=not self.words)
            unknown = sum(t not in self.vocab for text in tokens for t in text)
            metrics["unknown_words" if self.words else "unknown_chars"] = unknown
            return metrics
        if self.stateful:
            text = self._read_text(Path(path), "--data")
            tokens = self._tokens(text)
            metrics = nats_metrics(*self.stream_loss(model, self._encode_text(text)))
            metrics["unknown_chars"] = sum(t not in self.vocab for t in tokens)
            return metrics
        pairs, _ = self._read_folder(path)
        self.check_conditions(sorted({c for _, c in pairs}))
        return nats_metrics(*self.pairs_loss(model, self._encode_pairs(pairs)))

    def predictions(self, model, state=None) -> pd.DataFrame:
        return self.samples(model)

    def text_nats(self, model, text: str, condition: str | None = None) -> tuple[float, int]:
        """Summed nats and predicted characters of one text read from a zero state: a text
        model predicts every character after the first, a conditional model every character
        and the closing ``<eos>`` of ``<eos> text <eos>`` given ``condition``."""
        unknown = [] if self.words else self.vocab.unknown(self._tokens(text))
        if unknown:  # a word outside the vocabulary is <unk>, as in training
            shown = ", ".join(repr(t) for t in unknown)
            raise DataError(f"text {text[:40]!r} has characters outside the vocabulary: {shown}")
        if not self.categories:
            if condition is not None:
                self.check_conditions([condition])
            return self.stream_loss(model, self._encode_text(text), rows=1)
        if condition is None:
            raise ConfigError(
                "this model is conditional: pass a condition (--condition), one of "
                + ", ".join(self.categories)
            )
        self.check_conditions([condition])
        return self.pairs_loss(model, self._encode_pairs([(text, condition)]))
