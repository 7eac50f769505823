"""Task ``classify``: one label per text (sentiment of a review, language of a name).

Reads labelled texts (``[data] format``: ``imdb`` folders, ``csv``/``tsv``/``jsonl`` tables,
or a ``folder`` of ``<label>.txt`` files; the default is the names shipped in the package),
tokenises them by word or character, builds the vocabulary on the training part only, and
trains any :mod:`rnnkit.models.classifier` model on length-bucketed, packed batches.
``model.encoder = "RUN_DIR"`` starts the embedding and recurrent layers from a trained
language model (:mod:`rnnkit.tasks.classify_transfer`).

Splits: ``data.test`` and ``data.validation`` are files in the same format; when empty, a
seeded stratified share of the training file is held out (``test_fraction``, then
``validation_fraction``, both shares of the whole file). The run folder gets ``vocab.json``
(``ngram_vocab.json`` with n-gram features) and ``labels.json``; the report a confusion
matrix, a per-class table, the most confidently wrong examples, padding and vector coverage.

Refused: a training file with one label (it would score 1.0), all-empty texts, a vocabulary
of nothing but ``<pad>``/``<unk>``. Empty texts are left out and texts longer than
``max_length`` tokens are cut, each with a count on standard error. ``max_length`` = 5000 by
default keeps every IMDB review whole (the longest has 2,711 words), while a 1 MB line never
becomes a million sequential steps that keep a training busy for minutes, looking hung.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from rnnkit import datasets
from rnnkit.data.batching import IndexBatches, padding_fraction
from rnnkit.data.encoding import Encoded, TextEncoder, require_tokens
from rnnkit.data.text import Vocab, get_tokenizer, note
from rnnkit.data.textdata import (
    LabelledTexts,
    imdb_test_folder,
    read_examples,
    report_skipped,
    require_two_labels,
    stratified_split,
)
from rnnkit.errors import CheckpointError, ConfigError, DataError
from rnnkit.io import read_json
from rnnkit.metrics.classification import summary
from rnnkit.models.classifier import ClassifyModel, build_classifier
from rnnkit.nn.regularize import load_plain_state_dict
from rnnkit.tasks import memory
from rnnkit.tasks.base import Task
from rnnkit.tasks.classify_config import (
    ClassifyData,
    ClassifyTrain,
    check_config,
    resolve_format,
    resolve_level,
)
from rnnkit.tasks.classify_report import ReportMixin
from rnnkit.tasks.classify_transfer import encoder_init

EVAL_TOKENS = 2**16  # tokens per evaluation batch


@dataclass
class Split:
    """One part of the data, encoded: ids, integer labels ``(M,)``, and the raw examples."""

    encoded: Encoded
    targets: Tensor
    examples: LabelledTexts


class ClassifyTask(ReportMixin, Task):
    name = "classify"
    data_config = ClassifyData
    model_config = ClassifyModel
    train_config = ClassifyTrain
    metric = "val_accuracy"
    memory_splits = ("train", "validation", "test")

    def __init__(self, config, memory=None) -> None:
        super().__init__(config, memory)
        check_config(config)
        self.encoder: TextEncoder | None = None
        self.labels: list[str] = []
        self.splits: dict[str, Split] = {}
        self.vectors: Tensor | None = None
        self.coverage = None
        self.encoder_state: dict | None = None  # model.encoder's recurrent weights
        self._cache: dict = {}

    # ---- data ---------------------------------------------------------------------------
    def _tokenizer(self):
        d = self.config.data
        return get_tokenizer(d.tokenizer or d.level, lower=d.lower)

    def _read(self, path) -> LabelledTexts:
        d = self.config.data
        examples = read_examples(d.format, path, d.text_column, d.label_column)
        report_skipped(examples, path)
        return examples

    def _part(self, split: str, path) -> LabelledTexts:
        """One split from its file, or from the objects handed to the task."""
        obj = self.from_memory(split)
        if obj is None:
            return self._read(path)
        d = self.config.data
        return memory.labelled_texts(obj, split, d.text_column, d.label_column)

    def _parts(self) -> dict[str, LabelledTexts]:
        """train / validation / test examples, from files or stratified splits of train."""
        d = self.config.data
        train_path = datasets.resolve(d.train, "names")
        if self.from_memory("train") is None:
            resolve_format(self.config, train_path)
        parts = {"train": self._part("train", train_path)}
        require_two_labels(parts["train"], train_path)
        resolve_level(self.config, parts["train"].texts)
        test_path = d.test or (imdb_test_folder(train_path) if d.format == "imdb" else None)
        if test_path:
            parts["test"] = self._part("test", test_path)
        elif d.test_fraction > 0:
            keep, held = stratified_split(parts["train"].labels, d.test_fraction, d.split_seed)
            parts["test"], parts["train"] = parts["train"].subset(held), parts["train"].subset(keep)
        if d.validation:
            parts["validation"] = self._part("validation", d.validation)
        else:
            share = d.validation_fraction / (1.0 - (d.test_fraction if not test_path else 0.0))
            keep, held = stratified_split(parts["train"].labels, share, d.split_seed + 1)
            train = parts["train"]
            parts["validation"], parts["train"] = train.subset(held), train.subset(keep)
        for name, part in parts.items():
            if not len(part):
                raise DataError(
                    f"{train_path}: the {name} part is empty; lower data.*_fraction or add data"
                )
        return parts

    def targets(self, examples: LabelledTexts) -> Tensor:
        """Label ids ``(M,)``; a label not seen in training is an error naming file and line."""
        index = {label: i for i, label in enumerate(self.labels)}
        for label, where in zip(examples.labels, examples.where):
            if label not in index:
                known = ", ".join(self.labels[:20]) + (", ..." if len(self.labels) > 20 else "")
                raise DataError(
                    f"{where}: label {label!r} was not seen in the training data (known: {known})"
                )
        return torch.tensor([index[label] for label in examples.labels], dtype=torch.long)

    def setup(self) -> None:
        d = self.config.data
        parts = self._parts()
        train_tokens = [self._tokenizer()(t) for t in parts["train"].texts]
        fresh = self.encoder is None  # not a run read back, whose checkpoint has every weight
        if fresh:
            vocab, ngram_vocab = TextEncoder.build_vocabs(
                train_tokens,
                min_freq=d.min_freq,
                max_size=d.max_size,
                ngrams=d.ngrams,
                ngram_min_freq=d.ngram_min_freq,
                ngram_max_size=d.ngram_max_size,
            )
            require_tokens(vocab, datasets.resolve(d.train, "names"), d.min_freq)
            self.encoder = self._make_encoder(vocab, ngram_vocab)
            self.labels = sorted(set(parts["train"].labels))
        counts = Counter(t for tokens in train_tokens for t in tokens)
        self.encoder.vocab.counts = {t: counts[t] for t in self.encoder.vocab.itos}
        self.splits = {"train": self._split(parts["train"], "the training part", train_tokens)}
        for name in ("validation", "test"):
            if name in parts:
                self.splits[name] = self._split(parts[name], f"the {name} part")
        self.splits["train"].examples = LabelledTexts()  # texts are no longer needed
        if self.config.model.encoder and fresh:  # ULMFiT: start from a language model
            self.vectors, self.encoder_state = encoder_init(self.config, self.encoder.vocab)
        else:
            self._load_vectors()
        train = self.splits["train"].encoded
        self.batches = IndexBatches(
            len(train),
            self.config.train.batch_size,
            seed=self.config.train.seed,
            lengths=train.lengths if d.bucket_batches else None,
            bucket_batches=max(1, d.bucket_batches),
        )

    def _make_encoder(self, vocab: Vocab, ngram_vocab: Vocab | None) -> TextEncoder:
        d = self.config.data
        return TextEncoder(
            self._tokenizer(), vocab, ngram_vocab, d.ngrams, d.max_length, d.truncate
        )

    def _split(self, examples: LabelledTexts, what: str, tokens: list | None = None) -> Split:
        targets = self.targets(examples)
        if tokens is None:
            tokens = self.encoder.tokenize_all(examples.texts)
        return Split(self._encode(tokens, what), targets, examples)

    def _encode(self, tokens: list[list[str]], what: str) -> Encoded:
        """Ids of tokenised texts; says how many were cut to ``max_length``."""
        encoded, d = self.encoder.encode_tokens(tokens), self.config.data
        if encoded.truncated:
            note(
                f"classify: cut {encoded.truncated} of {len(encoded)} texts of {what} to "
                f"data.max_length = {self.encoder.max_length} tokens "
                f"(data.truncate = {d.truncate!r})"
            )
        return encoded

    def _load_vectors(self) -> None:
        path = self.config.model.vectors
        if not path:
            return
        from rnnkit.data.vectors import embedding_matrix, load_vectors

        vocab = self.encoder.vocab
        found, dim = load_vectors(Path(path).expanduser(), wanted=set(vocab.itos))
        if dim != self.config.model.embedding_dim:
            raise ConfigError(
                f"model.embedding_dim is {self.config.model.embedding_dim} but {path} holds "
                f"{dim}-dimensional vectors; set model.embedding_dim = {dim}"
            )
        self.vectors, self.coverage = embedding_matrix(vocab, found, dim, self.config.train.seed)

    def save_artifacts(self, run_dir: Path) -> None:
        from rnnkit.io import atomic_write_text

        self.encoder.vocab.save(run_dir / "vocab.json")
        if self.encoder.ngram_vocab is not None:
            self.encoder.ngram_vocab.save(run_dir / "ngram_vocab.json")
        atomic_write_text(run_dir / "labels.json", json.dumps(self.labels, ensure_ascii=False))

    def load_artifacts(self, run_dir: Path) -> None:
        run_dir = Path(run_dir)
        vocab = Vocab.load(run_dir / "vocab.json")
        ngram_path = run_dir / "ngram_vocab.json"
        ngram_vocab = Vocab.load(ngram_path) if ngram_path.exists() else None
        self.encoder = self._make_encoder(vocab, ngram_vocab)
        labels_path = run_dir / "labels.json"
        self.labels = read_json(labels_path, "labels", list)
        if not self.labels or not all(isinstance(label, str) for label in self.labels):
            raise CheckpointError(f"{labels_path} is not a valid labels list: expected label names")

    # ---- training -----------------------------------------------------------------------
    def steps_per_epoch(self, world: int = 1) -> int:
        return len(self.batches)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1):
        train = self.splits["train"]
        for idx in self.batches.epoch(epoch, rank, world):
            x, lengths = train.encoded.batch(idx)
            yield x.to(self.device), lengths, train.targets[idx].to(self.device)

    def batch_examples(self, batch) -> int:
        return len(batch[2])

    def build_model(self):
        ngram_vocab = self.encoder.ngram_vocab
        model = build_classifier(
            self.config.model,
            len(self.encoder.vocab),
            len(self.labels),
            ngram_vocab_size=len(ngram_vocab) if ngram_vocab is not None else 0,
            vectors=self.vectors,
        )
        if self.encoder_state is not None:
            load_plain_state_dict(model.rnn, self.encoder_state)
        return model

    def training_step(self, model, batch, state):
        x, lengths, targets = batch
        _, loss = model(x, lengths, targets)
        return loss, None

    def export_spec(self, model):
        """Token ids ``x (N, L)`` (``(N, L, K)`` with n-grams) and ``lengths (N,)`` in, logits
        ``(N, C)`` out (labels in ``labels.json``). Recurrent layers are exported with the
        native kernels (the same weights), so any batch size and length works."""
        from rnnkit.errors import RnnkitError
        from rnnkit.export import ExportSpec, FirstOutput

        if not hasattr(model, "rnn"):
            raise RnnkitError(
                f"export of model.kind {self.config.model.kind!r} is not supported; "
                "export a model with kind = 'rnn'"
            )
        model = model.eval()
        for module in model.modules():
            if hasattr(module, "backend") and module.backend != "native":
                module.backend = "native"

        x, lengths = self.encoder.encode(["an example text to trace", "short"]).batch(
            torch.arange(2)
        )
        axes = {"x": {0: "N", 1: "L"}, "lengths": {0: "N"}, "logits": {0: "N"}}
        logits = FirstOutput(model, ("x", "lengths"))
        return ExportSpec(logits, (x, lengths), ["x", "lengths"], ["logits"], axes)

    # ---- evaluation ---------------------------------------------------------------------
    def log_probs(self, model, encoded: Encoded) -> Tensor:
        """Log-probabilities ``(M, C)`` of every example, in batches of similar length."""
        key = (id(model), id(encoded), tuple(p._version for p in model.parameters()))
        if key in self._cache:  # the same weights on the same data: reuse
            return self._cache[key][1]
        was_training = model.training
        model.eval()
        order = torch.argsort(encoded.lengths, descending=True)
        out = torch.empty(len(encoded), len(self.labels))
        start = 0
        with torch.no_grad():
            while start < len(order):
                size = max(1, EVAL_TOKENS // int(encoded.lengths[order[start]]))
                idx = order[start : start + size]
                x, lengths = encoded.batch(idx)
                logits, _ = model(x.to(self.device), lengths)
                out[idx] = F.log_softmax(logits.float(), dim=-1).cpu()
                start += size
        model.train(was_training)
        self._cache = {key: (encoded, out)}  # holding `encoded` keeps its id unique
        return out

    def _metrics(self, model, encoded: Encoded, targets: Tensor) -> dict:
        logp = self.log_probs(model, encoded)
        loss = float(F.nll_loss(logp, targets))
        scores = summary(targets.tolist(), logp.argmax(-1).tolist(), len(self.labels))
        return {"loss": loss, **scores}

    def has_split(self, split: str) -> bool:
        return split in self.splits

    def evaluate(self, model, split: str = "validation", state=None) -> dict:
        part = self.splits[split]
        return self._metrics(model, part.encoded, part.targets)

    def evaluate_path(self, model, path: str) -> dict:
        """Metrics on a file (or folder) in the run's format: accuracy, macro_f1, ..."""
        if self.config.data.format == "imdb":
            path = imdb_test_folder(path) or path
        examples = self._read(path)
        part = self._split(examples, str(path))
        return {**self._metrics(model, part.encoded, part.targets), "examples": len(examples)}

    def probabilities(self, model, texts: list[str]) -> Tensor:
        """Class probabilities ``(M, C)`` of raw texts (columns in the order of ``labels``)."""
        encoded = self._encode(self.encoder.tokenize_all(texts), "the input")
        return self.log_probs(model, encoded).exp()

    def padding(self) -> dict[str, float]:
        """Padding share of the first epoch's batches, bucketed by length and not."""
        train = self.splits["train"].encoded
        bucketed = padding_fraction(train.lengths, self.batches.global_batches(0))
        plain = IndexBatches(len(train), self.config.train.batch_size, seed=self.config.train.seed)
        return {
            "bucketed": bucketed,
            "unbucketed": padding_fraction(train.lengths, plain.global_batches(0)),
        }
