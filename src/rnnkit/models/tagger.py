"""Sequence taggers: a BiLSTM(-CRF) with character features (Lample et al. 2016; Ma & Hovy
2016) or, with ``crf = false``, a softmax at every step (seed 004).

Each token is represented by the concatenation of

- a word embedding (``embedding_dim``; optionally initialised from pretrained vectors: a
  vectors file or the input embedding of a word-level LM run, :mod:`rnnkit.tasks.tag_vectors`;
  the rows of words that only the vectors know stay frozen,
  :class:`~rnnkit.models.frozen_rows.FrozenRowsEmbedding`),
- a casing embedding (``casing_dim``, 0 = none) of its shape (lower, UPPER, Initial, digits...),
- a character encoding of its form: the final states of a character BiLSTM
  (``2 * char_hidden_size``) or the max-pooled filters of a character CNN
  (``char_hidden_size`` filters of width ``char_kernel``), or nothing (``char_encoder="none"``),
- a document vector (``document_dim``, 0 = none), the same for every token of a document:
  ``tanh(W_d · mean of the word embeddings of every token of the document)``, a learned
  summary of what the whole document is about (sport results, politics, markets),
- contextual string embeddings (``contextual``, the run folders of character language models,
  e.g. a forward and a backward one): each LM's state at the word's edges in the sentence
  (:mod:`rnnkit.models.contextual`, Akbik et al. 2018), frozen and computed once per
  sentence unless ``contextual_finetune``; with ``contextual_context = "document"`` the LMs
  read each document whole, so the states also carry the sentences around the word.

Dropout, then any rnnkit recurrent layer (``cell``, ``hidden_size``, ``num_layers``,
``bidirectional``, ``backend``) over the packed sentence, dropout, and a Linear to tag scores
``(N, L, K)``. The two dropouts are element-wise, or with ``locked_dropout`` one mask per
sentence; ``token_dropout`` also zeroes whole tokens there (Flair's tagger: locked 0.5, token
0.05; :mod:`rnnkit.models.sequence_dropout`).

With ``repeat_context``, the Linear also reads, for each token, the mean of the recurrent
states of the *other* mentions of the same (lower-cased) word in the document, and a flag
saying whether there are any: "Blackburn" alone in a later sentence then sees the state of
"Peter Blackburn" earlier on (non-local features, as in Ratinov & Roth 2009). This needs every
sentence of a document in the same batch (the task batches whole documents). With
``context_layer``, one more recurrent layer (same cell and size) reads the state and that
context, so that the neighbours of a mention see its context too, before the Linear.

The loss is the negative log-likelihood of the gold tag sequence per sentence, averaged over
the batch: under the CRF, ``log Z - score(y)``; under the softmax, the sum of
the tokens' cross-entropies (so the two losses have the same scale).

Contract: ``forward(batch, tags=None) -> (scores, loss)``; ``decode(batch) -> (N, L)`` tag ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from rnnkit.config import FRACTION, ModelConfig
from rnnkit.data.tagging import CASING, TagBatch
from rnnkit.errors import ConfigError
from rnnkit.models.common import recurrent_from_config
from rnnkit.models.contextual import CONTEXTS, PRECISIONS
from rnnkit.models.frozen_rows import FrozenRowsEmbedding
from rnnkit.models.sequence_dropout import locked_dropout, token_dropout
from rnnkit.nn import LSTM, pack, unpack
from rnnkit.nn.crf import CRF

CHAR_ENCODERS = ("lstm", "cnn", "none")


@dataclass
class TaggerModel(ModelConfig):
    """``[model]`` of task ``tag``."""

    ranges: ClassVar[dict] = {"token_dropout": FRACTION}

    hidden_size: int = 100  # per direction of the sentence layer
    bidirectional: bool = True
    dropout: float = 0.5  # on the token representation, between layers and before the head
    crf: bool = True  # CRF (Viterbi decoding) or a softmax at every step
    embedding_dim: int = 100  # word embedding size (= the vectors' size when vectors is set)
    vectors: str = ""  # pretrained word vectors: a GloVe / word2vec / fastText text file, or
    # the run folder of a word-level LM (task lm, data.level word): its input embedding
    vectors_vocab: bool = False  # every word with a vector joins the vocabulary (else only
    # the training words): words unseen in training keep their vector (frozen) over <unk>
    char_encoder: str = "lstm"  # lstm | cnn | none
    char_dim: int = 25  # character embedding size
    char_hidden_size: int = 25  # char BiLSTM size per direction, or the number of CNN filters
    char_kernel: int = 3  # width of the CNN filters
    casing_dim: int = 8  # size of the casing-feature embedding (0 = none): the words are
    # lower-cased by default, and Initial/UPPER/digits tell names and numbers apart
    document_dim: int = 32  # size of the document vector (0 = none), see the module docstring:
    # what the document is about (sport, markets); chosen on eng.testa for CoNLL-2003
    repeat_context: bool = False  # add the mean state of the word's other mentions in the document
    context_layer: bool = False  # with repeat_context: one more recurrent layer reads both
    contextual: list[str] = field(default_factory=list)  # run folders of char LMs (task lm,
    # e.g. [forward, backward]) whose states at each word's edges join its features (flair)
    contextual_finetune: bool = False  # train the LMs with the tagger, instead of freezing
    # them and computing each sentence's embeddings once (far slower)
    contextual_context: str = "sentence"  # sentence: each sentence read alone by the LMs;
    # document: each document read as one text, sentences before and after included (frozen)
    locked_dropout: bool = False  # the dropouts around the sentence layer draw one mask per
    # sentence, shared by its words (variational), instead of one per value
    token_dropout: float = 0.0  # training: each token's whole input and output of the sentence
    # layer is zeroed with this probability (Flair: 0.05)
    contextual_precision: str = "fp32"  # fp32 | bf16: the frozen LMs read in bf16 and the
    # cache keeps bf16 (half the memory, ~3x faster with AMX; values rounded to 8 bits)


def check_tagger_config(cfg: TaggerModel) -> None:
    """Refuse choices the types do not catch, before any weight is built."""
    if cfg.char_encoder not in CHAR_ENCODERS:
        raise ConfigError(
            f"model.char_encoder must be one of {', '.join(CHAR_ENCODERS)}, "
            f"received {cfg.char_encoder!r}"
        )
    for key in ("embedding_dim", "char_dim", "char_hidden_size", "char_kernel"):
        if getattr(cfg, key) < 1:
            raise ConfigError(f"model.{key} must be positive, received {getattr(cfg, key)}")
    for key in ("casing_dim", "document_dim"):
        if getattr(cfg, key) < 0:
            raise ConfigError(f"model.{key} must be >= 0, received {getattr(cfg, key)}")
    if cfg.contextual_context not in CONTEXTS:
        raise ConfigError(
            f"model.contextual_context must be one of {', '.join(CONTEXTS)}, "
            f"received {cfg.contextual_context!r}"
        )
    if cfg.contextual_context == "document" and cfg.contextual_finetune:
        raise ConfigError(
            "model.contextual_context = 'document' reads frozen language models, "
            "received model.contextual_finetune = true"
        )
    if cfg.contextual_precision not in PRECISIONS:
        raise ConfigError(
            f"model.contextual_precision must be one of {', '.join(PRECISIONS)}, "
            f"received {cfg.contextual_precision!r}"
        )
    if cfg.contextual_precision != "fp32" and cfg.contextual_finetune:
        raise ConfigError(
            f"model.contextual_precision = {cfg.contextual_precision!r} sets how frozen language "
            "models fill their cache, received model.contextual_finetune = true"
        )
    if cfg.contextual_finetune and not cfg.contextual:
        raise ConfigError(
            "model.contextual_finetune needs model.contextual (language-model run folders), "
            "received an empty list"
        )
    if cfg.vectors_vocab and not cfg.vectors:
        raise ConfigError(
            "model.vectors_vocab needs model.vectors (a vectors file or a word-level LM run), "
            "received an empty path"
        )


class CharLSTM(nn.Module):
    """Final forward and backward states of a BiLSTM over the characters of each form.

    Input ``chars`` ``(U, W)`` ids (0 = padding) and ``lengths`` ``(U,)``; output
    ``(U, 2 * hidden_size)``.
    """

    def __init__(self, num_chars: int, char_dim: int, hidden_size: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_chars, char_dim, padding_idx=0)
        self.lstm = LSTM(char_dim, hidden_size, batch_first=True, bidirectional=True)
        self.out_features = 2 * hidden_size

    def forward(self, chars: Tensor, lengths: Tensor) -> Tensor:
        packed = pack(self.embedding(chars), lengths, batch_first=True)
        _, (h_n, _) = self.lstm(packed)  # h_n (2, U, H): forward, backward
        return torch.cat([h_n[0], h_n[1]], dim=1)


class CharCNN(nn.Module):
    """Max over positions of a 1-D convolution over the characters of each form (Ma & Hovy).

    Input ``chars`` ``(U, W)`` and ``lengths`` ``(U,)``; output ``(U, filters)``.
    """

    def __init__(self, num_chars: int, char_dim: int, filters: int, kernel: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_chars, char_dim, padding_idx=0)
        self.conv = nn.Conv1d(char_dim, filters, kernel, padding=kernel // 2)
        self.out_features = filters

    def forward(self, chars: Tensor, lengths: Tensor) -> Tensor:
        x = self.embedding(chars).transpose(1, 2)  # (U, C, W)
        y = self.conv(x)[:, :, : chars.size(1)]  # (U, F, W)
        real = torch.arange(chars.size(1), device=chars.device) < lengths.to(chars.device)[:, None]
        return y.masked_fill(~real.unsqueeze(1), float("-inf")).max(dim=2).values


def dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """Inverted dropout, ``x * (u >= p) / (1 - p)`` with ``u ~ U[0, 1)``: the same law as
    ``F.dropout``, about three times faster on CPU (a uniform draw instead of Bernoulli)."""
    if not training or p == 0.0:
        return x
    return x * (torch.rand_like(x) >= p).to(x.dtype) / (1.0 - p)


def with_data(packed: PackedSequence, data: Tensor) -> PackedSequence:
    """``packed`` with its data ``(T, *)`` replaced."""
    return PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)


def other_mentions(hidden: Tensor, batch: TagBatch, mask: Tensor) -> Tensor:
    """For each token, the mean of ``hidden`` over the other tokens of its document with the
    same lower-cased form, and a 0/1 flag for "there are some": ``(N, L, H + 1)`` from
    ``hidden`` ``(N, L, H)``; zeros where the word occurs once in its document or at padding.
    """
    n, length, size = hidden.shape
    states = hidden[mask]  # (T, H)
    documents = batch.bag_index.unsqueeze(1).expand(n, length)[mask]
    keys = documents * (int(batch.keys.max()) + 1) + batch.keys[mask]
    _, group = torch.unique(keys, return_inverse=True)
    sums = states.new_zeros(int(group.max()) + 1, size).index_add_(0, group, states)
    counts = torch.bincount(group).to(states.dtype)[group].unsqueeze(1)  # (T, 1)
    others = (sums[group] - states) / (counts - 1).clamp(min=1)
    flag = (counts > 1).to(states.dtype)
    out = hidden.new_zeros(n, length, size + 1)
    out[mask] = torch.cat([others * flag, flag], dim=1)
    return out


class Tagger(nn.Module):
    """Token features -> recurrent layer -> tag scores, with a CRF or per-step softmax.

    Args:
        cfg: the ``[model]`` section. num_words, num_chars, num_tags: vocabulary sizes.
        constraints: ``(allowed, allowed_start, allowed_end)`` for the CRF (see
            :class:`~rnnkit.nn.crf.CRF`), or None.
        embeddings: optional ``(num_words, embedding_dim)`` initial word vectors.
        trained_words: how many leading words learn their vectors (None: all). The others
            (words only the pretrained vectors know, ``model.vectors_vocab``) keep them
            frozen: :class:`~rnnkit.models.frozen_rows.FrozenRowsEmbedding`.
        contextual: optional :class:`~rnnkit.models.contextual.ContextualEmbeddings`, read
            on the batch's ``tokens``.
    """

    def __init__(
        self,
        cfg: TaggerModel,
        num_words: int,
        num_chars: int,
        num_tags: int,
        constraints=None,
        embeddings: Tensor | None = None,
        contextual: nn.Module | None = None,
        trained_words: int | None = None,
    ) -> None:
        super().__init__()
        check_tagger_config(cfg)
        self.words: nn.Embedding | FrozenRowsEmbedding
        self.words = nn.Embedding(num_words, cfg.embedding_dim, padding_idx=0)
        if embeddings is not None:
            self.words.weight.data.copy_(embeddings)
        if trained_words is not None and trained_words < num_words:
            self.words = FrozenRowsEmbedding(self.words.weight.data, trained_words)
        width = cfg.embedding_dim
        self.casing = None
        if cfg.casing_dim:
            self.casing = nn.Embedding(len(CASING), cfg.casing_dim, padding_idx=0)
            width += cfg.casing_dim
        self.chars: nn.Module | None = None
        if cfg.char_encoder == "lstm":
            self.chars = CharLSTM(num_chars, cfg.char_dim, cfg.char_hidden_size)
        elif cfg.char_encoder == "cnn":
            self.chars = CharCNN(num_chars, cfg.char_dim, cfg.char_hidden_size, cfg.char_kernel)
        width += self.chars.out_features if self.chars is not None else 0
        self.document = None
        if cfg.document_dim:
            self.document = nn.Linear(cfg.embedding_dim, cfg.document_dim)
            width += cfg.document_dim
        self.contextual = contextual
        width += contextual.out_features if contextual is not None else 0
        self.p, self.locked, self.p_token = cfg.dropout, cfg.locked_dropout, cfg.token_dropout
        self.rnn = recurrent_from_config(cfg, width)
        self.repeat_context = cfg.repeat_context
        width = self.rnn.out_features * (2 if cfg.repeat_context else 1) + cfg.repeat_context
        self.context_rnn = None
        if cfg.repeat_context and cfg.context_layer:
            self.context_rnn = recurrent_from_config(replace(cfg, num_layers=1), width)
            width = self.context_rnn.out_features
        self.head = nn.Linear(width, num_tags)
        self.crf = CRF(num_tags, *(constraints or ())) if cfg.crf else None

    def features(self, batch: TagBatch) -> Tensor:
        """Token representations ``(N, L, width)``."""
        parts = [self.words(batch.words)]
        if self.casing is not None:
            parts.append(self.casing(batch.casing))
        if self.chars is not None:
            forms = self.chars(batch.chars, batch.char_lengths)  # (U, C)
            parts.append(forms[batch.char_index])  # (N, L, C)
        if self.document is not None:
            if isinstance(self.words, FrozenRowsEmbedding):
                bags = self.words.bag_mean(batch.bag_words, batch.bag_offsets)
            else:
                bags = F.embedding_bag(
                    batch.bag_words,
                    self.words.weight,
                    batch.bag_offsets,
                    mode="mean",
                    padding_idx=0,
                )  # (B, E)
            documents = torch.tanh(self.document(bags))[batch.bag_index]  # (N, D)
            parts.append(documents.unsqueeze(1).expand(-1, batch.words.size(1), -1))
        if self.contextual is not None:
            if batch.tokens is None:
                raise ValueError("contextual embeddings read the batch's tokens, which is None")
            embedded = self.contextual(batch.tokens, batch.places)  # (N, L, C)
            parts.append(embedded.to(parts[0].dtype))
        return torch.cat(parts, dim=-1)

    def forward(self, batch: TagBatch, tags: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """Tag scores ``(N, L, K)`` and, with ``tags`` ``(N, L)``, the mean sentence NLL."""
        x = self.features(batch)  # (N, L, F)
        if self.locked or self.p_token:
            packed, _ = self.rnn(pack(self._drop(x), batch.lengths, batch_first=True))
            hidden, _ = unpack(packed, batch_first=True, total_length=x.size(1))
            hidden = self._drop(hidden)  # (N, L, D*H)
        else:
            packed = pack(x, batch.lengths, batch_first=True)  # dropout on real tokens only
            packed, _ = self.rnn(with_data(packed, dropout(packed.data, self.p, self.training)))
            packed = with_data(packed, dropout(packed.data, self.p, self.training))
            hidden, _ = unpack(packed, batch_first=True, total_length=x.size(1))  # (N, L, D*H)
        mask = batch.mask
        if self.repeat_context:
            hidden = torch.cat([hidden, other_mentions(hidden, batch, mask)], dim=-1)
        if self.context_rnn is not None:
            packed, _ = self.context_rnn(pack(hidden, batch.lengths, batch_first=True))
            packed = with_data(packed, dropout(packed.data, self.p, self.training))
            hidden, _ = unpack(packed, batch_first=True, total_length=x.size(1))
        scores = self.head(hidden)
        if tags is None:
            return scores, None
        if self.crf is not None:
            return scores, self.crf.nll(scores, tags, mask).mean()
        token_loss = F.cross_entropy(scores.transpose(1, 2), tags, reduction="none")  # (N, L)
        return scores, (token_loss * mask).sum(1).mean()

    def _drop(self, x: Tensor) -> Tensor:
        """Token dropout, then locked or element-wise dropout, on padded ``x`` ``(N, L, F)``."""
        x = token_dropout(x, self.p_token, self.training)
        if self.locked:
            return locked_dropout(x, self.p, self.training)
        return dropout(x, self.p, self.training)

    @torch.no_grad()
    def best_tags(self, scores: Tensor, mask: Tensor) -> Tensor:
        """Best tag ids ``(N, L)`` for ``scores`` ``(N, L, K)``, 0 at padding: Viterbi under
        the CRF, else the per-step argmax."""
        if self.crf is not None:
            return self.crf.decode(scores, mask)[0]
        return scores.argmax(-1).masked_fill(~mask, 0)

    def tag_probabilities(self, scores: Tensor, mask: Tensor) -> Tensor:
        """``p(tag | sentence)`` at each position ``(N, L, K)``, 0 at padding: the CRF's
        marginals, else the softmax of the scores."""
        if self.crf is not None:
            return self.crf.marginals(scores, mask)
        return scores.float().softmax(-1) * mask.unsqueeze(-1)

    @torch.no_grad()
    def decode(self, batch: TagBatch) -> Tensor:
        """Best tag ids ``(N, L)`` of a batch, 0 at padding."""
        return self.best_tags(self.forward(batch)[0], batch.mask)
