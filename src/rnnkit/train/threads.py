"""How many threads torch uses: ``train.num_threads``, and what ``"auto"`` (the default) picks.

An integer is passed to :func:`torch.set_num_threads` (``0`` leaves the count as it is: torch's
default, one thread per core, unless the process changed it). ``"auto"`` picks one thread when
extra threads cannot help, and otherwise the faster of one thread and the free physical cores,
timed on the run's first steps:

1. one usable core (``os.sched_getaffinity``, physical cores only) -> 1 thread;
2. a busy machine -> 1 thread: fewer than 2 cores are free of other processes' runnable
   threads (``procs_running`` of ``/proc/stat``, the median of a few samples, not counting this
   process; elsewhere ``os.getloadavg``). A second OpenMP thread that waits for a core busy
   with another job spin-waits: a hidden-32 model ran 5.5 ms a step with one thread and 95 ms
   with two beside another training on this project's 2-core machine;
3. otherwise the run starts on 1 thread; steps 2-4 are timed (step 1 pays for allocations).
   A *small step*, one under :data:`SMALL_STEP_MS` at one thread, stays on 1 thread; a larger
   one runs steps 5-8 on the free cores (step 5 starts their thread pool and is not counted)
   and keeps whichever of the two medians is lower.

Why these numbers (``benchmarks/threads.py`` and ``benchmarks/RESULTS.md``, AMD EPYC, 2 cores,
torch 2.13 CPU). On an idle machine, four runs of a training step of an LSTM + linear head
(N = 32, L = 50) gave these medians of the 2-thread/1-thread time: 1.15 at H = 32 (1.3-2.4 ms
at one thread), 1.18 at H = 64 (2.5-3.5 ms), 0.85 at H = 128 (6.3-9.5 ms) and 0.66 from
H = 192 on (12 ms and more); single runs swing by 0.3 either way. So :data:`SMALL_STEP_MS`
sits between 3.5 and 6.3 ms, and above it the timing decides; a wrong guess costs at most the
four steps timed on the slower setting. When the other core is busy, two threads lose
at every size: with seven other jobs on the machine a step took 1.2 ms at 1 thread and 1300 ms
at 2 (H = 32), 51 against 2196 ms (H = 384), and "auto" picked 1 thread in each case. The
threshold also keeps small steps (demos, tests) from ever being timed on two threads, so their
choice is the same on every run. Torch's results can differ in the last bits between thread
counts: set an integer for bit-identical reruns.

Inference (:func:`inference_threads`: ``rnnkit predict``, ``evaluate``, ``generate``, the
Python API) has no steps to time, so ``"auto"`` applies rules 1 and 2 and then uses the free
cores only for a model of at least :data:`LARGE_MODEL_PARAMETERS` parameters: a forward of an
LSTM of hidden 256 on a batch of 32 x 50 took 5-6.5 ms at one thread and 2.8-3.9 at two on
the idle machine, but 0.3-0.4 ms at both at hidden 32, and serving batches are usually smaller.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import torch
from torch import nn

SMALL_STEP_MS = 6.0  # a step under this at one thread stays there (idle crossover: 3.5-9.5 ms)
LARGE_MODEL_PARAMETERS = 400_000  # inference: below this, one thread (an LSTM of hidden ~300)
PROBE_STEPS = 3  # steps timed at each thread count
WARM_UP = 1  # steps not timed after each change of thread count


def usable_cores() -> int:
    """Physical cores this process may run on (its affinity mask; SMT siblings count once)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return max(1, (os.cpu_count() or 1))
    cores = set()
    for cpu in cpus:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            core = tuple((topology / f).read_text() for f in ("physical_package_id", "core_id"))
        except OSError:
            core = (str(cpu), "")
        cores.add(core)
    return max(1, len(cores))


def _procs_running() -> int | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("procs_running "):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def others_load(samples: int = 7, interval: float = 0.003) -> float:
    """Runnable threads of other processes now: the median of ``samples`` readings of
    ``procs_running`` less this one; ``os.getloadavg()[0]`` where there is no ``/proc``."""
    readings = []
    for k in range(samples):
        running = _procs_running()
        if running is None:
            return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        readings.append(running - 1)  # this thread, reading
        if k < samples - 1:
            time.sleep(interval)
    return max(0.0, float(statistics.median(readings)))


def free_cores(cores: int | None = None, load: float | None = None) -> int:
    """Cores left to this process: ``cores`` less other processes' ``load``, at least 1."""
    cores = usable_cores() if cores is None else cores
    load = others_load() if load is None else load
    return max(1, min(cores, int(cores - load + 0.5)))


def _busy_reason(cores: int, free: int) -> str | None:
    """Why extra threads cannot help (rules 1 and 2), or None."""
    if cores == 1:
        return "auto: one core"
    if free < 2:
        return f"auto: busy machine, {cores - free} of {cores} cores in use by other processes"
    return None


class Threads:
    """The thread count of a training run. Call :meth:`update` after every step with its
    seconds; it returns True once, when ``"auto"`` has decided (then print :attr:`sentence`)."""

    def __init__(self, setting: int | str, processes: int = 1) -> None:
        self.auto = setting == "auto"
        self.times: dict[int, list[float]] = {}
        self.sentence = ""  # "threads: N (why)", set once decided
        self.count, self.candidate = 0, 1
        if not self.auto:
            if setting:
                torch.set_num_threads(int(setting))
            why = f"train.num_threads = {setting}" if setting else "torch's default"
            self._decide(torch.get_num_threads(), why)
            return
        cores = max(1, usable_cores() // max(1, processes))
        free = free_cores(cores) if cores > 1 else 1  # one core: nothing to sample
        busy = _busy_reason(cores, free)
        torch.set_num_threads(1)
        if busy:
            self._decide(1, busy)
        else:
            self.candidate = free

    @property
    def decided(self) -> bool:
        return bool(self.sentence)

    def _decide(self, threads: int, why: str) -> None:
        torch.set_num_threads(threads)
        self.sentence = f"threads: {threads} ({why})"

    def update(self, seconds: float) -> bool:
        """Record one step's time (its first steps decide ``"auto"``); True when just decided."""
        if self.decided:
            return False
        self.count += 1
        threads = torch.get_num_threads()
        first = WARM_UP if threads == 1 else 2 * WARM_UP + PROBE_STEPS
        if self.count <= first:
            return False
        self.times.setdefault(threads, []).append(seconds)
        if len(self.times[threads]) < PROBE_STEPS:
            return False
        one = statistics.median(self.times[1]) * 1e3
        if threads == 1 and one < SMALL_STEP_MS:
            self._decide(1, f"auto: small step, {one:.3g} ms at 1 thread < {SMALL_STEP_MS:g} ms")
        elif threads == 1:
            torch.set_num_threads(self.candidate)
            return False
        else:
            many = statistics.median(self.times[threads]) * 1e3
            best = threads if many < one else 1
            self._decide(
                best, f"auto: {many:.3g} ms a step at {threads} threads, {one:.3g} ms at 1"
            )
        return True


def inference_threads(setting: int | str, model: nn.Module) -> int:
    """Set torch's thread count to serve ``model`` (see the module docstring); return it."""
    if setting != "auto":
        if setting:
            torch.set_num_threads(int(setting))
        return torch.get_num_threads()
    cores = usable_cores()
    free = free_cores(cores) if cores > 1 else 1
    small = sum(p.numel() for p in model.parameters()) < LARGE_MODEL_PARAMETERS
    threads = 1 if _busy_reason(cores, free) or small else free
    torch.set_num_threads(threads)
    return threads
