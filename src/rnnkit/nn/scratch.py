"""The from-scratch engine behind ``backend="scratch"``: a readable loop over time steps.

One code path serves padded, batch-first, unbatched and packed input. Everything is first
written as *packed* data: a ``(sum_t B_t, H_in)`` matrix of time-major rows with
``batch_sizes = [B_0, B_1, ...]``, sequences sorted longest first, so that at step ``t`` the
first ``B_t`` rows of the state are the sequences still running. A padded batch is the
special case ``B_t = N`` for every ``t``. This is the layout ``torch.nn.utils.rnn`` uses.

- Forward direction: walk ``t = 0 .. L-1``; when ``B_t`` shrinks, the rows that stop are
  final and are set aside.
- Reverse direction: walk ``t = L-1 .. 0``; when ``B_t`` grows, the sequences that start (at
  their own last element) join with their initial state.

Fast path: the loop above is the readable reference. When :func:`rnnkit.nn.fast.applies`
(no ``proj_size``; float32, float64 or bfloat16 input, autocast allowed; the layer attribute
``fast`` and the module switch :func:`rnnkit.nn.fast.enabled` both on), the same layout runs
on :mod:`rnnkit.nn.fast` instead: whole-sequence autograd Functions with a hand-written
backward through time, on padded or packed input alike. Everything else falls back here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence

from . import fast
from .fast import engine as fast_engine

State = tuple[Tensor, ...]
StepFn = Callable[[Tensor, State], State]


def run_forward(step: StepFn, gates: Sequence[Tensor], batch_sizes: Sequence[int], state: State):
    """Left to right. ``gates[t]``: (B_t, G*H); ``state``: tuple of (N, .) -> (outputs, final)."""
    finished: list[State] = []  # blocks of rows that stopped, highest rows first
    outputs = []
    for t, bs in enumerate(batch_sizes):
        if bs < state[0].size(0):  # sequences of length t end here
            finished.append(tuple(s[bs:] for s in state))
            state = tuple(s[:bs] for s in state)
        state = step(gates[t], state)
        outputs.append(state[0])  # (B_t, H_out)
    finished.append(state)
    final = tuple(torch.cat([block[k] for block in reversed(finished)]) for k in range(len(state)))
    return outputs, final


def run_reverse(step: StepFn, gates: Sequence[Tensor], batch_sizes: Sequence[int], state0: State):
    """Right to left; each sequence starts at its own last valid step from ``state0``."""
    state = tuple(s[: batch_sizes[-1]] for s in state0)
    outputs: list[Tensor] = [None] * len(batch_sizes)  # type: ignore[list-item]
    for t in range(len(batch_sizes) - 1, -1, -1):
        bs, running = batch_sizes[t], state[0].size(0)
        if bs > running:  # sequences whose last valid step is t start here
            state = tuple(torch.cat([s, s0[running:bs]]) for s, s0 in zip(state, state0))
        state = step(gates[t], state)
        outputs[t] = state[0]
    return outputs, state


class ScratchLayerMixin:
    """Stacked, optionally bidirectional, recurrence over any input layout.

    A subclass provides ``_scratch_step(layer, direction) -> (weight_ih, bias_ih, step)`` and
    ``_state_sizes() -> tuple of per-component sizes`` (e.g. ``(H_out, H)`` for the LSTM).
    Set ``fast = False`` on a layer to make it always run the readable loop.
    """

    fast: bool = True

    def _scratch_forward(self, input, states: State | None):
        """Return ``(output, final states)``; states are tuples of ``(D*num_layers, N, .)``."""
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            steps = batch_sizes.tolist()
            n = steps[0]
        else:
            unbatched = input.dim() == 2
            x = input.unsqueeze(1) if unbatched else input
            if self.batch_first and not unbatched:
                x = x.transpose(0, 1)
            length, n = x.shape[:2]
            data, steps = x.reshape(length * n, x.size(2)), [n] * length
            if unbatched and states is not None:
                states = tuple(s.unsqueeze(1) for s in states)
        if states is None:
            states = self._zero_states(n, data)
        elif packed and sorted_indices is not None:
            states = tuple(s.index_select(1, sorted_indices) for s in states)
        data, finals = self._run(data, steps, states, batch_sizes if packed else None)
        if packed:
            if unsorted_indices is not None:
                finals = tuple(s.index_select(1, unsorted_indices) for s in finals)
            return PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices), finals
        out = data.view(length, n, data.size(1))  # (L, N, D*H_out)
        if unbatched:
            return out.squeeze(1), tuple(s.squeeze(1) for s in finals)
        return (out.transpose(0, 1) if self.batch_first else out), finals

    def _run(self, data: Tensor, steps: list[int], states: State, batch_sizes: Tensor | None):
        """Packed rows ``(sum B_t, H_in)`` -> ``(sum B_t, D*H_out)`` and the final states."""
        if not fast.applies(self, data.dtype):
            return self._run_layers(data, steps, states)
        return fast_engine.run_rows(self, data, steps, states, batch_sizes, fast.run_layers)

    def _zero_states(self, n: int, like: Tensor) -> State:
        rows = self.num_layers * (2 if self.bidirectional else 1)
        return tuple(like.new_zeros(rows, n, size) for size in self._state_sizes())

    def _run_layers(self, data: Tensor, steps: list[int], states: State):
        directions = 2 if self.bidirectional else 1
        finals: list[list[Tensor]] = [[] for _ in states]
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                weight_ih, bias_ih, step = self._scratch_step(layer, direction)
                gates = F.linear(data, weight_ih, bias_ih).split(steps)  # per step (B_t, G*H)
                run = run_reverse if direction else run_forward
                outputs, final = run(step, gates, steps, tuple(s[k] for s in states))
                outs.append(torch.cat(outputs))  # (sum B_t, H_out)
                for j, f in enumerate(final):
                    finals[j].append(f)
            data = torch.cat(outs, dim=1) if directions == 2 else outs[0]
            if self.dropout and self.training and layer < self.num_layers - 1:
                data = F.dropout(data, self.dropout, training=True)
        return data, tuple(torch.stack(f) for f in finals)
