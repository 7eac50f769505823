"""Batches of example indices: shuffled by (seed, epoch), bucketed by length, sharded by rank.

Data is prepared once as tensors; a batch is a tensor of indices into them, so the training
loop runs no per-example Python. Under ``world`` processes, rank ``r`` takes the examples
``r, r + world, ...`` of each global batch, so the union of the ranks' shares is exactly the
batch a single process would see (the distributed sampler).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

from rnnkit.errors import DataError


def generator(seed: int, epoch: int) -> torch.Generator:
    """A generator that depends only on (seed, epoch): resumed runs see the same order."""
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch)


class IndexBatches:
    """Index batches over ``n`` examples.

    Args:
        n: number of examples. batch_size: global batch size.
        shuffle: shuffle every epoch (else in order).
        lengths: optional per-example lengths; batches are then bucketed: the shuffled
            examples are cut into buckets of ``batch_size * bucket_batches`` examples, sorted by
            length inside each bucket, cut into batches, and the batches are shuffled.
        drop_last: drop a final incomplete batch.
    """

    def __init__(
        self,
        n: int,
        batch_size: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        lengths: Tensor | None = None,
        bucket_batches: int = 50,
        drop_last: bool = False,
    ) -> None:
        if n <= 0:
            raise DataError(f"no examples to batch: n must be positive, received {n}")
        self.n, self.batch_size, self.shuffle, self.seed = n, batch_size, shuffle, seed
        self.lengths = None if lengths is None else torch.as_tensor(lengths)
        self.bucket_batches, self.drop_last = bucket_batches, drop_last

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def global_batches(self, epoch: int) -> list[Tensor]:
        g = generator(self.seed, epoch)
        order = torch.randperm(self.n, generator=g) if self.shuffle else torch.arange(self.n)
        if self.lengths is None:
            batches = list(order.split(self.batch_size))
        else:
            batches = []
            for bucket in order.split(self.batch_size * self.bucket_batches):
                ranked = bucket[torch.argsort(self.lengths[bucket], descending=True, stable=True)]
                batches += list(ranked.split(self.batch_size))
            if self.shuffle:
                batches = [batches[i] for i in torch.randperm(len(batches), generator=g)]
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches = [b for b in batches if len(b) == self.batch_size]
        return batches

    def epoch(self, epoch: int, rank: int = 0, world: int = 1) -> Iterator[Tensor]:
        """This rank's share of every global batch of ``epoch``."""
        for batch in self.global_batches(epoch):
            if len(batch) < world:
                continue  # too small to give every rank an example
            yield batch[rank::world]


def padding_fraction(lengths: Tensor, batches: list[Tensor]) -> float:
    """Share of padded positions when each batch is padded to its longest example."""
    lengths = torch.as_tensor(lengths)
    real = padded = 0
    for b in batches:
        ls = lengths[b]
        real += int(ls.sum())
        padded += int(ls.max()) * len(b)
    return 1.0 - real / padded if padded else 0.0


def take(tensors: dict[str, Tensor], index: Tensor) -> dict[str, Tensor]:
    return {k: v[index] for k, v in tensors.items()}
