"""Task ``lm``: a character-level language model, on one long text or on categories of lines.

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

Metrics: ``loss`` (= ``loss_nats``, mean cross-entropy per predicted character, in nats),
``bpc`` (bits per character, ``loss / ln 2``) and ``perplexity`` (``e^loss``). Sampling:
:meth:`LanguageModelTask.generate` (``rnnkit generate RUN``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from rnnkit import datasets
from rnnkit.config import DataConfig, ModelConfig, TrainConfig
from rnnkit.data.batching import IndexBatches, generator
from rnnkit.data.categories import boundary_batch, read_category_folder
from rnnkit.data.stream import StreamBatches
from rnnkit.data.text import PAD, UNK, Vocab, char_tokenize, note, read_text_file
from rnnkit.errors import ConfigError, DataError
from rnnkit.io import read_json
from rnnkit.models.charlm import CharLM
from rnnkit.tasks import memory
from rnnkit.tasks.base import Task
from rnnkit.tasks.lm_generation import EOS, GenerationMixin

FORMATS = ("text", "folder")


@dataclass
class LMData(DataConfig):
    format: str = "text"  # text: one stream, TBPTT | folder: one file per category, one per line
    validation_fraction: float = 0.0  # 0 = auto: 2% of a text (its tail, which is often
    # another work that a larger share would hide from training; 2% of Tiny Shakespeare
    # still scores the loss to about 0.01), 10% of a folder's lines
    bptt: int = 128  # text: characters per truncated-BPTT window
    eval_rows: int = 32  # text: parallel rows when scoring a validation text
    lower: bool = False  # fold case before building the vocabulary
    max_length: int = 1000  # folder: longer lines are cut to this many characters (0 = keep)
    reverse: bool = False  # read every text last character first: a backward LM (flair)


@dataclass
class LMModel(ModelConfig):
    hidden_size: int = 512  # the tuned Tiny Shakespeare model: 2 x 512 reached 1.48 nats/char
    num_layers: int = 2
    dropout: float = 0.1  # on the embedding, between the layers and before the output
    input: str = "embedding"  # embedding | onehot
    embedding_dim: int = 64  # E, the character embedding (embedding input)
    tie_weights: bool = False  # share the input embedding with the output layer
    condition_dim: int = 16  # size of the category embedding (folder format)


@dataclass
class LMTrain(TrainConfig):
    """Language models' training defaults: those of the tuned Tiny Shakespeare run, with a
    budget in steps (an epoch of a small text is one or two steps) and in time."""

    batch_size: int = 64  # parallel streams of bptt characters (folder format: lines)
    lr: float = 3e-3  # Adam, warmed up and decayed by a cosine...
    schedule: str = "cosine"  # ...that ends at the last step, or where the time budget ends
    warmup_steps: int = 50  # linear warm-up: the first steps of a 2-layer LSTM are unstable
    min_lr: float = 1e-4  # the cosine's floor
    max_steps: int = 1500  # the step budget (epochs unset): 13 passes over Tiny Shakespeare,
    # where the time budget ends it first on a CPU (near step 1200) and the cosine with it
    early_stopping: int = 3  # stop after 3 evaluations without a lower validation loss
    time_budget: float = 1500.0  # 25 minutes at most, evaluations included (0 = no limit)


def nats_metrics(total_nats: float, count: int) -> dict:
    """``loss``/``loss_nats``, ``bpc`` and ``perplexity`` from a summed cross-entropy."""
    loss = total_nats / max(1, count)
    return {
        "loss": loss,
        "loss_nats": loss,
        "bpc": loss / math.log(2),
        "perplexity": math.exp(min(loss, 700.0)),
    }


class LanguageModelTask(GenerationMixin, Task):
    name = "lm"
    data_config = LMData
    model_config = LMModel
    train_config = LMTrain
    stateful = True  # text format; a folder model sets it False per instance
    memory_splits = ("train", "validation")

    def __init__(self, config, memory=None) -> None:
        super().__init__(config, memory)
        cfg = config.data
        if cfg.format not in FORMATS:
            raise ConfigError(
                f"data.format must be text or folder for task lm, received {cfg.format!r}"
            )
        for key in ("bptt", "eval_rows"):
            if getattr(cfg, key) < 1:
                raise ConfigError(f"data.{key} must be positive, received {getattr(cfg, key)}")
        if cfg.max_length < 0:
            raise ConfigError(
                f"data.max_length must be >= 0 (0 = no limit), received {cfg.max_length}"
            )
        self.stateful = cfg.format == "text"
        self.vocab: Vocab | None = None
        self.categories: list[str] = []

    # ---- data ---------------------------------------------------------------------------
    def _tokens(self, text: str) -> list[str]:
        return char_tokenize(text, self.config.data.lower, self.config.data.reverse)

    def _encode_text(self, text: str) -> torch.Tensor:
        return torch.tensor(self.vocab.encode(self._tokens(text)), dtype=torch.long)

    def setup(self) -> None:
        d = self.config.data
        if d.validation_fraction == 0 and not d.validation:  # auto, written to config.toml
            d.validation_fraction = 0.02 if d.format == "text" else 0.1
        if d.format == "text":
            self._setup_text()
        else:
            self._setup_folder()

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
        meta = {"format": self.config.data.format, "categories": self.categories}
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
            return nats_metrics(*self.stream_loss(model, ids))
        return nats_metrics(*self.pairs_loss(model, self.splits[split]))

    def evaluate_path(self, model, path: str) -> dict:
        """Metrics on a text file (text format) or a category folder (folder format)."""
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
        unknown = self.vocab.unknown(self._tokens(text))
        if unknown:
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

    # ---- report -------------------------------------------------------------------------
    def plots(self, model, plots_dir: Path, state=None):
        from rnnkit.report.walltime import plot_val_loss_by_time

        metrics = plots_dir.parent / "metrics.csv"
        path = plot_val_loss_by_time(
            metrics, plots_dir / "val_loss_time.png", "validation loss (nats/char)"
        )
        return [("Validation loss against training time", path)] if path else []

    def report_sections(self, model) -> list[tuple[str, str]]:
        import html

        frame = self.samples(model, per_condition=3)
        if not self.categories:
            body = f"<pre>{html.escape(frame['sample'][0])}</pre>"
        else:
            items = "".join(
                f"<tr><td>{html.escape(c)}</td><td>{html.escape(', '.join(g['sample']))}</td></tr>"
                for c, g in frame.groupby("condition", sort=False)
            )
            body = f"<table><tr><th>condition</th><th>samples</th></tr>{items}</table>"
        return [("Samples (temperature 0.8)", body)]
