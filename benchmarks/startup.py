"""Start-up time of the command line (issue 14): ``rnnkit --version`` and ``rnnkit --help``.

Each command runs as a fresh process, the commands in turn (a, b, c, a, b, c, ...) so that a
busy neighbour slows them alike; the figure is the wall time from start to exit. The parser
imports neither torch nor matplotlib (only the command being run loads its module), so these
should stay far below ``import torch``, which is timed for scale, as is an empty interpreter.
``python -m rnnkit`` is what the ``rnnkit`` console script runs.

    taskset -c 1 python benchmarks/startup.py [--repeats 20] [--write]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from _common import command_line, emit, machine, time_alternating, write_section

COMMANDS = {
    "rnnkit --version": ["-m", "rnnkit", "--version"],
    "rnnkit --help": ["-m", "rnnkit", "--help"],
    "python -c 'import rnnkit'": ["-c", "import rnnkit"],
    "python -c pass (the interpreter alone)": ["-c", "pass"],
    "python -c 'import torch' (for scale)": ["-c", "import torch"],
}
TARGET_MS = 500


def run(args: list[str]) -> None:
    subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)


def to_markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        "## Start-up: `rnnkit --version` (issue 14)",
        "",
        f"Command: `{result['command']}`. Machine: {m['cpu']}, Python {m['python']}, torch "
        f"{m['torch']}, {m['date']} (commit {m['commit']}). Wall time of a fresh process from "
        f"start to exit, {result['repeats']} runs of each command taken in turn, pinned to one "
        "core while the other core was busy with other jobs (so these are upper bounds). "
        "`rnnkit` is `python -m rnnkit`, which the console script runs.",
        "",
        "| command | median ms | min ms | max ms |",
        "|---|---|---|---|",
    ]
    for name, t in result["times"].items():
        lines.append(f"| `{name}` | {t['median_ms']:.0f} | {t['min_ms']:.0f} | {t['max_ms']:.0f} |")
    version = result["times"]["rnnkit --version"]["median_ms"]
    verdict = "met" if version < TARGET_MS else "not met"
    target = f"Target: `rnnkit --version` under {TARGET_MS} ms: **{verdict}** ({version:.0f} ms)."
    lines += ["", target]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    fns = {name: (lambda a=a: run(a)) for name, a in COMMANDS.items()}
    times = time_alternating(fns, repeats=args.repeats, warmup=1)
    cores = sorted(os.sched_getaffinity(0))
    pinned = f"taskset -c {','.join(map(str, cores))} " if len(cores) < os.cpu_count() else ""
    result = {
        "benchmark": "startup",
        "command": pinned + command_line(),
        "cores": cores,
        "repeats": args.repeats,
        "times": times,
        "machine": machine(),
    }
    emit(result)
    if args.write:
        write_section("startup", to_markdown(result))


if __name__ == "__main__":
    main()
