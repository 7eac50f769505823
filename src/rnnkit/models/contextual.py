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

The word's embedding is the concatenation over the language models, in the order given:
``(sum of H_k)`` values, ``2 H`` for a forward/backward pair. (Flair's library takes, by
default, the state one character further, at the space after the word / before it; this is
the paper's definition.) Characters the LM never saw are its ``<unk>``. Case is folded when
the LM was trained with ``data.lower``.

Frozen (the default), the LMs stay in eval mode, get no gradient, and the embeddings of a
sentence are computed once and kept in memory (:attr:`ContextualEmbeddings.cache`, keyed by
the sentence's tokens), so later epochs and evaluations do not run the LMs again. With
``finetune`` the LMs run on every batch and learn with the tagger (and follow its
train/eval mode: their dropout is on while training). The cache holds 4 bytes per value:
8 KB a word for two LMs of 1024 units.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pad_sequence

from rnnkit.data.text import Vocab, char_tokenize


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


def sentence_string(words: list[str], reading: Reading) -> tuple[list[str], list[int], list[int]]:
    """The characters of ``b w_1 ␣ ... ␣ w_n b`` in reading order (left to right), and the
    positions of each word's first and last character in it.

    >>> chars, first, last = sentence_string(["EU", "rejects"], Reading(Vocab(["\\n"])))
    >>> "".join(chars), first, last
    ('\\nEU rejects\\n', [1, 4], [2, 10])
    """
    chars, first, last = [reading.boundary], [], []
    for i, word in enumerate(words):
        if i:
            chars.append(" ")
        first.append(len(chars))
        chars.extend(char_tokenize(word, reading.lower) or [" "])
        last.append(len(chars) - 1)
    chars.append(reading.boundary)
    return chars, first, last


def language_model_states(lm: nn.Module, ids: Tensor) -> Tensor:
    """The top recurrent layer's outputs ``(N, T, H)`` of a :class:`~rnnkit.models.charlm.
    CharLM` reading ``ids`` ``(N, T)`` from a zero state: its own embedding, dropout and
    recurrent stack (:math:`h_t` of its docstring, :meth:`CharLM.encode`), without the output
    layer."""
    hidden, _ = lm.encode(ids)
    return hidden


class ContextualEmbeddings(nn.Module):
    """Word embeddings from character language models (see the module docstring).

    Args:
        lms: the language models (:class:`~rnnkit.models.charlm.CharLM`, unconditional).
        readings: how each reads text (:class:`Reading`), in the same order.
        finetune: train the LMs with the tagger; False freezes them and caches the embeddings.

    Call arguments:
        sentences: N sentences, each a list of words (at least one word).

    Returns ``(N, L, C)``: L the longest sentence, ``C = out_features`` the sum of the LMs'
    hidden sizes; zeros after a sentence's end.
    """

    def __init__(self, lms: list[nn.Module], readings: list[Reading], finetune: bool = False):
        super().__init__()
        if not lms or len(lms) != len(readings):
            raise ValueError(f"{len(lms)} language model(s) and {len(readings)} reading(s)")
        self.lms = nn.ModuleList(lms)
        self.readings = readings
        self.finetune = finetune
        self.out_features = sum(lm.rnn.out_features for lm in lms)
        self.cache: dict[tuple[str, ...], Tensor] = {}  # frozen: sentence -> (n, C), on CPU
        if not finetune:
            self.lms.requires_grad_(False)
            self.lms.eval()

    def train(self, mode: bool = True) -> ContextualEmbeddings:
        """Frozen language models stay in eval mode (no dropout), whatever ``mode``."""
        super().train(mode)
        if not self.finetune:
            self.lms.eval()
        return self

    def forward(self, sentences: list[list[str]]) -> Tensor:
        if self.finetune:
            return self.embed(sentences)
        keys = [tuple(words) for words in sentences]
        missing = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if missing:
            with torch.no_grad():
                fresh = self.embed([list(k) for k in missing]).float().cpu()
            for key, rows in zip(missing, fresh):
                self.cache[key] = rows[: len(key)].clone()
        device = next(self.lms.parameters()).device
        return pad_sequence([self.cache[k] for k in keys], batch_first=True).to(device)

    def embed(self, sentences: list[list[str]]) -> Tensor:
        """The embeddings ``(N, L, C)`` computed now, by every language model."""
        parts = [self._read(lm, r, sentences) for lm, r in zip(self.lms, self.readings)]
        return torch.cat(parts, dim=-1)

    def _read(self, lm: nn.Module, reading: Reading, sentences: list[list[str]]) -> Tensor:
        """One LM's states at the words' edges ``(N, L, H)``, zeros at padding."""
        device = next(lm.parameters()).device
        strings, picks = [], []
        for words in sentences:
            chars, first, last = sentence_string(words, reading)
            if reading.reverse:  # read right to left: position p is T - 1 - p
                chars, picks_here = chars[::-1], [len(chars) - 1 - p for p in first]
            else:
                picks_here = last
            strings.append(torch.tensor(reading.vocab.encode(chars)))
            picks.append(torch.tensor(picks_here))
        pad = reading.vocab[reading.boundary]  # after a string's end: never read back
        ids = pad_sequence(strings, batch_first=True, padding_value=pad).to(device)  # (N, T)
        index = pad_sequence(picks, batch_first=True, padding_value=0).to(device)  # (N, L)
        hidden = language_model_states(lm, ids)  # (N, T, H)
        states = hidden.gather(1, index.unsqueeze(-1).expand(-1, -1, hidden.size(-1)))
        lengths = torch.tensor([len(p) for p in picks], device=device)
        real = torch.arange(index.size(1), device=device) < lengths[:, None]  # (N, L)
        return states * real.unsqueeze(-1).to(states.dtype)


__all__ = ["ContextualEmbeddings", "Reading", "language_model_states", "sentence_string"]
