"""Shared helpers for the benchmark scripts: timing, machine description, RESULTS.md sections.

Every benchmark prints one JSON object on stdout. With ``--write`` it also replaces its own
section of ``benchmarks/RESULTS.md`` (between ``<!-- name:begin -->`` and ``<!-- name:end -->``),
so that the file always shows the latest figures next to the command that made them.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

RESULTS = Path(__file__).with_name("RESULTS.md")
SHARED = Path(__file__).resolve().parents[2] / "shared"
DATASETS = Path(os.environ.get("RNNKIT_DATASETS", SHARED / "datasets"))


def machine() -> dict:
    """What ran the benchmark: CPU model, cores, threads, torch and rnnkit versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import rnnkit

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "rnnkit": rnnkit.__version__,
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
        "commit": _git_commit(),
    }


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=False,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def timeit(fn: Callable[[], object], repeats: int = 7, warmup: int = 2) -> dict:
    """Run ``fn`` ``warmup`` times, then time ``repeats`` runs: median, min, max in ms."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return _stats(times)


def time_alternating(fns: dict[str, Callable[[], object]], repeats: int = 7,
                     warmup: int = 2) -> dict[str, dict]:  # fmt: skip
    """Time several functions in turn (a, b, c, a, b, c, ...) so that a noisy neighbour on a
    shared machine slows them alike: median, min, max in ms for each."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1e3)
    return {name: _stats(t) for name, t in times.items()}


def _stats(times: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(times), 3),
        "min_ms": round(min(times), 3),
        "max_ms": round(max(times), 3),
        "repeats": len(times),
    }


def command_line() -> str:
    return "python " + " ".join([str(Path(sys.argv[0]).as_posix())] + sys.argv[1:])


def emit(result: dict) -> None:
    print(json.dumps(result, indent=2))


def write_section(name: str, markdown: str) -> None:
    """Replace (or append) the section ``name`` of RESULTS.md, atomically."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    block = f"{begin}\n{markdown.rstrip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    tmp = RESULTS.with_suffix(".md.tmp")
    tmp.write_text(text)
    tmp.replace(RESULTS)


# The defaults of task classify and tag before issue 16 gave them a practitioner's settings:
# the benchmarks that recorded figures with them keep them (explicit values still win).
RECORDED_DEFAULTS = {
    "classify": {
        "data": {"min_freq": 1, "level": "char"},
        "model": {
            "cell": "lstm",
            "backend": "auto",
            "bidirectional": False,
            "dropout": 0.0,
            "embedding_dropout": 0.0,
            "embedding_std": 1.0,
            "pooling": "last",
        },
        "train": {"schedule": "constant", "early_stopping": 0, "time_budget": 0.0},
    },
    "tag": {
        "data": {"lower": False, "zero_digits": False, "singleton_unk": 0.0},
        "model": {"casing_dim": 0, "document_dim": 0},
        "train": {
            "lr": 1e-3,
            "clip_grad_norm": 1.0,
            "schedule": "constant",
            "early_stopping": 0,
            "time_budget": 0.0,
        },
    },
}


def with_recorded_defaults(raw: dict) -> dict:
    """``raw`` with the pre-issue-16 defaults of its task filled in where it sets nothing."""
    for section, values in RECORDED_DEFAULTS.get(raw["task"], {}).items():
        raw[section] = {**values, **raw.get(section, {})}
    return raw
