"""Task ``tag``: sequence labelling (named entities, part of speech) on CoNLL or CoNLL-U data.

``[data]`` names the files (``train``, ``validation``, ``test``; without ``validation`` a
seeded ``validation_fraction`` of the training sentences), their ``format`` (``conll`` with
``tag_column``, or ``conllu`` with ``tag_field``) and how tags are learned: ``scheme`` is the
scheme the model predicts (``bioes`` for span tags and ``none`` for atomic labels when
``auto``), ``file_scheme`` the one the files use (detected from the training file when
``auto``; CoNLL-2003 is ``iob1``). Entities are compared with the conlleval rules, whatever
the schemes; token accuracy is measured on tags written in the file's scheme.

The model is :class:`~rnnkit.models.tagger.Tagger` (``[model] crf``, ``char_encoder``, ...).
The run folder gets ``words.json``, ``chars.json``, ``tags.json`` (vocabularies) and
``tagging.json`` (the schemes), and after training ``predictions.conll`` or
``predictions.conllu``: the evaluated split written back with the predicted tags. With
``model.contextual`` (character LM runs), also ``contextual/`` and ``contextual.json``
(:mod:`rnnkit.tasks.tag_contextual`).

Sentences over ``max_length`` tokens are read in pieces (predictions joined back; a count on
standard error). 1000 is far above real sentences (CoNLL-2003's longest has 124 tokens, EWT's
159): a longer one is a file without blank lines, which would be one sequence of a file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import torch

from rnnkit.data import conll, schemes
from rnnkit.data.batching import IndexBatches, generator
from rnnkit.data.conll import Sentence, format_conll, format_conllu, read_corpus
from rnnkit.data.tagging import (
    DocumentBatches,
    EncodedSplit,
    encode_split,
    make_batch,
    normalise,
)
from rnnkit.data.text import Vocab, note
from rnnkit.errors import ConfigError, DataError
from rnnkit.io import atomic_write_text, read_json
from rnnkit.metrics.conlleval import Scores, evaluate
from rnnkit.models.tagger import Tagger, TaggerModel, check_tagger_config
from rnnkit.tasks import memory, tag_contextual, tag_vectors
from rnnkit.tasks.base import Task
from rnnkit.tasks.tag_config import TagData, TagTrain, check_data_config, hold_out, resolve_format
from rnnkit.tasks.tag_output import report_table, tag_confusion


class TagTask(Task):
    name = "tag"
    data_config = TagData
    model_config = TaggerModel
    train_config = TagTrain
    metric = "val_f1"
    memory_splits = ("train", "validation", "test")

    def __init__(self, config, memory=None) -> None:
        super().__init__(config, memory)
        check_data_config(config.data)
        check_tagger_config(config.model)
        self.loaded = False  # True after load_artifacts: no vectors are read to build a model
        self.sentences: dict[str, list[Sentence]] = {}
        self.encoded: dict[str, EncodedSplit] = {}
        self._decoded: dict[str, list[list[str]]] = {}  # split -> predictions, file scheme
        self.language_models: list = []  # model.contextual, read (tag_contextual)
        self._found: tuple | None = None  # model.vectors read to extend the vocabulary
        self.trained_words: int | None = None  # words that learn their vectors (None: all)

    # ---- data -----------------------------------------------------------------------------
    def _read(self, path: str) -> list[Sentence]:
        cfg = self.config.data
        return read_corpus(path, cfg.format, cfg.tag_column, cfg.tag_field)

    def _part(self, split: str) -> list[Sentence]:
        """One split from its file, or from the (token, tag) sentences handed to the task."""
        obj = self.from_memory(split)
        if obj is None:
            return self._read(getattr(self.config.data, split))
        return memory.tagged_sentences(obj, split)

    def setup(self) -> None:
        cfg, seed = self.config.data, self.config.train.seed
        if self.from_memory("train") is None:
            resolve_format(cfg)
        train = self._part("train")
        if cfg.validation:
            validation = self._part("validation")
        else:
            train, validation = hold_out(train, cfg.validation_fraction, seed, cfg.train)
        self.sentences = {"train": train, "validation": validation}
        if cfg.test:
            self.sentences["test"] = self._part("test")
        self._resolve_schemes(train, cfg.train)
        self.metric = "val_accuracy" if self.scheme == "none" else "val_f1"  # atomic: accuracy
        self._build_vocabs(train)
        for split, sentences in self.sentences.items():
            self.encoded[split] = self._encode(sentences, split, getattr(cfg, split) or cfg.train)
        self.batches = self._batches(self.encoded["train"], self.config.train.batch_size, True)
        if self.config.model.contextual and not self.loaded:
            self.language_models = tag_contextual.load_language_models(self.config.model.contextual)

    def _batches(self, split: EncodedSplit, size: int, shuffle: bool):
        """Sentence batches bucketed by length, or whole documents for ``repeat_context``."""
        seed = self.config.train.seed
        if self.config.model.repeat_context:
            return DocumentBatches(split.documents, size, shuffle=shuffle, seed=seed)
        return IndexBatches(len(split), size, shuffle=shuffle, seed=seed, lengths=split.lengths)

    def _resolve_schemes(self, train: list[Sentence], path: str) -> None:
        cfg = self.config.data
        detected = schemes.detect_scheme([s.tags for s in train])
        self.file_scheme = detected if cfg.file_scheme == "auto" else cfg.file_scheme
        self.scheme = cfg.scheme
        if self.scheme == "auto":
            self.scheme = "none" if self.file_scheme == "none" else "bioes"
        if self.scheme == "none":
            self.file_scheme = "none"  # atomic labels are written as they are
        elif detected == "none":
            schemes.require_span_tags(train, path, self.scheme)

    def _model_tags(self, tags: list[str]) -> list[str]:
        return tags if self.scheme == "none" else schemes.convert(tags, self.scheme)

    def _file_tags(self, tags: list[str]) -> list[str]:
        return tags if self.scheme == "none" else schemes.convert(tags, self.file_scheme)

    def _build_vocabs(self, train: list[Sentence]) -> None:
        cfg = self.config.data
        forms = [[normalise(t, cfg.lower, cfg.zero_digits) for t in s.tokens] for s in train]
        saved, self.words = getattr(self, "words", None), Vocab.build(forms, min_freq=cfg.min_freq)
        self.trained_words = len(self.words)  # the words after them only have vectors (frozen)
        model = self.config.model
        if model.vectors and model.vectors_vocab:
            if self.loaded and saved is not None:  # words.json: training words, then vectors'
                self.words = tag_vectors.extended(self.words, saved.itos)
            else:
                self._found = tag_vectors.read_vectors(model.vectors, cfg.lower, cfg.zero_digits)
                self.words = tag_vectors.extended(self.words, self._found[0])
        counts = getattr(self.words, "counts", {})
        self.singletons = torch.zeros(len(self.words), dtype=torch.bool)
        for word, count in counts.items():
            self.singletons[self.words[word]] = count == 1
        self.chars = Vocab.build([list(t) for s in train for t in s.tokens])
        if self.scheme == "none":
            self.tags = Vocab.build([s.tags for s in train], specials=())
        else:
            types = {span.type for s in train for span in schemes.spans(s.tags)}
            self.tags = Vocab(schemes.tag_inventory(sorted(types), self.scheme), specials=())

    def _encode(self, sentences: list[Sentence], split: str | None, source="") -> EncodedSplit:
        """Tensors of ``sentences`` (read from ``source``), long ones cut into pieces; with
        ``split``, gold tags the model cannot produce are an error naming the file and line
        (without, tags are not encoded)."""
        cfg, ids = self.config.data, None
        if self.scheme != "none":  # a tag of another file that no span scheme can encode
            schemes.require_span_tags(sentences, source, self.scheme)
        sentences, counts = self._cut(sentences, source)
        if split is not None:
            ids = []
            for s in sentences:
                tags = self._model_tags(s.tags)
                unknown = [i for i, t in enumerate(tags) if t not in self.tags]
                if unknown:
                    raise DataError(
                        f"{source}, line {s.line_numbers[unknown[0]]}: tag {s.tags[unknown[0]]!r} "
                        f"never occurs in the training data, so the model cannot learn it"
                    )
                ids.append([self.tags.stoi[t] for t in tags])
        numbers = {d: k for k, d in enumerate(dict.fromkeys(s.document for s in sentences))}
        encoded = encode_split(
            [s.tokens for s in sentences],
            ids,
            self.words,
            self.chars,
            lower=cfg.lower,
            zero_digits=cfg.zero_digits,
            max_word_length=cfg.max_word_length,
            documents=[numbers[s.document] for s in sentences],
        )
        encoded.pieces = counts if len(sentences) > len(counts) else None
        return encoded

    def _cut(self, sentences: list[Sentence], source) -> tuple[list[Sentence], list[int]]:
        """:func:`~rnnkit.data.conll.cut_long` at ``data.max_length``, saying how many."""
        max_length = self.config.data.max_length
        pieces, counts = conll.cut_long(sentences, max_length)
        if len(pieces) > len(sentences):
            note(
                f"tag: cut {sum(n > 1 for n in counts)} sentence(s) of {source or 'the input'} "
                f"longer than data.max_length = {max_length} tokens into pieces"
            )
        return pieces, counts

    def save_artifacts(self, run_dir: Path) -> None:
        self.words.save(run_dir / "words.json")
        self.chars.save(run_dir / "chars.json")
        self.tags.save(run_dir / "tags.json")
        meta = {"scheme": self.scheme, "file_scheme": self.file_scheme}
        atomic_write_text(run_dir / "tagging.json", json.dumps(meta, indent=2) + "\n")
        if self.language_models:
            tag_contextual.save_language_models(self.language_models, run_dir)

    def load_artifacts(self, run_dir: Path) -> None:
        self.words = Vocab.load(run_dir / "words.json")
        self.chars = Vocab.load(run_dir / "chars.json")
        self.tags = Vocab.load(run_dir / "tags.json")
        shape = {"scheme": str, "file_scheme": str}
        meta = read_json(run_dir / "tagging.json", "tagging settings", shape)
        self.scheme, self.file_scheme = meta["scheme"], meta["file_scheme"]
        if self.config.model.contextual:
            count = len(self.config.model.contextual)
            self.language_models = tag_contextual.read_language_models(run_dir, count)
        self.loaded = True

    # ---- training -------------------------------------------------------------------------
    def steps_per_epoch(self, world: int = 1) -> int:
        return len(self.batches)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1):
        cfg, split = self.config.data, self.encoded["train"]
        noise = generator(self.config.train.seed + 7919, epoch)  # word dropout, by (seed, epoch)
        for index in self.batches.epoch(epoch, rank, world):
            batch = make_batch(split, index)
            if cfg.singleton_unk or cfg.word_dropout:
                p = torch.where(self.singletons[batch.words], cfg.singleton_unk, cfg.word_dropout)
                drop = (torch.rand(batch.words.shape, generator=noise) < p) & (batch.words > 1)
                batch.words = batch.words.masked_fill(drop, self.words.unk_index)
            yield batch.to(self.device)

    def batch_examples(self, batch) -> int:
        return len(batch.lengths)

    def build_model(self) -> Tagger:
        cfg, vectors = self.config.model, None
        if cfg.vectors and not self.loaded:
            vectors = self._vectors()
        if self.scheme == "none":
            constraints = None
        else:
            allowed, start, end = schemes.allowed_transitions(self.tags.itos, self.scheme)
            constraints = (torch.tensor(allowed), torch.tensor(start), torch.tensor(end))
        contextual = None
        if cfg.contextual:
            contextual = tag_contextual.contextual_embeddings(
                self.language_models,
                cfg.contextual_finetune,
                cfg.contextual_context,
                cfg.contextual_precision,
            )
        sizes = (len(self.words), len(self.chars), len(self.tags))
        return Tagger(cfg, *sizes, constraints, vectors, contextual, self.trained_words)

    def _vectors(self) -> torch.Tensor:
        from rnnkit.data.vectors import embedding_matrix

        cfg, d = self.config.model, self.config.data
        found, dim = self._found or tag_vectors.read_vectors(
            cfg.vectors, d.lower, d.zero_digits, set(self.words.itos)
        )
        self._found = None  # the rows are in the model now: not kept for the whole run
        if dim != cfg.embedding_dim:
            raise ConfigError(
                f"model.embedding_dim must equal the size of the vectors in {cfg.vectors} "
                f"({dim}), received {cfg.embedding_dim}"
            )
        weight, coverage = embedding_matrix(self.words, found, dim, self.config.train.seed)
        print(f"tag: {coverage}", flush=True)
        return weight

    def training_step(self, model, batch, state):
        _, loss = model(batch, batch.tags)
        return loss, None

    # ---- evaluation -----------------------------------------------------------------------
    @torch.no_grad()
    def _run(
        self, model, split: EncodedSplit, with_loss: bool, probabilities: list | None = None
    ) -> tuple[list[list[str]], float]:
        """Predicted tags (model scheme) of every sentence and the mean loss; with a
        ``probabilities`` list, also each predicted tag's probability, filled in place."""
        order = self._batches(split, self.config.data.eval_batch_size, shuffle=False)
        predicted: list[list[str] | None] = [None] * len(split)
        if probabilities is not None:
            probabilities[:] = [None] * len(split)
        total = 0.0
        for index in order.global_batches(0):
            batch = make_batch(split, index).to(self.device)
            scores, loss = model(batch, batch.tags if with_loss else None)
            best = model.best_tags(scores, batch.mask)
            if probabilities is not None:
                p = model.tag_probabilities(scores, batch.mask).gather(2, best.unsqueeze(2))
                for row, sentence, n in zip(p[..., 0].tolist(), index.tolist(), batch.lengths):
                    probabilities[sentence] = row[: int(n)]
            for row, sentence, length in zip(best.tolist(), index.tolist(), batch.lengths.tolist()):
                predicted[sentence] = self.tags.decode(row[:length])
            total += float(loss) * len(index) if with_loss else 0.0
        if split.pieces is not None:  # sentences read in pieces: join their tags back
            predicted = conll.join_pieces(predicted, split.pieces)
            if probabilities is not None:
                probabilities[:] = conll.join_pieces(probabilities, split.pieces)
        return predicted, total / len(split)

    def _score(self, sentences: list[Sentence], predicted: list[list[str]]) -> Scores:
        as_file = [self._file_tags(p) for p in predicted]
        scheme = "none" if self.scheme == "none" else "bio"
        return evaluate([s.tags for s in sentences], as_file, scheme)

    def evaluate(self, model, split: str = "validation", state=None) -> dict:
        predicted, loss = self._run(model, self.encoded[split], with_loss=True)
        self._decoded[split] = predicted
        return {"loss": loss, **self._score(self.sentences[split], predicted).as_dict()}

    def has_split(self, split: str) -> bool:
        return split in self.sentences

    def evaluate_path(self, model, path: str) -> dict:
        """f1, precision, recall (entities, conlleval rules) and token accuracy, in [0, 1]."""
        sentences = self._read(path)
        predicted, _ = self._run(model, self._encode(sentences, None, path), with_loss=False)
        return self._score(sentences, predicted).as_dict()

    def _predicted(self, model, split: str) -> list[list[str]]:
        if split not in self._decoded:
            self._decoded[split] = self._run(model, self.encoded[split], with_loss=False)[0]
        return self._decoded[split]

    def _shown_split(self) -> str:
        return "test" if "test" in self.sentences else "validation"

    def predictions(self, model, state=None) -> pd.DataFrame:
        split = self._shown_split()
        rows = []
        for i, (s, p) in enumerate(zip(self.sentences[split], self._predicted(model, split))):
            for j, (token, gold, tag) in enumerate(zip(s.tokens, s.tags, self._file_tags(p))):
                rows.append((i, j, token, gold, tag))
        return pd.DataFrame(rows, columns=["sentence", "token", "word", "gold", "predicted"])

    def tag_tokens(self, model, sentences: list[list[str]]) -> list[tuple]:
        """Tag token lists read as one document: per sentence ``(tags, spans, scores)``, the
        tags in the files' scheme, the entities (:class:`~rnnkit.data.schemes.Span`, token
        ranges) and the probability of each predicted tag. An empty list gets empty ones."""
        kept = [i for i, tokens in enumerate(sentences) if tokens]
        if not kept:
            raise DataError("the input has no tokens to tag")
        encoded = self._encode([Sentence(list(sentences[i]), []) for i in kept], None)
        probabilities: list = []
        predicted, _ = self._run(model, encoded, with_loss=False, probabilities=probabilities)
        out = [([], [], [])] * len(sentences)
        for i, tags, scores in zip(kept, predicted, probabilities):
            out[i] = (self._file_tags(tags), schemes.scheme_spans(tags, self.scheme), scores)
        return out

    def plots(self, model, plots_dir: Path, state=None):
        split = self._shown_split()
        predicted = self._predicted(model, split)
        self._write_predictions(plots_dir.parent, split, predicted)
        gold = [self._model_tags(s.tags) for s in self.sentences[split]]
        path = tag_confusion(gold, predicted, self.tags.itos, plots_dir / "tag_confusion.png")
        return [(f"Tag confusion on the {split} split ({self.scheme} tags)", path)]

    def _write_predictions(self, run_dir: Path, split: str, predicted: list[list[str]]) -> None:
        """The split written back in its own format with the predicted tags."""
        sentences, as_file = self.sentences[split], [self._file_tags(p) for p in predicted]
        if self.config.data.format == "conllu":
            text = format_conllu(sentences, as_file, self.config.data.tag_field)
            atomic_write_text(run_dir / "predictions.conllu", text)
        else:  # conlleval's input: every column, then the predicted tag
            atomic_write_text(run_dir / "predictions.conll", format_conll(sentences, as_file))

    def scores(self, model, split: str) -> Scores:
        """conlleval scores (overall and per type) of ``model`` on one of the run's splits."""
        return self._score(self.sentences[split], self._predicted(model, split))

    def report_sections(self, model) -> list[tuple[str, str]]:
        split = self._shown_split()
        scores = self.scores(model, split)
        kind = "tag" if self.scheme == "none" else "entity type"
        return [(f"Scores per {kind} on the {split} split (conlleval rules)", report_table(scores))]
