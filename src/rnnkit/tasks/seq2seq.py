"""Task ``seq2seq``: an encoder-decoder with attention, one source sequence in, another out.

- ``format = "tsv"``: ``source<TAB>target`` per line in ``train`` (and ``validation`` /
  ``test``, or a seeded ``validation_fraction`` of train).
- ``format = "dates"``: no file; a corpus of dates in many human formats -> ISO dates is
  generated here (:mod:`rnnkit.data.dates`) with ``examples`` / ``validation_examples`` /
  ``test_examples`` pairs and no source shared between the splits.

Both sides are cut by ``tokenizer`` (``char`` or ``word``) into their own vocabularies,
saved as ``src_vocab.json`` and ``tgt_vocab.json``. Metrics: ``loss`` (teacher forced, nats
per target token), and on decoded outputs (greedy, or beam search when
``model.beam_size > 1``): ``exact_match``, ``char_accuracy`` (0-1) and, with sacrebleu
installed, ``bleu`` (sacreBLEU, 0-100; :mod:`rnnkit.metrics.text`). Checkpoints are chosen
on ``val_exact_match``.

Sources and targets longer than ``max_length`` tokens are cut (with a count on standard
error). The default, 1000, is twenty times the longest generated date and keeps a 1 MB line
from becoming a million-step encoder pass, attended over at every decoding step, and a
decoding limit (``max_output_length``) of two million steps.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from rnnkit.config import DataConfig, ModelConfig
from rnnkit.data.batching import IndexBatches, generator
from rnnkit.data.dates import corpus
from rnnkit.data.text import PAD, UNK, Vocab, get_tokenizer, note, read_text_file, text_lines
from rnnkit.errors import ConfigError, DataError
from rnnkit.io import read_json
from rnnkit.metrics.text import bleu_available, char_accuracy, corpus_bleu, exact_match
from rnnkit.models.seq2seq import Decoded, Seq2Seq
from rnnkit.tasks import memory
from rnnkit.tasks.base import Task

BOS, EOS = "<s>", "</s>"
FORMATS = ("tsv", "dates")


@dataclass
class Seq2SeqData(DataConfig):
    format: str = "tsv"  # tsv: source<TAB>target per line | dates: generated here, no file
    tokenizer: str = "char"  # char | word, for source and target
    lower: bool = False  # fold case on both sides
    max_length: int = 1000  # tsv: longer sources and targets are cut to this many tokens (0 = keep)
    examples: int = 30000  # dates: training pairs
    validation_examples: int = 1000  # dates: validation pairs
    test_examples: int = 2000  # dates: held-out test pairs
    dates_seed: int = 0  # dates: seed of the generated corpus


@dataclass
class Seq2SeqModel(ModelConfig):
    hidden_size: int = 128
    bidirectional: bool = True  # the encoder
    embedding_dim: int = 64  # source and target embeddings
    attention: str = "additive"  # additive (Bahdanau) | multiplicative (Luong) | dot
    teacher_forcing: float = 1.0  # probability of feeding the gold previous token in training
    beam_size: int = 1  # decoding: 1 = greedy, more = beam search
    length_penalty: float = 1.0  # beam search: score / length ** length_penalty
    max_output_length: int = 0  # decoding stops here (0 = 2 x longest training target + 10)


def read_tsv(path: str | Path) -> list[tuple[str, str]]:
    """``(source, target)`` pairs of a UTF-8 file; a malformed line is an error naming it."""
    pairs = []
    for number, line in enumerate(text_lines(read_text_file(path)), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise DataError(
                f"{path}, line {number}: expected source<TAB>target (one tab), found "
                f"{len(parts) - 1} tab(s) in {line[:60]!r}"
            )
        source, target = (p.strip() for p in parts)
        if not source or not target:
            side = "source" if not source else "target"
            raise DataError(f"{path}, line {number}: the {side} is empty")
        pairs.append((source, target))
    if not pairs:
        raise DataError(f"{path} has no source<TAB>target lines")
    return pairs


class Seq2SeqTask(Task):
    name = "seq2seq"
    data_config = Seq2SeqData
    model_config = Seq2SeqModel
    metric = "val_exact_match"
    memory_splits = ("train", "validation", "test")

    def __init__(self, config, memory=None) -> None:
        super().__init__(config, memory)
        cfg, mcfg = config.data, config.model
        if cfg.format not in FORMATS:
            raise ConfigError(
                f"data.format must be tsv or dates for task seq2seq, received {cfg.format!r}"
            )
        if not 0.0 <= mcfg.teacher_forcing <= 1.0:
            raise ConfigError(
                f"model.teacher_forcing must be in [0, 1], received {mcfg.teacher_forcing}"
            )
        if mcfg.beam_size < 1:
            raise ConfigError(f"model.beam_size must be >= 1, received {mcfg.beam_size}")
        if cfg.max_length < 0:
            raise ConfigError(
                f"data.max_length must be >= 0 (0 = no limit), received {cfg.max_length}"
            )
        self.tokenize = get_tokenizer(cfg.tokenizer, cfg.lower)
        self.joiner = "" if cfg.tokenizer == "char" else " "
        self.src_vocab: Vocab | None = None
        self.tgt_vocab: Vocab | None = None
        self.max_output_length = mcfg.max_output_length

    # ---- data ---------------------------------------------------------------------------
    def _pairs(self, split: str) -> list[tuple[str, str]]:
        """One split's pairs from its file, or from the (source, target) pairs handed over."""
        obj = self.from_memory(split)
        if obj is None:
            return self._read_tsv(getattr(self.config.data, split))
        pairs = memory.string_pairs(obj, split, ("source", "target"))
        for i, (source, _) in enumerate(pairs):
            if not source.strip():
                raise DataError(f"{split}[{i}]: the source is empty")
        return [(source.strip(), target) for source, target in pairs]

    def _read_splits(self) -> dict[str, list[tuple[str, str]]]:
        cfg = self.config.data
        if cfg.format == "dates":
            sizes = {"train": cfg.examples, "validation": cfg.validation_examples}
            if cfg.test_examples:
                sizes["test"] = cfg.test_examples
            return corpus(sizes, seed=cfg.dates_seed)
        if not cfg.train:
            raise ConfigError('data.train must name a source<TAB>target file for format "tsv"')
        train = self._pairs("train")
        splits = {"train": train}
        if cfg.validation:
            splits["validation"] = self._pairs("validation")
        else:
            order = torch.randperm(len(train), generator=generator(self.config.train.seed, -1))
            n_val = max(1, int(len(train) * cfg.validation_fraction))
            if n_val >= len(train):
                raise DataError(f"{cfg.train} has {len(train)} pairs: too few to hold some out")
            splits["validation"] = [train[i] for i in order[:n_val].tolist()]
            splits["train"] = [train[i] for i in order[n_val:].tolist()]
        if cfg.test:
            splits["test"] = self._pairs("test")
        return splits

    def _read_tsv(self, path: str | Path) -> list[tuple[str, str]]:
        """:func:`read_tsv`, saying how many pairs have a side longer than ``max_length``."""
        pairs, limit = read_tsv(Path(path).expanduser()), self.config.data.max_length
        too_long = lambda text: len(self.tokenize(text)) > limit  # noqa: E731
        long = sum(too_long(s) or too_long(t) for s, t in pairs) if limit else 0
        if long:
            note(
                f"seq2seq: cut {long} of {len(pairs)} pairs of {path} to data.max_length = "
                f"{limit} tokens a side"
            )
        return pairs

    def _tokens(self, text: str) -> list[str]:
        """The tokens of ``text``, at most ``data.max_length`` of them."""
        tokens, limit = self.tokenize(text), self.config.data.max_length
        return tokens[:limit] if limit else tokens

    def setup(self) -> None:
        self.pairs = self._read_splits()
        train = self.pairs["train"]
        if self.src_vocab is None:
            self.src_vocab = Vocab.build([self._tokens(s) for s, _ in train])
            self.tgt_vocab = Vocab.build(
                [self._tokens(t) for _, t in train], specials=(PAD, UNK, BOS, EOS)
            )
            if not self.max_output_length:
                self.max_output_length = 2 * max(len(self._tokens(t)) for _, t in train) + 10
        self.splits = {name: self.encode(pairs) for name, pairs in self.pairs.items()}
        self.batches = IndexBatches(
            len(train),
            self.config.train.batch_size,
            seed=self.config.train.seed,
            lengths=self.splits["train"]["src_lengths"],
        )

    def encode_sources(self, sources: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded source ids ``(M, S)`` and lengths ``(M,)``; unknown tokens become <unk>."""
        seqs = [
            self.src_vocab.encode(self._tokens(s)) or [self.src_vocab.unk_index] for s in sources
        ]
        lengths = torch.tensor([len(s) for s in seqs])
        ids = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)  # <pad> = 0
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s)
        return ids, lengths

    def encode(self, pairs: list[tuple[str, str]]) -> dict[str, torch.Tensor]:
        """Sources, ``<s> y`` (tgt_in) and ``y </s>`` (tgt_out), padded with 0."""
        src, src_lengths = self.encode_sources([s for s, _ in pairs])
        bos, eos = self.tgt_vocab.stoi[BOS], self.tgt_vocab.stoi[EOS]
        tgts = [self.tgt_vocab.encode(self._tokens(t)) for _, t in pairs]
        width = max(len(t) for t in tgts) + 1
        tgt_in = torch.zeros(len(tgts), width, dtype=torch.long)
        tgt_out = torch.zeros(len(tgts), width, dtype=torch.long)
        for i, t in enumerate(tgts):
            tgt_in[i, : len(t) + 1] = torch.tensor([bos] + t)
            tgt_out[i, : len(t) + 1] = torch.tensor(t + [eos])
        return {
            "src": src,
            "src_lengths": src_lengths,
            "tgt_in": tgt_in,
            "tgt_out": tgt_out,
            "tgt_lengths": torch.tensor([len(t) + 1 for t in tgts]),
        }

    def save_artifacts(self, run_dir: Path) -> None:
        from rnnkit.io import atomic_write_text

        self.src_vocab.save(run_dir / "src_vocab.json")
        self.tgt_vocab.save(run_dir / "tgt_vocab.json")
        meta = {"max_output_length": self.max_output_length}
        atomic_write_text(run_dir / "seq2seq.json", json.dumps(meta) + "\n")

    def load_artifacts(self, run_dir: Path) -> None:
        self.src_vocab = Vocab.load(run_dir / "src_vocab.json")
        self.tgt_vocab = Vocab.load(run_dir / "tgt_vocab.json")
        path = run_dir / "seq2seq.json"
        meta = read_json(path, "encoder-decoder settings", {"max_output_length": int})
        self.max_output_length = meta["max_output_length"]

    def has_split(self, split: str) -> bool:
        return split in getattr(self, "splits", {})

    # ---- training -----------------------------------------------------------------------
    def steps_per_epoch(self, world: int = 1) -> int:
        return len(self.batches)

    def _batch(self, split: dict, idx: torch.Tensor) -> tuple[torch.Tensor, ...]:
        s, t = int(split["src_lengths"][idx].max()), int(split["tgt_lengths"][idx].max())
        return (
            split["src"][idx, :s].to(self.device),
            split["src_lengths"][idx],
            split["tgt_in"][idx, :t].to(self.device),
            split["tgt_out"][idx, :t].to(self.device),
        )

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1):
        for idx in self.batches.epoch(epoch, rank, world):
            yield self._batch(self.splits["train"], idx)

    def batch_examples(self, batch) -> int:
        return len(batch[1])

    def build_model(self) -> Seq2Seq:
        return Seq2Seq(
            self.config.model,
            src_vocab=len(self.src_vocab),
            tgt_vocab=len(self.tgt_vocab),
            pad=self.tgt_vocab.pad_index,
            bos=self.tgt_vocab.stoi[BOS],
            eos=self.tgt_vocab.stoi[EOS],
        )

    def training_step(self, model, batch, state):
        src, lengths, tgt_in, tgt_out = batch
        _, loss, _ = model(src, lengths, tgt_in, tgt_out, self.config.model.teacher_forcing)
        return loss, None

    # ---- decoding and evaluation ----------------------------------------------------------
    @torch.no_grad()
    def decode(
        self, model, src: torch.Tensor, lengths: torch.Tensor, beam: int | None = None
    ) -> list[Decoded]:
        """Greedy or beam search (width ``beam``, default ``model.beam_size``) over a batch."""
        cfg = self.config.model
        beam = cfg.beam_size if beam is None else beam
        if isinstance(beam, bool) or not isinstance(beam, int) or beam < 1:
            raise ConfigError(f"beam must be a positive integer, received {beam!r}")
        src = src.to(self.device)
        if beam == 1:
            return model.greedy(src, lengths, self.max_output_length)
        return model.beam_search(src, lengths, self.max_output_length, beam, cfg.length_penalty)

    def to_text(self, ids: list[int]) -> str:
        return self.joiner.join(self.tgt_vocab.decode(ids))

    @torch.no_grad()
    def translate(
        self, model, sources: list[str], batch_size: int = 256, beam: int | None = None
    ) -> list[Decoded]:
        """Decode raw source strings, ``batch_size`` at a time (``beam`` as in :meth:`decode`)."""
        out = []
        for start in range(0, len(sources), batch_size):
            src, lengths = self.encode_sources(sources[start : start + batch_size])
            out += self.decode(model, src, lengths, beam)
        return out

    @torch.no_grad()
    def score(self, model, pairs: list[tuple[str, str]], split: dict) -> dict:
        """Teacher-forced loss and the metrics of the decoded outputs."""
        total = count = 0.0
        for idx in torch.arange(len(pairs)).split(256):
            src, lengths, tgt_in, tgt_out = self._batch(split, idx)
            _, loss, _ = model(src, lengths, tgt_in, tgt_out)
            n = int((tgt_out != 0).sum())
            total, count = total + float(loss) * n, count + n
        outputs = [self.to_text(d.ids) for d in self.translate(model, [s for s, _ in pairs])]
        references = [self.joiner.join(self.tokenize(t)) for _, t in pairs]
        metrics = {
            "loss": total / count,
            "exact_match": exact_match(outputs, references),
            "char_accuracy": char_accuracy(outputs, references),
        }
        if bleu_available():  # sacreBLEU's standard signature; character level for char data
            level = "char" if self.config.data.tokenizer == "char" else "13a"
            metrics["bleu"] = corpus_bleu(outputs, references, tokenize=level)
        return metrics

    def evaluate(self, model, split: str = "validation", state=None) -> dict:
        return self.score(model, self.pairs[split], self.splits[split])

    def evaluate_path(self, model, path: str) -> dict:
        pairs = self._read_tsv(path)
        return self.score(model, pairs, self.encode(pairs))

    def _examples(self, model, count: int | None = None) -> tuple[str, list, list[Decoded]]:
        split = "test" if "test" in self.pairs else "validation"
        pairs = self.pairs[split][:count] if count else self.pairs[split]
        return split, pairs, self.translate(model, [s for s, _ in pairs])

    def predictions(self, model, state=None) -> pd.DataFrame:
        split, pairs, decoded = self._examples(model)
        outputs = [self.to_text(d.ids) for d in decoded]
        return pd.DataFrame(
            {
                "split": split,
                "source": [s for s, _ in pairs],
                "target": [t for _, t in pairs],
                "output": outputs,
                "correct": [
                    o == self.joiner.join(self.tokenize(t)) for o, (_, t) in zip(outputs, pairs)
                ],
            }
        )

    # ---- report -------------------------------------------------------------------------
    def plots(self, model, plots_dir: Path, state=None):
        from rnnkit.report.attention import plot_attention

        split, pairs, decoded = self._examples(model, count=3)
        panels = [
            (self.tokenize(s), self.tgt_vocab.decode(d.ids) + [EOS], d.attention)
            for (s, _), d in zip(pairs, decoded)
        ]
        path = plot_attention(panels, plots_dir / "attention.png")
        return [(f"Attention weights on the first {split} examples", path)]

    def report_sections(self, model) -> list[tuple[str, str]]:
        from rnnkit.report.html import table

        frame = self.predictions(model)
        wrong = frame.iloc[10:][~frame["correct"].iloc[10:]].head(10)  # errors not shown yet
        shown = pd.concat([frame.head(10), wrong])
        rows = [
            (r.source, r.target, r.output, "yes" if r.correct else "no") for r in shown.itertuples()
        ]
        body = table(rows, ("source", "target", "output", "correct"))
        note = (
            f"<p>{len(frame) - int(frame['correct'].sum())} wrong of {len(frame)}; the first ten "
        )
        note += "examples, then up to ten errors.</p>"
        return [(f"Decoded {html.escape(str(frame['split'][0]))} examples", note + body)]
