r"""The time schedule of one fast recurrence, and the packed <-> padded layout it runs on.

The fast kernels always run on a *padded, length-sorted* batch ``(L, N, .)``: at time ``t``
the first ``B_t`` rows are the sequences still running (``B_t`` never grows with ``t``), as in a
:class:`~torch.nn.utils.rnn.PackedSequence`. A padded batch is the case ``B_t = N``. A packed
batch is scattered into this layout once at the input and gathered back once at the output,
so every layer in between runs on plain strided tensors.

The states live in slot buffers ``(L+1, N, H)``: the state before time ``t`` is slot ``t`` and
the state after it slot ``t+1`` (forward direction), or slot ``t+1`` and slot ``t`` (reverse
direction, which walks ``t = L-1 .. 0``). A sequence of length ``l`` starts from its initial
state in slot ``0`` (forward) or slot ``l`` (reverse), and its final state is slot ``l``
(forward) or slot ``0`` (reverse). Past its length a row is never read by the recurrence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor


@dataclass
class Schedule:
    """Rows running at each step. ``sizes[t] = B_t``; ``lengths (N,)`` is None when padded."""

    sizes: list[int]
    lengths: Tensor | None = None
    _index: Tensor | None = field(default=None, repr=False)

    @classmethod
    def padded(cls, length: int, batch: int) -> Schedule:
        return cls([batch] * length)

    @classmethod
    def from_batch_sizes(cls, batch_sizes: Tensor) -> Schedule:
        """From a PackedSequence's ``batch_sizes`` (sequences sorted longest first)."""
        sizes = [int(b) for b in batch_sizes]
        rows = torch.arange(sizes[0]).unsqueeze(1)  # (N, 1)
        lengths = (batch_sizes.unsqueeze(0) > rows).sum(1)  # (N,): steps each row runs
        return cls(sizes, lengths)

    @property
    def length(self) -> int:
        return len(self.sizes)

    @property
    def batch(self) -> int:
        return self.sizes[0]

    @property
    def is_padded(self) -> bool:
        return self.lengths is None

    def steps(self, reverse: bool) -> list[int]:
        """Time indices in processing order."""
        return list(range(self.length - 1, -1, -1) if reverse else range(self.length))

    def first_slot(self, reverse: bool, device) -> Tensor | int:
        """Slot of each row's state before its first step (an int when it is the same)."""
        if not reverse:
            return 0
        return self.length if self.lengths is None else self.lengths.to(device)

    def last_slot(self, reverse: bool, device) -> Tensor | int:
        """Slot of each row's final state."""
        return self.first_slot(not reverse, device)

    def valid(self, device, dtype) -> Tensor | None:
        """``(L, N, 1)`` mask of the running rows, None when every row runs."""
        if self.lengths is None:
            return None
        steps = torch.arange(self.length, device=device).unsqueeze(1)
        return (steps < self.lengths.to(device)).unsqueeze(2).to(dtype)

    def index(self, device) -> Tensor:
        """Rows of the flat padded batch ``(L*N,)`` that hold the packed data, in its order."""
        if self._index is None or self._index.device != device:
            rows = torch.arange(self.length * self.batch).view(self.length, self.batch)
            running = torch.arange(self.batch) < torch.tensor(self.sizes).unsqueeze(1)
            self._index = rows[running].to(device)  # time-major, like PackedSequence.data
        return self._index


def new_buffer(schedule: Schedule, *shape: int, like: Tensor) -> Tensor:
    """A work buffer; zero-filled for packed input so that padding rows hold no garbage."""
    if schedule.is_padded:
        return like.new_empty(shape)
    return like.new_zeros(shape)


def put_first(slots: Tensor, state: Tensor, where: Tensor | int) -> None:
    """Write the initial state ``(N, H)`` into each row's first slot of ``slots (L+1, N, H)``."""
    if isinstance(where, int):
        slots[where] = state
    else:
        slots[where, torch.arange(state.size(0), device=state.device)] = state


def take_last(slots: Tensor, where: Tensor | int) -> Tensor:
    """Each row's final state ``(N, H)`` out of ``slots (L+1, N, H)`` (a copy)."""
    if isinstance(where, int):
        return slots[where].clone()
    return slots[where, torch.arange(slots.size(1), device=slots.device)]


def outputs(slots: Tensor, schedule: Schedule, reverse: bool) -> Tensor:
    """``h_t`` for every step, ``(L, N, H)``, zero past each sequence's length.

    In the reverse direction a packed sequence's initial state sits in its padding (slot
    ``l``), so that part is masked out (a copy); otherwise this is a view of ``slots``.
    """
    if not reverse:
        return slots[1:]
    valid = schedule.valid(slots.device, slots.dtype)
    return slots[:-1] if valid is None else slots[:-1] * valid


def padded_from_packed(data: Tensor, schedule: Schedule) -> Tensor:
    """Packed rows ``(sum B_t, F)`` -> padded sorted batch ``(L, N, F)`` with zero padding."""
    flat = data.new_zeros(schedule.length * schedule.batch, data.size(1))
    flat = flat.index_copy(0, schedule.index(data.device), data)
    return flat.view(schedule.length, schedule.batch, data.size(1))


def packed_from_padded(x: Tensor, schedule: Schedule) -> Tensor:
    """Inverse of :func:`padded_from_packed`: ``(L, N, F)`` -> ``(sum B_t, F)``."""
    return x.reshape(-1, x.size(2)).index_select(0, schedule.index(x.device))
