r"""Contextual string embeddings (Akbik et al. 2018, "Contextual String Embeddings for Sequence
Labeling"): each word of a sentence as the states of character language models at its edges.

A sentence of words :math:`w_1 \dots w_n` is read as one string of characters,

.. math::

    s = b\; w_1 \;␣\; w_2 \;␣\; \dots \;␣\; w_n\; b

with ``b`` a newline when the language model's vocabulary has one (an LM trained on one
sentence per line, as ``examples/conll_lm_fwd.toml``, has seen every sentence start after one),
else a space. Every language model starts from a zero state. With :math:`t^{first}_i` and
:math:`t^{last}_i` the positions in ``s`` of the first and last character of :math:`w_i`:

- a **forward** LM reads ``s`` left to right; :math:`w_i` gets its top layer's output
  :math:`h^f` after reading the word's last character, :math:`h^f_{t^{last}_i}`: the word
  and everything before it;
- a **backward** LM (trained on reversed text, ``data.reverse = true``) reads ``s`` right to
  left; :math:`w_i` gets its output after reading the word's first character, the backward
  state "before" the word in the paper's terms: the word and everything after it.

With ``context = "document"`` (frozen LMs only), each document is read as one string, its
sentences joined by the boundary character, ``b s_1 b s_2 ... b s_m b`` (the layout of a
text with a sentence a line, as the LMs' training text): a word's forward state has also
read the sentences before it, its backward state those after it (the document's earlier
"Blair" of "Tony Blair", a sports table's team names). Each document is read once.

The word's embedding is the concatenation over the language models, in the order given:
``(sum of H_k)`` values, ``2 H`` for a forward/backward pair. (Flair's library takes, by
default, the state one character further, at the space after the word / before it; this is
the paper's definition.) Characters the LM never saw are its ``<unk>``. Case is folded when
the LM was trained with ``data.lower``.

Frozen (the default), the LMs stay in eval mode, get no gradient, and the embeddings of a
sentence are computed once and kept in memory (:attr:`ContextualEmbeddings.cache`, keyed by
the sentence's tokens, or by its document and place in it), so later epochs and evaluations
do not run the LMs again. With document context, the first batch of a split reads all of its
documents, ``DOCUMENT_ROWS`` at a time, shortest first, ``CHUNK`` characters per call. With
``finetune`` the LMs run on every batch and learn with the tagger (and follow its
train/eval mode: their dropout is on while training). The cache holds 4 bytes per value:
8 KB a word for two LMs of 1024 units.

``precision`` is how frozen LMs fill the cache, whatever the training step's own precision:
``"fp32"`` (autocast off) or ``"bf16"`` (bf16 autocast, the cache kept in bf16: half the
memory, and about 3 times faster on CPUs with bf16 matrix units such as Intel AMX; each value
keeps 8 significant bits, a relative rounding of at most 2^-9, and the LMs' matrix products
round their inputs the same way). The tagger always receives float32.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pad_sequence

from rnnkit.data.text import Vocab, char_tokenize

CONTEXTS = ("sentence", "document")  # what a frozen LM reads around a sentence
PRECISIONS = ("fp32", "bf16")  # how frozen LMs compute and keep their embeddings
CHUNK = 1024  # characters an LM reads per call; its state carries over to the next
DOCUMENT_ROWS = 32  # documents read side by side when filling the document cache


@dataclass
class Reading:
    """How one language model reads text: its vocabulary, its direction and its case."""

    vocab: Vocab
    reverse: bool = False  # a backward model (trained with data.reverse)
    lower: bool = False  # trained with data.lower

    @property
    def boundary(self) -> str:
        """The character around a sentence: a newline if the LM knows it, else a space."""
        return "\n" if "\n" in self.vocab else " "


def document_string(
    sentences: list[list[str]], reading: Reading
) -> tuple[list[str], list[list[int]], list[list[int]]]:
    """The characters of ``b s_1 b s_2 ... b s_m b`` in reading order (left to right), each
    sentence ``s_j = w_1 ␣ ... ␣ w_n``, and for each sentence the positions of its words'
    first and last characters.

    >>> chars, first, last = document_string([["EU", "rejects"], ["Bonn"]], Reading(Vocab(["\\n"])))
    >>> "".join(chars), first, last
    ('\\nEU rejects\\nBonn\\n', [[1, 4], [12]], [[2, 10], [15]])
    """
    chars, firsts, lasts = [reading.boundary], [], []
    for j, words in enumerate(sentences):
        if j:
            chars.append(reading.boundary)
        first, last = [], []
        for i, word in enumerate(words):
            if i:
                chars.append(" ")
            first.append(len(chars))
            chars.extend(char_tokenize(word, reading.lower) or [" "])
            last.append(len(chars) - 1)
        firsts.append(first)
        lasts.append(last)
    chars.append(reading.boundary)
    return chars, firsts, lasts


def sentence_string(words: list[str], reading: Reading) -> tuple[list[str], list[int], list[int]]:
    """The characters of ``b w_1 ␣ ... ␣ w_n b`` in reading order (left to right), and the
    positions of each word's first and last character in it: a document of one sentence.

    >>> chars, first, last = sentence_string(["EU", "rejects"], Reading(Vocab(["\\n"])))
    >>> "".join(chars), first, last
    ('\\nEU rejects\\n', [1, 4], [2, 10])
    """
    chars, firsts, lasts = document_string([words], reading)
    return chars, firsts[0], lasts[0]


def language_model_states(lm: nn.Module, ids: Tensor, state=None) -> tuple[Tensor, object]:
    """The top recurrent layer's outputs ``(N, T, H)`` of a :class:`~rnnkit.models.charlm.
    CharLM` reading ``ids`` ``(N, T)`` from ``state`` (None: zeros), and its final state: its
    own embedding, dropout and recurrent stack (:math:`h_t` of its docstring,
    :meth:`CharLM.encode`), without the output layer."""
    return lm.encode(ids, state)


class ContextualEmbeddings(nn.Module):
    """Word embeddings from character language models (see the module docstring).

    Args:
        lms: the language models (:class:`~rnnkit.models.charlm.CharLM`, unconditional).
        readings: how each reads text (:class:`Reading`), in the same order.
        finetune: train the LMs with the tagger; False freezes them and caches the embeddings.
        context: ``"sentence"`` (each sentence read alone, from a zero state) or
            ``"document"`` (frozen only: each document read once as one string, so a word's
            states also carry the sentences before it, forward, and after it, backward).
        precision: ``"fp32"`` or ``"bf16"`` (frozen only): the arithmetic the LMs fill the cache
            in and the cache's dtype (see the module docstring).

    Call arguments:
        sentences: N sentences, each a list of words (at least one word).
        places: with ``context = "document"``, where the sentences sit
            (:class:`~rnnkit.data.tagging.SentencePlaces`); None reads each sentence alone.

    Returns ``(N, L, C)``: L the longest sentence, ``C = out_features`` the sum of the LMs'
    hidden sizes; zeros after a sentence's end.
    """

    def __init__(
        self,
        lms: list[nn.Module],
        readings: list[Reading],
        finetune: bool = False,
        context: str = "sentence",
        precision: str = "fp32",
    ):
        super().__init__()
        if not lms or len(lms) != len(readings):
            raise ValueError(f"{len(lms)} language model(s) and {len(readings)} reading(s)")
        if context not in CONTEXTS or (finetune and context != "sentence"):
            raise ValueError(f"context must be one of {CONTEXTS} (sentence when fine-tuned)")
        if precision not in PRECISIONS or (finetune and precision != "fp32"):
            raise ValueError(f"precision must be one of {PRECISIONS} (fp32 when fine-tuned)")
        self.precision = precision
        self.lms = nn.ModuleList(lms)
        self.readings = readings
        self.finetune = finetune
        self.context = context
        self.out_features = sum(lm.rnn.out_features for lm in lms)
        self.cache: dict[tuple, Tensor] = {}  # frozen: sentence (or its place) -> (n, C), CPU
        if not finetune:
            self.lms.requires_grad_(False)
            self.lms.eval()

    def train(self, mode: bool = True) -> ContextualEmbeddings:
        """Frozen language models stay in eval mode (no dropout), whatever ``mode``."""
        super().train(mode)
        if not self.finetune:
            self.lms.eval()
        return self

    def forward(self, sentences: list[list[str]], places=None) -> Tensor:
        if self.finetune:
            return self.embed(sentences)
        if self.context == "document" and places is not None:
            keys = [(places.documents[d], j) for d, j in places.places]
            if any(k not in self.cache for k in keys):  # a split not read yet
                self._fill_documents(places.documents)
        else:
            keys = [tuple(words) for words in sentences]
            missing = list(dict.fromkeys(k for k in keys if k not in self.cache))
            if missing:
                with self._filling():
                    fresh = self._kept(self.embed([list(k) for k in missing]))
                for key, rows in zip(missing, fresh):
                    self.cache[key] = rows[: len(key)].clone()
        device = next(self.lms.parameters()).device
        rows = pad_sequence([self.cache[k] for k in keys], batch_first=True)
        return rows.to(device=device, dtype=torch.float32)

    def embed(self, sentences: list[list[str]]) -> Tensor:
        """The embeddings ``(N, L, C)`` computed now, by every language model, each sentence
        read alone."""
        documents = [[words] for words in sentences]
        parts = [self._read(lm, r, documents) for lm, r in zip(self.lms, self.readings)]
        rows = [torch.cat(words, dim=-1) for words in zip(*parts)]  # N of (n_words, C)
        return pad_sequence(rows, batch_first=True)

    def _fill_documents(self, documents: list[tuple[tuple[str, ...], ...]]) -> None:
        """Cache the embeddings of every sentence of every document not read yet: the
        documents shortest first, ``DOCUMENT_ROWS`` at a time."""
        todo = [d for d in dict.fromkeys(documents) if d and (d, 0) not in self.cache]
        todo.sort(key=lambda doc: sum(len(w) + 1 for words in doc for w in words))
        with self._filling():
            for a in range(0, len(todo), DOCUMENT_ROWS):
                group = [[list(words) for words in doc] for doc in todo[a : a + DOCUMENT_ROWS]]
                parts = [self._read(lm, r, group) for lm, r in zip(self.lms, self.readings)]
                for doc, words in zip(todo[a : a + DOCUMENT_ROWS], zip(*parts)):
                    states = self._kept(torch.cat(words, dim=-1))  # (words of doc, C)
                    for j, rows in enumerate(states.split([len(s) for s in doc])):
                        self.cache[(doc, j)] = rows.clone()

    def _filling(self) -> contextlib.ExitStack:
        """No gradient, and autocast as ``precision`` says (off for fp32, even inside a bf16
        training step)."""
        device = next(self.lms.parameters()).device
        stack = contextlib.ExitStack()
        stack.enter_context(torch.no_grad())
        if self.precision == "bf16":
            stack.enter_context(torch.autocast(device.type, dtype=torch.bfloat16))
        else:
            stack.enter_context(torch.autocast(device.type, enabled=False))
        return stack

    def _kept(self, states: Tensor) -> Tensor:
        """``states`` as the cache keeps them: on the CPU, in the dtype of ``precision``."""
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float32
        return states.to(device="cpu", dtype=dtype)

    def _read(self, lm: nn.Module, reading: Reading, documents: list[list[list[str]]]):
        """One LM's states at the words' edges: for each document ``(its words, H)``, its
        sentences' words end to end. The LM reads ``CHUNK`` characters at a time, carrying
        its state, so a long document needs no more memory than a short one."""
        device = next(lm.parameters()).device
        strings, picks = [], []
        for sentences in documents:
            chars, first, last = document_string(sentences, reading)
            if reading.reverse:  # read right to left: position p is T - 1 - p
                chars = chars[::-1]
                picks.append(torch.tensor([len(chars) - 1 - p for f in first for p in f]))
            else:
                picks.append(torch.tensor([p for positions in last for p in positions]))
            strings.append(torch.tensor(reading.vocab.encode(chars)))
        pad = reading.vocab[reading.boundary]  # after a string's end: never read back
        ids = pad_sequence(strings, batch_first=True, padding_value=pad).to(device)  # (N, T)
        index = pad_sequence(picks, batch_first=True, padding_value=-1).to(device)  # (N, W)
        out, state = None, None
        for start in range(0, ids.size(1), CHUNK):
            hidden, state = language_model_states(lm, ids[:, start : start + CHUNK], state)
            if out is None:
                out = hidden.new_zeros(*index.shape, hidden.size(-1))  # (N, W, H)
            here = (index >= start) & (index < start + hidden.size(1))
            rows, cols = here.nonzero(as_tuple=True)
            out = out.index_put((rows, cols), hidden[rows, index[rows, cols] - start])
        return [out[n, : len(p)] for n, p in enumerate(picks)]


__all__ = [
    "ContextualEmbeddings",
    "Reading",
    "document_string",
    "language_model_states",
    "sentence_string",
]
