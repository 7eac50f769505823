"""Sequence classifiers: many-to-one, ``forward(x, lengths, targets=None) -> (logits, loss)``.

Shapes: N batch, L longest sequence of the batch, K id channels (1, or 1 + n-gram channels),
E embedding size, D directions, H hidden size, C classes.

- ``x``: ``(N, L)`` token ids (``(N, L, K)`` with n-gram channels), padded with 0 after
  ``lengths (N,)``; any order of lengths, every length >= 1.
- ``logits``: ``(N, C)``; ``loss``: the mean cross-entropy against ``targets (N,)`` int64
  (None without targets).

:class:`TextClassifier` is the general model: embedding (optionally from pretrained vectors,
frozen or fine-tuned, plus n-gram embeddings) -> any rnnkit recurrent layer over the valid
steps (a packed batch; a padded one for one direction on torch's kernel) -> pooling over the
valid steps only -> dropout -> Linear. :class:`ScratchCharRNN` is
seed 003's from-scratch classifier.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import ModelConfig
from rnnkit.errors import ConfigError
from rnnkit.models.common import recurrent_from_config, recurrent_layer_groups, run_over_lengths
from rnnkit.models.pooling import Pooling, parse_pooling

KINDS = ("rnn", "scratch003")


@dataclass
class ClassifyModel(ModelConfig):
    """The ``[model]`` section of task ``classify``."""

    kind: str = "rnn"  # rnn (embedding -> recurrent layer -> pooling) | scratch003 (seed 003)
    cell: str = "gru"  # fewer weights than an LSTM, as accurate on IMDB and names
    backend: str = "scratch"  # on a CPU rnnkit's loop trains packed batches of GRUs faster
    # than torch's kernel: 1.7x at 64 units, 4x on IMDB-long texts (RESULTS.md); native on GPU
    bidirectional: bool = True  # every step sees both sides of the text
    dropout: float = 0.5  # before the head (the tuned IMDB and names models: 0.5)
    embedding_dim: int = 64  # E; must equal the vectors' dimension when `vectors` is set
    embedding_std: float = 0.0  # rows start as N(0, std^2); 0 = auto: 0.1 for words, 1.0
    # (torch's) for characters. Adam moves a coordinate by about lr a step, so the N(0, 1) row
    # of a rare word stays mostly random noise that the model memorises (RESULTS.md)
    vectors: str = ""  # GloVe / word2vec / fastText .vec file (plain or .gz) for the embedding
    freeze_vectors: bool = False  # keep the pretrained rows fixed (else fine-tune them)
    encoder: str = ""  # an lm run folder: start the embedding and recurrent layers from it
    # (tasks/classify_transfer.py); "" = from scratch
    pooling: str = "max+mean"  # last | mean | max | attention, or several joined by '+'
    # (concat = ULMFiT's last+max+mean); max+mean reads every step, where `last` must carry the
    # evidence to the end
    embedding_dropout: float = 0.2  # dropout on the embedded tokens (tuned IMDB 0.3, names 0.2)
    embedding_pooling: str = ""  # also pool the embeddings themselves into the head ("" = no)


class TokenEmbedding(nn.Module):
    """``(N, L)`` or ``(N, L, K)`` ids -> ``(N, L, E)``: the token's embedding plus, for each
    n-gram channel, the embedding of the n-gram ending there (one shared n-gram table).

    Id 0 (``<pad>``) embeds to zeros in both tables. The rows start as ``N(0, std^2)``;
    ``vectors (V, E)`` initialises the token table instead, and ``freeze`` keeps it fixed.
    """

    def __init__(
        self,
        vocab_size: int,
        dim: int,
        ngram_vocab_size: int = 0,
        vectors: Tensor | None = None,
        freeze: bool = False,
        std: float = 1.0,
    ) -> None:
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, dim, padding_idx=0)
        if vectors is not None:
            if tuple(vectors.shape) != (vocab_size, dim):
                raise ConfigError(
                    f"model.embedding_dim must equal the vectors' dimension: embedding "
                    f"({vocab_size}, {dim}), vectors {tuple(vectors.shape)}"
                )
            with torch.no_grad():
                self.tokens.weight.copy_(vectors)
        self.tokens.weight.requires_grad_(not freeze)
        self.ngrams = (
            nn.Embedding(ngram_vocab_size, dim, padding_idx=0) if ngram_vocab_size else None
        )
        with torch.no_grad():  # nn.Embedding draws N(0, 1): draw again only for another std
            for table in (self.tokens, self.ngrams):
                fresh = table is not None and not (table is self.tokens and vectors is not None)
                if fresh and std != 1.0:
                    table.weight.normal_(0.0, std)
                    table.weight[0].zero_()  # <pad>

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() == 2:
            return self.tokens(x)  # (N, L, E)
        out = self.tokens(x[..., 0])
        if self.ngrams is not None and x.size(-1) > 1:
            out = out + self.ngrams(x[..., 1:]).sum(dim=2)  # (N, L, K-1, E) -> (N, L, E)
        return out


class TextClassifier(nn.Module):
    """Embedding -> recurrent layer (valid steps) -> masked pooling -> dropout -> Linear.

    ``cfg.dropout`` acts between stacked recurrent layers and before the Linear head, as in
    seed 004 (2-layer RNN, dropout 0.5, ``pooling = "last"``).

    Example::

        >>> cfg = ClassifyModel(cell="gru", hidden_size=8, pooling="max+mean")
        >>> model = TextClassifier(cfg, vocab_size=20, num_classes=3)
        >>> logits, loss = model(torch.tensor([[4, 5, 6], [7, 8, 0]]), torch.tensor([3, 2]))
        >>> logits.shape, loss
        (torch.Size([2, 3]), None)
    """

    def __init__(
        self,
        cfg: ClassifyModel,
        vocab_size: int,
        num_classes: int,
        *,
        ngram_vocab_size: int = 0,
        vectors: Tensor | None = None,
    ) -> None:
        super().__init__()
        kinds = parse_pooling(cfg.pooling)
        if not 0.0 <= cfg.embedding_dropout < 1.0:
            raise ConfigError(
                f"model.embedding_dropout must be in [0, 1), received {cfg.embedding_dropout}"
            )
        if cfg.embedding_dim <= 0:
            raise ConfigError(f"model.embedding_dim must be positive, received {cfg.embedding_dim}")
        if cfg.embedding_std < 0:
            raise ConfigError(
                f"model.embedding_std must be >= 0 (0 = auto), received {cfg.embedding_std}"
            )
        self.embed = TokenEmbedding(
            vocab_size,
            cfg.embedding_dim,
            ngram_vocab_size,
            vectors,
            cfg.freeze_vectors,
            cfg.embedding_std or 1.0,  # auto outside task classify (no data.level): torch's
        )
        self.embedding_dropout = nn.Dropout(cfg.embedding_dropout)
        self.rnn = recurrent_from_config(cfg, cfg.embedding_dim)
        self.pool = Pooling(kinds, self.rnn.out_features, 2 if cfg.bidirectional else 1)
        width = self.pool.out_features
        self.embedding_pool = None
        if cfg.embedding_pooling:  # a bag-of-embeddings path beside the recurrent layer
            self.embedding_pool = Pooling(parse_pooling(cfg.embedding_pooling), cfg.embedding_dim)
            width += self.embedding_pool.out_features
        self.dropout = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(width, num_classes)

    def features(self, x: Tensor, lengths: Tensor) -> Tensor:
        """The pooled representation ``(N, P)`` before dropout and the head."""
        emb = self.embedding_dropout(self.embed(x))  # (N, L, E)
        out = run_over_lengths(self.rnn, emb, lengths)  # (N, L, D*H), zero past the lengths
        pooled = self.pool(out, lengths)  # (N, P)
        if self.embedding_pool is None:
            return pooled
        return torch.cat([pooled, self.embedding_pool(emb, lengths)], dim=-1)  # (N, P + P_E)

    def layer_groups(self) -> list[list[nn.Parameter]]:
        """ULMFiT's layer groups, lowest first: the embeddings, each recurrent layer, and the
        head (with the pooling's own weights); what ``train.lr_decay_per_group`` and
        ``train.unfreeze`` act on (:mod:`rnnkit.train.finetune`)."""
        top = [self.pool, self.embedding_pool, self.head]
        head = [p for module in top if module is not None for p in module.parameters()]
        return [list(self.embed.parameters()), *recurrent_layer_groups(self.rnn), head]

    def forward(self, x: Tensor, lengths: Tensor, targets: Tensor | None = None):
        logits = self.head(self.dropout(self.features(x, lengths)))  # (N, C)
        loss = None if targets is None else F.cross_entropy(logits, targets)
        return logits, loss


class ScratchCharRNN(nn.Module):
    r"""Seed 003's from-scratch RNN (the PyTorch names tutorial), batched with masks.

    One-hot characters ``x_t`` (size V) and a hidden state ``h`` (size H, zeros for every
    name) are concatenated; two Linear layers read the concatenation:

    .. math::
        h_t = W_{ih} [x_t; h_{t-1}] + b_{ih} \qquad
        o_t = \mathrm{LogSoftmax}(W_{io} [x_t; h_{t-1}] + b_{io})

    with no non-linearity on ``h``, exactly as the seed. The prediction of a name is ``o`` at
    its last character; the loss is the NLL of that log-probability. In a batch each row stops
    updating after its own length, so padding never changes a prediction.

    The returned "logits" are these log-probabilities (``softmax`` of them is the same
    distribution), so every classifier returns the same kind of output.
    """

    def __init__(self, vocab_size: int, hidden_size: int, num_classes: int) -> None:
        super().__init__()
        self.vocab_size, self.hidden_size = vocab_size, hidden_size
        self.i2h = nn.Linear(vocab_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(vocab_size + hidden_size, num_classes)

    def forward(self, x: Tensor, lengths: Tensor, targets: Tensor | None = None):
        if x.dim() == 3:
            x = x[..., 0]  # n-gram channels are not used by the seed model
        n, steps = x.shape
        lengths = lengths.to(x.device)
        onehot = F.one_hot(x, self.vocab_size).to(self.i2h.weight.dtype)  # (N, L, V)
        hidden = x.new_zeros(n, self.hidden_size, dtype=onehot.dtype)  # per-name h_0 = 0
        result = x.new_zeros(n, self.i2o.out_features, dtype=onehot.dtype)
        for t in range(steps):
            combined = torch.cat([onehot[:, t], hidden], dim=1)  # (N, V + H)
            output = F.log_softmax(self.i2o(combined), dim=1)  # (N, C)
            running = (t < lengths)[:, None]
            hidden = torch.where(running, self.i2h(combined), hidden)  # frozen after the end
            result = torch.where((t == lengths - 1)[:, None], output, result)
        loss = None if targets is None else F.nll_loss(result, targets)
        return result, loss


def build_classifier(
    cfg: ClassifyModel,
    vocab_size: int,
    num_classes: int,
    *,
    ngram_vocab_size: int = 0,
    vectors: Tensor | None = None,
) -> nn.Module:
    """The model ``cfg.kind`` names: ``rnn`` (:class:`TextClassifier`) or ``scratch003``."""
    if cfg.kind == "rnn":
        return TextClassifier(
            cfg, vocab_size, num_classes, ngram_vocab_size=ngram_vocab_size, vectors=vectors
        )
    if cfg.kind == "scratch003":
        if cfg.weight_drop:
            raise ConfigError(
                f"model.weight_drop needs model.kind = 'rnn' (seed 003's model has no "
                f"hidden-to-hidden weight), received {cfg.weight_drop}"
            )
        return ScratchCharRNN(vocab_size, cfg.hidden_size, num_classes)
    raise ConfigError(f"model.kind must be one of {', '.join(KINDS)}, received {cfg.kind!r}")
