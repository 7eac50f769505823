"""Packing padded batches with checked lengths."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from ._checks import shape_str


def check_lengths(lengths, batch: int, max_length: int) -> Tensor:
    """Return ``lengths`` as a CPU int64 tensor after checking ``1 <= length <= max_length``."""
    lengths = torch.as_tensor(lengths).detach().to("cpu")
    if lengths.dim() != 1 or lengths.numel() != batch:
        raise ValueError(
            f"lengths must be 1-D with one length per sequence (N={batch}), "
            f"received shape {shape_str(lengths.shape)}"
        )
    if lengths.is_floating_point() or lengths.dtype == torch.bool:
        raise TypeError(f"lengths must hold integers, received dtype {lengths.dtype}")
    lengths = lengths.long()
    bad = ((lengths < 1) | (lengths > max_length)).nonzero().flatten()
    if bad.numel():
        i = int(bad[0])
        raise ValueError(
            f"lengths must be between 1 and the padded length L={max_length}, "
            f"received {int(lengths[i])} at position {i}"
        )
    return lengths


def pack(x: Tensor, lengths, batch_first: bool = False) -> PackedSequence:
    """Pack a padded batch ``(L, N, *)`` (``(N, L, *)`` when ``batch_first``) of any order.

    Unlike a bare ``pack_padded_sequence``, a length of 0 or one longer than the padded
    batch is an error that says which position is wrong, and lengths may live on any device.
    """
    n, length = (x.size(0), x.size(1)) if batch_first else (x.size(1), x.size(0))
    lengths = check_lengths(lengths, n, length)
    return pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)


def unpack(packed: PackedSequence, batch_first: bool = False, total_length: int | None = None):
    """Inverse of :func:`pack`: ``(padded, lengths)`` with padding set to 0."""
    return pad_packed_sequence(packed, batch_first=batch_first, total_length=total_length)
