"""Texts into id tensors, once: tokens, optional n-gram features, truncation, flat storage.

:class:`TextEncoder` turns a text into ``K`` parallel channels of ids, one position per
token: channel 0 is the token's id in the word (or character) :class:`Vocab`; with
``ngrams = n > 1``, channels 1 .. n-1 hold the id of the 2-gram, ..., n-gram *ending* at that
position (left-padded with ``<s>``) in a second vocabulary. A recurrent model then reads, at
step t, the token and its local context, the n-gram features of fastText fed into an RNN.

Long texts are cut to ``max_length`` tokens keeping the ``head``, the ``tail``, or ``both``
ends (the first ``max_length - max_length // 2`` and the last ``max_length // 2``).

:class:`Encoded` keeps every example's ids in one flat ``(T, K)`` int32 tensor with offsets,
and gathers a padded ``(N, L)`` (or ``(N, L, K)``) batch with one indexing operation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from rnnkit.data.text import UNK, Vocab
from rnnkit.errors import ConfigError, DataError

TRUNCATE = ("head", "tail", "both")
BOS = "<s>"


def truncate(items: Sequence, max_length: int, mode: str = "head") -> list:
    """At most ``max_length`` items (0 = all): the first, the last, or both ends.

    >>> truncate(list("abcdefg"), 4, "both")
    ['a', 'b', 'f', 'g']
    >>> truncate(list("abcdefg"), 3, "tail")
    ['e', 'f', 'g']
    """
    if mode not in TRUNCATE:
        raise ConfigError(f"data.truncate must be one of {', '.join(TRUNCATE)}, received {mode!r}")
    if not max_length or len(items) <= max_length:
        return list(items)
    if mode == "head":
        return list(items[:max_length])
    if mode == "tail":
        return list(items[len(items) - max_length :])
    tail = max_length // 2
    return list(items[: max_length - tail]) + list(items[len(items) - tail :])


def require_tokens(vocab: Vocab, source, min_freq: int) -> None:
    """Refuse a vocabulary built from ``source`` that holds nothing but its specials: every
    text would read as ``<unk>``."""
    if len(vocab) == len(vocab.specials):
        raise DataError(
            f"{source}: no token of the training texts is seen data.min_freq = {min_freq} "
            f"time(s), so the vocabulary would hold only {' and '.join(vocab.specials)}"
        )


def ngram_channels(tokens: Sequence[str], n: int) -> list[list[str]]:
    """For k = 2 .. n, the k-gram ending at every position, joined by spaces.

    >>> ngram_channels(["a", "b", "c"], 3)
    [['<s> a', 'a b', 'b c'], ['<s> <s> a', '<s> a b', 'a b c']]
    """
    padded = [BOS] * (n - 1) + list(tokens)
    return [
        [" ".join(padded[i + n - k : i + n]) for i in range(len(tokens))] for k in range(2, n + 1)
    ]


@dataclass
class Encoded:
    """Ids of M examples, flat: example i is ``ids[offsets[i] : offsets[i] + lengths[i]]``.

    - ids: ``(T, K)`` int32, T = total tokens, K = 1 + number of n-gram channels;
    - offsets, lengths: ``(M,)`` int64, every length >= 1;
    - truncated: how many examples were cut to ``max_length``.
    """

    ids: Tensor
    offsets: Tensor
    lengths: Tensor
    truncated: int = 0

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def channels(self) -> int:
        return self.ids.size(1)

    def batch(self, index: Tensor) -> tuple[Tensor, Tensor]:
        """Padded ids ``(N, L)`` (``(N, L, K)`` when K > 1) as int64, and lengths ``(N,)``.

        L is the longest example of the batch; padding positions hold 0 (``<pad>``).
        """
        index = torch.as_tensor(index, dtype=torch.long)
        lengths = self.lengths[index]
        steps = torch.arange(int(lengths.max()))
        valid = steps[None, :] < lengths[:, None]  # (N, L)
        positions = (self.offsets[index][:, None] + steps[None, :]).clamp_(max=len(self.ids) - 1)
        x = self.ids[positions].long() * valid[..., None]  # (N, L, K)
        return (x[..., 0] if self.channels == 1 else x), lengths


class TextEncoder:
    """``text -> ids``: a tokenizer, the token vocabulary, optional n-gram vocabulary, and
    the truncation rule. An empty text becomes the single token ``<unk>``."""

    def __init__(
        self,
        tokenize: Callable[[str], list[str]],
        vocab: Vocab,
        ngram_vocab: Vocab | None = None,
        ngrams: int = 1,
        max_length: int = 0,
        truncate: str = "head",
    ) -> None:
        if ngrams < 1:
            raise ConfigError(f"data.ngrams must be >= 1, received {ngrams}")
        if ngrams > 1 and ngram_vocab is None:
            raise ValueError(f"ngrams={ngrams} needs an ngram_vocab")
        if max_length < 0:
            raise ConfigError(f"data.max_length must be >= 0 (0 = no limit), received {max_length}")
        if truncate not in TRUNCATE:
            raise ConfigError(
                f"data.truncate must be one of {', '.join(TRUNCATE)}, received {truncate!r}"
            )
        self.tokenize, self.vocab, self.ngram_vocab = tokenize, vocab, ngram_vocab
        self.ngrams, self.max_length, self.truncate = ngrams, max_length, truncate

    def tokens(self, text: str) -> list[str]:
        return self.tokenize(text) or [UNK]

    def tokenize_all(self, texts: Sequence[str]) -> list[list[str]]:
        return [self.tokens(t) for t in texts]

    @staticmethod
    def build_vocabs(
        token_lists: Sequence[list[str]],
        *,
        min_freq: int = 1,
        max_size: int = 0,
        ngrams: int = 1,
        ngram_min_freq: int = 2,
        ngram_max_size: int = 0,
    ) -> tuple[Vocab, Vocab | None]:
        """The token vocabulary and, when ``ngrams > 1``, the n-gram vocabulary."""
        vocab = Vocab.build(token_lists, min_freq=min_freq, max_size=max_size)
        if ngrams == 1:
            return vocab, None
        grams = (g for tokens in token_lists for ch in ngram_channels(tokens, ngrams) for g in ch)
        ngram_vocab = Vocab.build([grams], min_freq=ngram_min_freq, max_size=ngram_max_size)
        return vocab, ngram_vocab

    def encode_tokens(self, token_lists: Sequence[list[str]]) -> Encoded:
        """Ids of already tokenised texts (see :class:`Encoded`)."""
        chunks, lengths, cut = [], [], 0
        for tokens in token_lists:
            tokens = tokens or [UNK]
            channels = [self.vocab.encode(tokens)]
            if self.ngrams > 1:
                channels += [
                    self.ngram_vocab.encode(g) for g in ngram_channels(tokens, self.ngrams)
                ]
            rows = truncate(list(zip(*channels)), self.max_length, self.truncate)
            cut += len(rows) < len(tokens)
            chunks.append(torch.tensor(rows, dtype=torch.int32))
            lengths.append(len(rows))
        lengths_t = torch.tensor(lengths, dtype=torch.long)
        offsets = torch.zeros_like(lengths_t)
        offsets[1:] = lengths_t.cumsum(0)[:-1]
        return Encoded(torch.cat(chunks), offsets, lengths_t, cut)

    def encode(self, texts: Sequence[str]) -> Encoded:
        return self.encode_tokens(self.tokenize_all(texts))
