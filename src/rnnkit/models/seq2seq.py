r"""An encoder-decoder with attention (asynchronous many-to-many).

Encoder (any cell, optionally bidirectional), over the source ids :math:`x_1..x_S`:

.. math::  k_1..k_S,\; h^{enc} = \mathrm{RNN}_{enc}(E_{src}[x_1..x_S])

Bridge, per layer and per state tensor (``h``; ``c`` of an LSTM; ``c/n`` of an sLSTM, whose
decoder then starts from ``(h, c/n, n = 1, m = 0)``):
:math:`s_0 = \tanh(W_b [h^{enc}_{\rightarrow}; h^{enc}_{\leftarrow}] + b_b)`.

Decoder step :math:`t` (Luong et al. 2015 with input feeding; the score of the attention is
chosen in :mod:`rnnkit.models.attention`):

.. math::

    h_t, s_t = \mathrm{RNN}_{dec}([E_{tgt}[y_{t-1}]; \tilde h_{t-1}], s_{t-1}), \qquad
    c_t, a_t = \mathrm{Attention}(h_t, k_{1..S}),

    \tilde h_t = \tanh(W_c [h_t; c_t]), \qquad
    p(y_t \mid y_{<t}, x) = \mathrm{softmax}(W_o \tilde h_t + b_o)

with :math:`y_0` = ``<s>`` and :math:`\tilde h_0 = 0`. Training feeds the gold
:math:`y_{t-1}` with probability ``teacher_forcing`` (per example and step), else the
model's own argmax. Decoding: :meth:`Seq2Seq.greedy` and :meth:`Seq2Seq.beam_search`
(scores divided by ``length ** length_penalty``).

Shapes: src ``(N, S)`` int64 padded; src_lengths ``(N,)``; tgt_in ``(N, T)`` = ``<s> y``;
tgt_out ``(N, T)`` = ``y </s>``; logits ``(N, T, V_tgt)``; attention ``(N, T, S)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import ModelConfig
from rnnkit.errors import ConfigError
from rnnkit.models.attention import Attention
from rnnkit.models.charlm import cast_state
from rnnkit.models.common import recurrent_from_config
from rnnkit.nn import pack, unpack
from rnnkit.nn.slstm import normalized_state, state_from_normalized


def _parts(state) -> tuple[Tensor, ...]:
    return (state,) if isinstance(state, Tensor) else tuple(state)


def _rebuild(like, parts):
    return parts[0] if isinstance(like, Tensor) else type(like)(parts)


def select_state(state, index: Tensor):
    """Rows ``index`` of every state tensor ``(layers, N, H)`` (beam reordering)."""
    return _rebuild(state, [p.index_select(1, index) for p in _parts(state)])


@dataclass
class Memory:
    """What the decoder reads about the source: keys ``(N, S, D*H)``, their prepared
    projection, the mask ``(N, S)`` (True at real positions) and the initial state."""

    keys: Tensor
    prepared: Tensor
    mask: Tensor
    state: object

    def select(self, index: Tensor) -> Memory:
        return Memory(
            self.keys.index_select(0, index),
            self.prepared.index_select(0, index),
            self.mask.index_select(0, index),
            select_state(self.state, index),
        )


@dataclass
class Decoded:
    """One decoded sequence: ids without ``</s>``, attention ``(len(ids) + 1, S)`` (the
    last row is the step that wrote ``</s>``, when it was written) and the score."""

    ids: list[int]
    attention: Tensor
    score: float


class Seq2Seq(nn.Module):
    """Encoder, bridge, attentive decoder. ``forward(src, src_lengths, tgt_in, tgt_out=None,
    teacher_forcing=1.0) -> (logits, loss, attention)``.

    Args:
        cfg: ``[model]``: ``cell``, ``backend``, ``hidden_size``, ``num_layers``,
            ``bidirectional`` (the encoder), ``dropout``, ``embedding_dim``, ``attention``.
        src_vocab, tgt_vocab: vocabulary sizes.
        pad, bos, eos: target ids of padding, ``<s>`` and ``</s>`` (padding is 0 in both).
    """

    def __init__(
        self, cfg: ModelConfig, src_vocab: int, tgt_vocab: int, pad: int, bos: int, eos: int
    ) -> None:
        super().__init__()
        self.pad, self.bos, self.eos, self.tgt_vocab = pad, bos, eos, tgt_vocab
        hidden, emb = cfg.hidden_size, cfg.embedding_dim
        self.src_embed = nn.Embedding(src_vocab, emb, padding_idx=pad)
        self.tgt_embed = nn.Embedding(tgt_vocab, emb, padding_idx=pad)
        self.encoder = recurrent_from_config(cfg, emb)
        dec_cfg = dataclasses.replace(cfg, bidirectional=False)
        self.decoder = recurrent_from_config(dec_cfg, emb + hidden)
        width = self.encoder.out_features  # D*H
        parts = 2 if cfg.cell in ("lstm", "jordan", "slstm") else 1  # (h, c) / (h, y), or h
        self.slstm = cfg.cell == "slstm"  # bridges (h, c/n), see normalized_state
        self.bridge = nn.ModuleList(nn.Linear(width, hidden) for _ in range(parts))
        self.attention = Attention(cfg.attention, hidden, width)
        self.combine = nn.Linear(hidden + width, hidden)  # W_c
        self.out = nn.Linear(hidden, tgt_vocab)  # W_o
        self.drop = nn.Dropout(cfg.dropout)
        self.directions = 2 if cfg.bidirectional else 1
        self.layers, self.hidden = cfg.num_layers, hidden

    # ---- pieces -------------------------------------------------------------------------
    def encode(self, src: Tensor, lengths: Tensor) -> Memory:
        """Run the encoder over the padded source; the bridge makes the decoder's s_0."""
        emb = self.drop(self.src_embed(src))  # (N, S, E)
        packed, final = self.encoder(pack(emb, lengths, batch_first=True))
        keys, _ = unpack(packed, batch_first=True, total_length=src.size(1))  # (N, S, D*H)
        mask = (
            torch.arange(src.size(1), device=src.device)[None, :] < lengths.to(src.device)[:, None]
        )
        n = src.size(0)
        state = []
        final = normalized_state(final) if self.slstm else final  # sLSTM: bridge h and c/n
        for part, bridge in zip(_parts(final), self.bridge):
            both = part.view(self.layers, self.directions, n, -1).permute(0, 2, 1, 3)
            state.append(torch.tanh(bridge(both.reshape(self.layers, n, -1))))  # (layers, N, H)
        state = state[0] if len(state) == 1 else tuple(state)
        state = state_from_normalized(*state) if self.slstm else state
        return Memory(keys, self.attention.prepare(keys), mask, state)

    def step(self, prev: Tensor, state, feed: Tensor, memory: Memory):
        """One decoder step from the previous ids ``(N,)``: ``(logits (N, V), state, feed
        (N, H) = the attentional state, attention (N, S))``."""
        inp = torch.cat([self.drop(self.tgt_embed(prev)), feed], dim=-1)[:, None, :]
        out, state = self.decoder(inp, cast_state(state, inp.dtype))  # (N, 1, H)
        query = out[:, 0]
        context, weights = self.attention(query, memory.keys, memory.prepared, memory.mask)
        feed = torch.tanh(self.combine(torch.cat([query, context], dim=-1)))  # (N, H)
        return self.out(self.drop(feed)), state, feed, weights

    def _start(self, memory: Memory) -> tuple[object, Tensor]:
        n = memory.keys.size(0)
        return memory.state, memory.keys.new_zeros(n, self.hidden)

    # ---- training -----------------------------------------------------------------------
    def forward(
        self,
        src: Tensor,
        src_lengths: Tensor,
        tgt_in: Tensor,
        tgt_out: Tensor | None = None,
        teacher_forcing: float = 1.0,
    ):
        memory = self.encode(src, src_lengths)
        state, feed = self._start(memory)
        prev, logits, attention = tgt_in[:, 0], [], []
        for t in range(tgt_in.size(1)):
            step_logits, state, feed, weights = self.step(prev, state, feed, memory)
            logits.append(step_logits)
            attention.append(weights)
            if t + 1 < tgt_in.size(1):
                prev = tgt_in[:, t + 1]
                if teacher_forcing < 1.0:
                    own = step_logits.argmax(dim=-1)
                    gold = torch.rand(prev.shape, device=prev.device) < teacher_forcing
                    prev = torch.where(gold, prev, own)
        logits = torch.stack(logits, dim=1)  # (N, T, V)
        loss = None
        if tgt_out is not None:
            loss = F.cross_entropy(
                logits.reshape(-1, self.tgt_vocab).float(),
                tgt_out.reshape(-1),
                ignore_index=self.pad,
            )
        return logits, loss, torch.stack(attention, dim=1)

    # ---- decoding -----------------------------------------------------------------------
    @torch.no_grad()
    def greedy(self, src: Tensor, src_lengths: Tensor, max_length: int) -> list[Decoded]:
        """The most likely token at every step, for the whole batch at once."""
        memory = self.encode(src, src_lengths)
        state, feed = self._start(memory)
        n = src.size(0)
        prev = torch.full((n,), self.bos, dtype=torch.long, device=src.device)
        ids, attention, scores = [], [], torch.zeros(n)
        done = torch.zeros(n, dtype=torch.bool)
        for _ in range(max_length):
            logits, state, feed, weights = self.step(prev, state, feed, memory)
            logp = logits.float().log_softmax(dim=-1).cpu()
            prev = logits.argmax(dim=-1)
            scores += torch.where(done, 0.0, logp.gather(1, prev.cpu()[:, None])[:, 0])
            ids.append(prev.cpu())
            attention.append(weights.cpu())
            done |= prev.cpu() == self.eos
            if done.all():
                break
        ids_t, att_t = torch.stack(ids, dim=1), torch.stack(attention, dim=1)  # (N, T), (N,T,S)
        out = []
        for i in range(n):
            row = ids_t[i].tolist()
            stop = row.index(self.eos) if self.eos in row else len(row)
            length = int(src_lengths[i])
            att = att_t[i, : min(stop + 1, len(row)), :length]
            out.append(Decoded(row[:stop], att, float(scores[i])))
        return out

    @torch.no_grad()
    def beam_search(
        self,
        src: Tensor,
        src_lengths: Tensor,
        max_length: int,
        beam_size: int = 5,
        length_penalty: float = 1.0,
    ) -> list[Decoded]:
        """Beam search per source: keep the ``beam_size`` best prefixes by summed log
        probability; a prefix that writes ``</s>`` is finished with the score
        ``logp / length ** length_penalty`` (length counts ``</s>``); stop when ``beam_size``
        are finished. Width 1 is greedy decoding."""
        if beam_size < 1:
            raise ConfigError(f"beam_size must be >= 1, received {beam_size}")
        memory = self.encode(src, src_lengths)
        return [
            self._beam_one(
                memory.select(torch.tensor([i], device=src.device)),
                int(src_lengths[i]),
                max_length,
                beam_size,
                length_penalty,
            )
            for i in range(src.size(0))
        ]

    def _beam_one(self, memory: Memory, length: int, max_length: int, k: int, alpha: float):
        state, feed = self._start(memory)
        device = memory.keys.device
        prev = torch.full((1,), self.bos, dtype=torch.long, device=device)
        scores = torch.zeros(1)
        prefixes: list[list[int]] = [[]]
        atts: list[list[Tensor]] = [[]]
        finished: list[Decoded] = []
        for t in range(max_length):
            rows = torch.zeros(len(prefixes), dtype=torch.long, device=device)
            logits, state, feed, weights = self.step(prev, state, feed, memory.select(rows))
            total = scores[:, None] + logits.float().log_softmax(dim=-1).cpu()  # (B, V)
            top = total.view(-1).topk(min(2 * k, total.numel()))
            alive = []  # (score, beam, token)
            for value, index in zip(top.values.tolist(), top.indices.tolist()):
                if value == float("-inf"):  # fewer than 2k possible continuations
                    break
                beam, token = divmod(index, self.tgt_vocab)
                if token == self.eos:
                    att = torch.stack(atts[beam] + [weights[beam].cpu()])[:, :length]
                    finished.append(Decoded(prefixes[beam], att, value / (t + 1) ** alpha))
                else:
                    alive.append((value, beam, token))
                if len(alive) == k:
                    break
            if len(finished) >= k or not alive:
                break
            beams = torch.tensor([b for _, b, _ in alive], device=device)
            state, feed = select_state(state, beams), feed.index_select(0, beams)
            prev = torch.tensor([tok for _, _, tok in alive], device=device)
            scores = torch.tensor([v for v, _, _ in alive])
            atts = [atts[b] + [weights[b].cpu()] for _, b, _ in alive]
            prefixes = [prefixes[b] + [tok] for _, b, tok in alive]
        if not finished:  # no prefix wrote </s> within max_length
            for j, prefix in enumerate(prefixes):
                att = torch.stack(atts[j])[:, :length]
                finished.append(Decoded(prefix, att, float(scores[j]) / len(prefix) ** alpha))
        return max(finished, key=lambda d: d.score)


__all__ = ["Seq2Seq", "Memory", "Decoded", "select_state"]
