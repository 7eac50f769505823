r"""A token-level (character or word) language model, optionally conditioned on a category
(one-to-many). The name is historical: saved runs name their weights after this module's.

At every step the model reads a token and predicts the next one:

.. math::

    e_t = E[x_t] \;(\text{or the one-hot } x_t), \qquad
    h_t = \mathrm{RNN}([e_t; C[c]], h_{t-1}), \qquad
    p(x_{t+1} \mid x_{\le t}, c) = \mathrm{softmax}(W_o\, P h_t + b_o)

where ``C[c]`` is the embedding of the category ``c`` (present only in a conditional model),
``P`` is a projection to the embedding size used when the output weights are tied to the
input embedding (``W_o = E``, Press & Wolf 2017), else the identity. Dropout is applied to
``e_t`` (``input_dropout``), between stacked layers (``dropout``) and to ``h_t``
(``output_dropout``); with ``locked_dropout`` the input and output masks are drawn once per
sequence and shared over time. AWD-LSTM's other regularisers (:mod:`rnnkit.nn.regularize`):
``embedding_dropout`` drops whole rows of ``E``, ``weight_drop`` puts DropConnect on the
hidden-to-hidden weights, and in training mode the loss gains AR/TAR,
``ar_alpha * mean(drop(h)^2) + tar_beta * mean((h_t - h_{t-1})^2)``. With
``adaptive_softmax`` (cutoffs, Grave et al. 2017: :class:`torch.nn.AdaptiveLogSoftmaxWithLoss`,
``div_value = 4``) the frequent words get a full softmax and the rare ones smaller clusters,
which is most of a word model's time on a CPU otherwise.

Contract: ``forward(x, targets=None, state=None, condition=None) -> (logits, loss, state)``

- x: ``(N, L)`` int64 token ids; targets: ``(N, L)`` int64 or None;
- state: the recurrent state carried from the previous call (``(D*layers, N, H)``, or a
  tuple of such for LSTM/Jordan), None for zeros;
- condition: ``(N,)`` int64 category ids (conditional models only);
- logits: ``(N, L, V)`` (log-probabilities with ``adaptive_softmax``, and None there when
  targets are given: the full matrix is never formed for the loss); loss: mean
  cross-entropy in nats over the targets that are not ``ignore_index`` (None without
  targets), plus AR/TAR in training mode.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import ModelConfig
from rnnkit.errors import ConfigError, DataError
from rnnkit.models.common import recurrent_from_config
from rnnkit.nn.regularize import LockedDropout, activation_regularization, embedding_dropout

INPUTS = ("embedding", "onehot")


class OneHot(nn.Module):
    """``(N, L)`` ids -> ``(N, L, V)`` float one-hot vectors (no parameters)."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes

    def forward(self, ids: Tensor) -> Tensor:
        return F.one_hot(ids, self.num_classes).float()


def cast_state(state, dtype: torch.dtype):
    """A carried state in ``dtype``: a state left by a bf16 autocast step comes back in
    bf16, while the layer's weights (and checks) are float32."""
    if state is None or isinstance(state, Tensor):
        return None if state is None else state.to(dtype)
    return type(state)(s.to(dtype) for s in state)


def _setting(cfg: ModelConfig, key: str, default):
    """``cfg.<key>``, or ``default`` when the section has no such field or leaves it unset."""
    value = getattr(cfg, key, None)
    return default if value is None else value


class CharLM(nn.Module):
    """Embedding (or one-hot) -> recurrent layers -> Linear over the vocabulary.

    Args:
        cfg: the ``[model]`` section: ``cell``, ``backend``, ``hidden_size``, ``num_layers``,
            ``dropout``, and ``input`` (embedding | onehot), ``embedding_dim``,
            ``tie_weights``, ``condition_dim``; the regularisers ``input_dropout`` and
            ``output_dropout`` (unset: ``dropout``), ``locked_dropout``,
            ``embedding_dropout``, ``weight_drop``, ``ar_alpha``, ``tar_beta`` (unset: off).
        vocab_size: ``V``.
        num_conditions: number of categories (0 = unconditional).
        ignore_index: target id left out of the loss (padding), or None.
    """

    def __init__(
        self,
        cfg: ModelConfig,
        vocab_size: int,
        num_conditions: int = 0,
        ignore_index: int | None = None,
    ) -> None:
        super().__init__()
        if cfg.input not in INPUTS:
            raise ConfigError(f"model.input must be embedding or onehot, received {cfg.input!r}")
        if cfg.bidirectional:
            raise ConfigError(
                "model.bidirectional must be false for a language model (the backward "
                "direction would read the characters it has to predict), received true"
            )
        if cfg.tie_weights and cfg.input == "onehot":
            raise ConfigError(
                "model.tie_weights needs model.input = 'embedding' (one-hot input has no "
                "embedding to share), received input = 'onehot'"
            )
        self.vocab_size, self.ignore_index = vocab_size, ignore_index
        if cfg.input == "embedding":
            self.embed: nn.Module = nn.Embedding(vocab_size, cfg.embedding_dim)
            width = cfg.embedding_dim
        else:
            self.embed = OneHot(vocab_size)
            width = vocab_size
        self.condition = nn.Embedding(num_conditions, cfg.condition_dim) if num_conditions else None
        width += cfg.condition_dim if num_conditions else 0
        self._build_regularisers(cfg)
        self.rnn = recurrent_from_config(cfg, width)
        self._build_output(cfg, self.rnn.out_features, vocab_size)

    def _build_regularisers(self, cfg: ModelConfig) -> None:
        drop = LockedDropout if _setting(cfg, "locked_dropout", False) else nn.Dropout
        self.input_drop = drop(_setting(cfg, "input_dropout", cfg.dropout))
        self.output_drop = drop(_setting(cfg, "output_dropout", cfg.dropout))
        self.embedding_dropout = _setting(cfg, "embedding_dropout", 0.0)
        if self.embedding_dropout and cfg.input != "embedding":
            raise ConfigError(
                "model.embedding_dropout needs model.input = 'embedding', received input = "
                f"{cfg.input!r}"
            )
        self.ar_alpha = _setting(cfg, "ar_alpha", 0.0)
        self.tar_beta = _setting(cfg, "tar_beta", 0.0)

    def _build_output(self, cfg: ModelConfig, out: int, vocab_size: int) -> None:
        """A Linear over the vocabulary, the tied embedding, or an adaptive softmax."""
        self.tied, self.adaptive = cfg.tie_weights, None
        self.project: nn.Module = nn.Identity()
        cutoffs = list(_setting(cfg, "adaptive_softmax", []))
        if cutoffs:
            if self.tied:
                raise ConfigError(
                    "model.adaptive_softmax has its own output weights: set model.tie_weights "
                    "= false, received true"
                )
            if cutoffs != sorted(set(cutoffs)) or cutoffs[0] < 1 or cutoffs[-1] > vocab_size - 2:
                raise ConfigError(
                    f"model.adaptive_softmax must be increasing cutoffs from 1 to "
                    f"{vocab_size - 2} (the vocabulary has {vocab_size} tokens), received "
                    f"{cutoffs}"
                )
            self.adaptive = nn.AdaptiveLogSoftmaxWithLoss(out, vocab_size, cutoffs, div_value=4.0)
        elif self.tied:  # the output layer reads E (V, E) itself: one matrix, one entry
            dim = cfg.embedding_dim
            self.project = nn.Identity() if out == dim else nn.Linear(out, dim)
            self.decoder_bias = nn.Parameter(torch.zeros(vocab_size))
        else:
            self.decoder = nn.Linear(out, vocab_size)

    def encode(self, x: Tensor, state=None, condition: Tensor | None = None):
        """The last layer's raw output ``(N, L, H)`` (before the output dropout) and the
        final state: what a classifier initialised from this model reads (``model.encoder``
        of task classify)."""
        if self.embedding_dropout:
            embedded = embedding_dropout(self.embed, x, self.embedding_dropout, self.training)
        else:
            embedded = self.embed(x)  # (N, L, E) or (N, L, V)
        inputs = self.input_drop(embedded)
        if self.condition is not None:
            if condition is None:
                raise ConfigError("this model is conditional: pass condition, (N,) category ids")
            cond = self.condition(condition)  # (N, C)
            inputs = torch.cat([inputs, cond[:, None, :].expand(-1, x.size(1), -1)], dim=-1)
        return self.rnn(inputs, cast_state(state, inputs.dtype))  # (N, L, H), state

    def forward(
        self,
        x: Tensor,
        targets: Tensor | None = None,
        state=None,
        condition: Tensor | None = None,
    ):
        hidden, state = self.encode(x, state, condition)  # (N, L, H)
        dropped = self.output_drop(hidden)
        features = self.project(dropped)  # (N, L, H), or (N, L, E) when tied
        logits, loss = self._output(features, targets)
        if loss is not None:
            if self.training and (self.ar_alpha or self.tar_beta):
                loss = loss + activation_regularization(
                    hidden, dropped, self.ar_alpha, self.tar_beta
                )
        return logits, loss, state

    def _output(self, features: Tensor, targets: Tensor | None):
        """(logits (N, L, V) or None, mean cross-entropy or None) from ``features``."""
        ignore = -100 if self.ignore_index is None else self.ignore_index
        if self.adaptive is not None:  # the full (N, L, V) is formed only without targets
            flat = features.reshape(-1, features.size(-1)).float()  # (N*L, H)
            # in float32 under bf16 autocast too: torch's head copies its clusters'
            # log-probabilities into a float32 buffer, which refuses bf16 ones
            with torch.autocast(flat.device.type, enabled=False):
                if targets is None:
                    return self.adaptive.log_prob(flat).view(*features.shape[:-1], -1), None
                y = targets.reshape(-1)
                keep = y != ignore
                return None, self.adaptive(flat[keep], y[keep]).loss
        if self.tied:
            logits = F.linear(features, self.embed.weight, self.decoder_bias)  # (N, L, V)
        else:
            logits = self.decoder(features)  # (N, L, V)
        if targets is None:
            return logits, None
        flat = logits.reshape(-1, self.vocab_size).float()
        return logits, F.cross_entropy(flat, targets.reshape(-1), ignore_index=ignore)

    @torch.no_grad()
    def generate(
        self,
        prime: Tensor,
        length: int,
        *,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        generator: torch.Generator | None = None,
        condition: Tensor | None = None,
        stop_id: int | None = None,
        banned_ids: tuple[int, ...] = (),
    ) -> list[list[int]]:
        """Continue each row of ``prime`` ``(N, P)`` (P >= 1) by up to ``length`` sampled ids.

        The prime runs through the network in one call; then one token is sampled per step
        (:func:`~rnnkit.models.sampling.sample_next`) and fed back. A row stops after
        ``stop_id`` (not included in its output); ``banned_ids`` (padding, ``<unk>``) are
        never sampled. Dropout is off while sampling.
        """
        from rnnkit.models.sampling import check_sampling, sample_next

        check_sampling(temperature, top_k, top_p)
        if prime.dim() != 2 or prime.size(1) < 1:
            raise DataError(f"prime must be (N, P) with P >= 1, received {tuple(prime.shape)}")
        was_training = self.training
        self.eval()
        logits, _, state = self(prime, state=None, condition=condition)
        rows = [[] for _ in range(prime.size(0))]
        alive = torch.ones(prime.size(0), dtype=torch.bool)
        for _ in range(length):
            last = logits[:, -1].float()  # (N, V)
            last[:, list(banned_ids)] = float("-inf")
            token = sample_next(last, temperature, top_k, top_p, generator)  # (N,)
            for i in alive.nonzero().flatten().tolist():
                if stop_id is not None and int(token[i]) == stop_id:
                    alive[i] = False
                else:
                    rows[i].append(int(token[i]))
            if not alive.any():
                break
            logits, _, state = self(token[:, None], state=state, condition=condition)
        self.train(was_training)
        return rows


__all__ = ["CharLM", "OneHot", "INPUTS", "cast_state"]
