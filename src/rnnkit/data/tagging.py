"""Sentences of tokens and tags into tensors for a tagger, and batches of them.

A split is encoded once (:func:`encode_split`) into padded integer tensors; a batch
(:func:`make_batch`) slices them and gathers the characters of the *distinct* word forms of
the batch only, so the character encoder runs once per form rather than once per token.

Token features:

- ``words``: word ids after the optional normalisation (:func:`normalise`: lower case, digits
  to 0); unknown words are ``<unk>`` (id 1), padding is 0.
- ``casing``: one of :data:`CASING` (id 0 is padding), computed on the original token, so that
  lower-cased word ids lose nothing the tagger needs.
- characters of the original token (NFC, at most ``max_word_length``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import torch
from torch import Tensor

from rnnkit.data.batching import IndexBatches
from rnnkit.data.text import Vocab

CASING = (
    "<pad>",
    "numeric",  # 1996
    "mostly_numeric",  # 12.5, 3-0
    "contains_digit",  # F-16
    "lower",  # rejects
    "upper",  # EU
    "initial_upper",  # German
    "mixed",  # iPhone
    "other",  # . , -- (no letter, no digit)
)


def normalise(token: str, lower: bool = False, zero_digits: bool = False) -> str:
    """The form looked up in the word vocabulary: ``"Sept. 1996" -> "sept. 0000"`` with both
    options."""
    if lower:
        token = token.lower()
    if zero_digits:
        token = "".join("0" if c.isdigit() else c for c in token)
    return token


def casing(token: str) -> int:
    """Index in :data:`CASING` of a token's shape."""
    digits = sum(c.isdigit() for c in token)
    if digits == len(token):
        return 1
    if digits / len(token) > 0.5:
        return 2
    if digits:
        return 3
    if not any(c.isalpha() for c in token):
        return 8
    if token.islower():
        return 4
    if token.isupper():
        return 5
    if token[0].isupper():
        return 6
    return 7


@dataclass
class SentencePlaces:
    """Where the sentences of a batch sit in their split: ``documents`` every document of the
    split, each the tuple of its sentences' tokens (the same object for every batch of the
    split), and ``places`` ``(d, j)`` for each sentence of the batch: sentence j of document
    d. What contextual embeddings with document context read
    (:class:`~rnnkit.models.contextual.ContextualEmbeddings`)."""

    documents: list[tuple[tuple[str, ...], ...]]
    places: list[tuple[int, int]]


@dataclass
class EncodedSplit:
    """A split as tensors. S sentences, L_max the longest, T distinct forms, W the longest
    form (in characters, capped).

    ``words``, ``casing``, ``forms``, ``tags``: ``(S, L_max)`` long, 0 at padding;
    ``lengths`` ``(S,)``; ``form_chars`` ``(T, W)`` character ids of each distinct form (form 0
    is padding: one ``<pad>`` character); ``form_lengths`` ``(T,)``; ``documents`` ``(S,)``
    the document of each sentence, and ``document_words`` the word ids of document d at
    ``document_words[document_offsets[d] : document_offsets[d + 1]]``; ``keys`` ``(S, L_max)``
    the id of each token's lower-cased form (0 at padding), to find repeated words.
    ``pieces``: when long sentences were cut (:func:`~rnnkit.data.conll.cut_long`), the
    number of rows each sentence became, else None. ``tokens``: the sentences' tokens as
    read (what contextual string embeddings read).
    """

    words: Tensor
    casing: Tensor
    forms: Tensor
    tags: Tensor
    lengths: Tensor
    form_chars: Tensor
    form_lengths: Tensor
    documents: Tensor
    document_words: Tensor
    document_offsets: Tensor
    keys: Tensor
    pieces: list[int] | None = None
    tokens: list[list[str]] | None = None
    _places: SentencePlaces | None = field(default=None, init=False, repr=False)

    def __len__(self) -> int:
        return len(self.lengths)

    def places(self) -> SentencePlaces | None:
        """Every sentence's place in its document (None without tokens), made once."""
        if self.tokens is None:
            return None
        if self._places is None:
            documents: list[list[tuple[str, ...]]] = []
            places = []
            for i, d in enumerate(self.documents.tolist()):
                while len(documents) <= d:
                    documents.append([])
                places.append((d, len(documents[d])))
                documents[d].append(tuple(self.tokens[i]))
            self._places = SentencePlaces([tuple(doc) for doc in documents], places)
        return self._places


@dataclass
class TagBatch:
    """One batch for :class:`~rnnkit.models.tagger.Tagger`. N sentences, L the longest, U
    distinct forms, W their longest.

    ``words``, ``casing``, ``char_index``: ``(N, L)`` long; ``chars`` ``(U, W)``;
    ``char_lengths`` ``(U,)``; ``lengths`` ``(N,)`` (CPU); ``tags`` ``(N, L)`` or None;
    ``char_index[n, t]`` is the row of ``chars`` holding token t of sentence n. The B distinct
    documents of the batch: ``bag_words`` their word ids end to end, ``bag_offsets`` ``(B,)``
    where each starts, ``bag_index`` ``(N,)`` the document of each sentence. ``keys``
    ``(N, L)`` lower-cased form ids. ``tokens``: the N sentences' tokens as read, or None.
    """

    words: Tensor
    casing: Tensor
    chars: Tensor
    char_lengths: Tensor
    char_index: Tensor
    lengths: Tensor
    tags: Tensor | None = None
    bag_words: Tensor | None = None
    bag_offsets: Tensor | None = None
    bag_index: Tensor | None = None
    keys: Tensor | None = None
    tokens: list[list[str]] | None = None
    places: SentencePlaces | None = None

    @property
    def mask(self) -> Tensor:
        """``(N, L)`` bool, True on real tokens."""
        positions = torch.arange(self.words.size(1), device=self.words.device)
        return positions < self.lengths.to(self.words.device).unsqueeze(1)

    def to(self, device) -> TagBatch:
        move = lambda t: None if t is None else t.to(device)  # noqa: E731
        return TagBatch(
            move(self.words),
            move(self.casing),
            move(self.chars),
            self.char_lengths,
            move(self.char_index),
            self.lengths,
            move(self.tags),
            move(self.bag_words),
            move(self.bag_offsets),
            move(self.bag_index),
            move(self.keys),
            self.tokens,
            self.places,
        )


def char_ids(form: str, chars: Vocab, max_length: int) -> list[int]:
    """Character ids of a form (NFC), at most ``max_length`` of them."""
    return chars.encode(unicodedata.normalize("NFC", form)[:max_length]) or [chars.unk_index]


def encode_split(
    sentences: list[list[str]],
    tags: list[list[int]] | None,
    words: Vocab,
    chars: Vocab,
    *,
    lower: bool = False,
    zero_digits: bool = False,
    max_word_length: int = 40,
    documents: list[int] | None = None,
) -> EncodedSplit:
    """Tensors for tokenised sentences and their tag ids (``tags`` None: all zeros);
    ``documents`` numbers the document of each sentence 0, 1, ... (None: one document)."""
    n = len(sentences)
    longest = max(len(s) for s in sentences)
    word_ids = torch.zeros(n, longest, dtype=torch.long)
    shape_ids = torch.zeros(n, longest, dtype=torch.long)
    form_ids = torch.zeros(n, longest, dtype=torch.long)
    tag_ids = torch.zeros(n, longest, dtype=torch.long)
    key_ids = torch.zeros(n, longest, dtype=torch.long)
    table: dict[str, int] = {"": 0}
    lowered: dict[str, int] = {"": 0}
    for i, tokens in enumerate(sentences):
        word_ids[i, : len(tokens)] = torch.tensor(
            words.encode(normalise(t, lower, zero_digits) for t in tokens)
        )
        shape_ids[i, : len(tokens)] = torch.tensor([casing(t) for t in tokens])
        form_ids[i, : len(tokens)] = torch.tensor([table.setdefault(t, len(table)) for t in tokens])
        key_ids[i, : len(tokens)] = torch.tensor(
            [lowered.setdefault(t.lower(), len(lowered)) for t in tokens]
        )
        if tags is not None:
            tag_ids[i, : len(tokens)] = torch.tensor(tags[i])
    encoded = [[chars.pad_index]] + [char_ids(f, chars, max_word_length) for f in list(table)[1:]]
    width = max(len(c) for c in encoded)
    form_chars = torch.zeros(len(encoded), width, dtype=torch.long)
    for k, ids in enumerate(encoded):
        form_chars[k, : len(ids)] = torch.tensor(ids)
    lengths = torch.tensor([len(s) for s in sentences])
    form_lengths = torch.tensor([len(c) for c in encoded])
    docs = torch.tensor(documents if documents is not None else [0] * n)
    flat = word_ids[torch.arange(longest) < lengths[:, None]]  # every word, sentence by sentence
    if bool((docs[1:] < docs[:-1]).any()):
        raise ValueError("documents must number the sentences in order (0, 0, 1, 1, 2, ...)")
    sizes = torch.zeros(int(docs.max()) + 1, dtype=torch.long).index_add_(0, docs, lengths)
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), sizes.cumsum(0)])
    return EncodedSplit(
        word_ids,
        shape_ids,
        form_ids,
        tag_ids,
        lengths,
        form_chars,
        form_lengths,
        docs,
        flat,
        offsets,
        key_ids,
        tokens=[list(s) for s in sentences],
    )


def make_batch(split: EncodedSplit, index: Tensor) -> TagBatch:
    """The batch of the sentences ``index`` (a 1-D tensor of sentence numbers)."""
    lengths = split.lengths[index]
    longest = int(lengths.max())
    words = split.words[index, :longest]
    forms = split.forms[index, :longest]
    unique, inverse = torch.unique(forms, return_inverse=True)
    char_lengths = split.form_lengths[unique]
    chars = split.form_chars[unique, : int(char_lengths.max())]
    docs, bag_index = torch.unique(split.documents[index], return_inverse=True)
    starts, ends = split.document_offsets[docs], split.document_offsets[docs + 1]
    bag_words = torch.cat(
        [split.document_words[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
    )
    bag_offsets = torch.cat([torch.zeros(1, dtype=torch.long), (ends - starts).cumsum(0)[:-1]])
    return TagBatch(
        words=words,
        casing=split.casing[index, :longest],
        chars=chars,
        char_lengths=char_lengths,
        char_index=inverse,
        lengths=lengths,
        tags=split.tags[index, :longest],
        bag_words=bag_words,
        bag_offsets=bag_offsets,
        bag_index=bag_index,
        keys=split.keys[index, :longest],
        tokens=None if split.tokens is None else [split.tokens[i] for i in index.tolist()],
        places=_batch_places(split, index),
    )


def _batch_places(split: EncodedSplit, index: Tensor) -> SentencePlaces | None:
    every = split.places()
    if every is None:
        return None
    return SentencePlaces(every.documents, [every.places[i] for i in index.tolist()])


class DocumentBatches:
    """Batches of whole documents, so that a batch holds every sentence of its documents.

    ``documents`` ``(S,)`` numbers the document of each sentence (0, 0, 1, ...). ``batch_size``
    is in sentences: each batch has ``round(batch_size / mean sentences per document)``
    documents (at least one), bucketed by size as :class:`IndexBatches` does, so the number of
    batches per epoch is fixed. Yields sentence indices, document by document.
    """

    def __init__(
        self, documents: Tensor, batch_size: int, *, shuffle: bool = True, seed: int = 0
    ) -> None:
        self.counts = torch.bincount(documents)
        self.starts = torch.cat([torch.zeros(1, dtype=torch.long), self.counts.cumsum(0)[:-1]])
        per_batch = max(1, round(batch_size * len(self.counts) / len(documents)))
        self.batches = IndexBatches(
            len(self.counts), per_batch, shuffle=shuffle, seed=seed, lengths=self.counts
        )

    def __len__(self) -> int:
        return len(self.batches)

    def _sentences(self, docs: Tensor) -> Tensor:
        ranges = [(int(self.starts[d]), int(self.starts[d] + self.counts[d])) for d in docs]
        return torch.cat([torch.arange(a, b) for a, b in ranges])

    def global_batches(self, epoch: int) -> list[Tensor]:
        return [self._sentences(docs) for docs in self.batches.global_batches(epoch)]

    def epoch(self, epoch: int, rank: int = 0, world: int = 1):
        for docs in self.batches.epoch(epoch, rank, world):
            yield self._sentences(docs)
