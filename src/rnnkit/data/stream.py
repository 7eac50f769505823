"""One long token stream cut for truncated back-propagation through time (TBPTT).

A text of ``T`` token ids is laid out as ``rows`` parallel streams: row ``r`` holds the
contiguous chunk ``ids[r*S : (r+1)*S]`` with ``S = (T - 1) // rows`` (inputs) and the same
chunk shifted by one token (targets). Batch ``b`` is the column block
``[b*bptt, (b+1)*bptt)`` of every row, so each row of batch ``b + 1`` continues the text of
the same row of batch ``b``, and the recurrent state left by batch ``b`` is the right state
to start batch ``b + 1`` from (seed 000's carried, detached state, on ``rows`` streams at
once)::

    ids:     a b c d e f g h i j k l m n o p q      (T = 17, rows = 2, S = 8, bptt = 3)
    row 0:   a b c | d e f | g h                    targets  b c d | e f g | h i
    row 1:   i j k | l m n | o p                    targets  j k l | m n o | p q
             batch 0  batch 1  batch 2

One epoch visits every input position exactly once, in order along each row; the last
``(T - 1) - rows*S`` tokens (fewer than ``rows``) are left out.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

from rnnkit.errors import ConfigError, DataError


class StreamBatches:
    """TBPTT batches over one token stream.

    Args:
        ids: ``(T,)`` integer token ids of the whole text.
        rows: number of parallel streams ``N`` (the batch size).
        bptt: columns per batch ``L`` (the truncation window); the last batch may be shorter.

    Each batch is ``(inputs, targets)``, both ``(N, L)`` int64, ``targets`` being ``inputs``
    shifted by one token along the text.

    Example::

        >>> stream = StreamBatches(torch.arange(17), rows=2, bptt=3)
        >>> [x.tolist() for x, _ in stream.batches()]
        [[[0, 1, 2], [8, 9, 10]], [[3, 4, 5], [11, 12, 13]], [[6, 7], [14, 15]]]
    """

    def __init__(self, ids: Tensor, rows: int, bptt: int) -> None:
        if rows < 1 or bptt < 1:
            raise ConfigError(f"rows and bptt must be positive, received rows={rows}, bptt={bptt}")
        ids = torch.as_tensor(ids, dtype=torch.long).flatten()
        columns = (len(ids) - 1) // rows
        if columns < 1:
            raise DataError(
                f"a stream of {len(ids)} tokens is too short for {rows} parallel rows: it needs "
                f"at least {rows + 1} tokens (lower train.batch_size or give more text)"
            )
        self.rows, self.bptt, self.columns = rows, bptt, columns
        self.inputs = ids[: rows * columns].view(rows, columns)  # (N, S)
        self.targets = ids[1 : rows * columns + 1].view(rows, columns)  # (N, S)

    def __len__(self) -> int:
        return -(-self.columns // self.bptt)

    @property
    def tokens(self) -> int:
        """Input positions covered by one epoch: ``rows * S``."""
        return self.rows * self.columns

    def batches(self, rank: int = 0, world: int = 1) -> Iterator[tuple[Tensor, Tensor]]:
        """Every batch in order; under ``world`` processes rank ``r`` gets rows ``r::world``
        (its rows are the same in every batch, so its carried state stays consistent)."""
        for start in range(0, self.columns, self.bptt):
            stop = start + self.bptt
            yield (
                self.inputs[rank::world, start:stop],
                self.targets[rank::world, start:stop],
            )
