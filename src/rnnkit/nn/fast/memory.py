"""Keep freed memory in the process, so that a training step's large tensors are not
page-faulted in again at every step.

glibc's ``malloc`` serves every block above its mmap threshold (a dynamic value of at most
32 MB) with a fresh ``mmap`` and returns it to the kernel on ``free``. A training step makes
and drops the same large tensors every time (activations, gradients: a MinGRU layer of 256 at
N = 32, L = 512 has 32 MB of gate pre-activations), so each one costs a page fault per 4 KB
page before it is written. Measured here with one thread: cloning a 32 MB tensor takes 22 ms
by default and 2.5 ms once freed memory is kept; MKL's ``(16384, 64) @ (64, 512)`` product
35 against 16 ms; native GRU forward + backward at (32, 512, 64, 256) about 10% less, MinGRU
about 20% less (``benchmarks/layers.py``, ``benchmarks/RESULTS.md``).

:func:`keep_freed_memory` raises glibc's ``M_MMAP_THRESHOLD`` to 1 GiB and its
``M_TRIM_THRESHOLD`` to 2 GiB, which is what the allocators that PyTorch's CPU tuning guides
recommend (jemalloc, tcmalloc) do by design: freed blocks stay in the heap for the next step.
The cost is that the process keeps the memory of its largest step until it exits, and that
blocks of many sizes fragment the heap: an IMDB fine-tuning (batches of reviews of every
length) grew to 6 GB in 100 s with it and stayed near 2 GB without, for 6% more steps. So
rnnkit's training engine and its inference call it only for tasks whose batches all have one
shape (``Task.fixed_shapes``: forecast, regress, sincos and the text-stream LM, whose windows
reuse the same blocks at every step). ``RNNKIT_KEEP_MEMORY=0`` in the environment turns it off
everywhere. Elsewhere than glibc (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD = 1 << 30  # blocks below 1 GiB come from the heap
TRIM_THRESHOLD = 1 << 31  # free memory at the heap's top is kept up to 2 GiB

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Tell glibc to keep freed memory for reuse (see the module docstring); once per
    process. True when the setting is in force, False where it does not apply or
    ``RNNKIT_KEEP_MEMORY=0``."""
    global _applied
    if _applied is None:
        _applied = os.environ.get("RNNKIT_KEEP_MEMORY", "1") != "0" and _mallopt()
    return _applied


def _mallopt() -> bool:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # glibc only: musl's mallopt is a no-op stub
        return False
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    mmap = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    return bool(mmap and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


__all__ = ["keep_freed_memory"]
