"""Data-parallel training under ``torchrun`` with PyTorch DistributedDataParallel.

``torchrun --nproc_per_node=N $(which rnnkit) train config.toml`` sets ``RANK``, ``WORLD_SIZE``
and ``LOCAL_RANK``; the engine then joins a process group (gloo on CPU, NCCL on GPU), wraps
the model in DDP, gives each rank its share of every global batch, and lets rank 0 alone
write logs, checkpoints and reports. Without those variables nothing here is used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def detect_world() -> World:
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    return World(int(os.environ["RANK"]), size, int(os.environ.get("LOCAL_RANK", "0")))


def init(world: World, device: torch.device) -> torch.device:
    """Join the process group; on GPU each process takes the GPU of its local rank."""
    if not world.distributed or dist.is_initialized():
        return device
    if device.type == "cuda":
        device = torch.device("cuda", world.local_rank)
        torch.cuda.set_device(device)
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return device


def wrap(model: nn.Module, world: World, device: torch.device) -> nn.Module:
    if not world.distributed:
        return model
    ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def mean_across(value: float, world: World) -> float:
    """Average a float over all ranks (the logged training loss)."""
    if not world.distributed:
        return value
    t = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(t)
    return float(t.item()) / world.size


def shutdown(world: World) -> None:
    if world.distributed and dist.is_initialized():
        dist.destroy_process_group()
