"""Training steps at 1 and 2 torch threads, alone and beside a second training, and what
``train.num_threads = "auto"`` (rnnkit.train.threads) picks.

    flock /work/bench.lock taskset -c 0,1 python benchmarks/threads.py [--write] [--no-demo]

1. Crossover: one training step (LSTM(16, H) + Linear(H, 1), MSE, Adam; N = 32, L = 50) for
   H = 32 ... 384, median ms at 1 and at 2 threads, alone; and the forward alone (inference).
2. A small (H = 32) and a large (H = 384) step at 1 and at 2 threads, alone and with a second
   training running (a subprocess running the same step loop on torch's default threads,
   as a training did before "auto"), and the thread count "auto" picks in each case, decided
   by :class:`rnnkit.train.threads.Threads` on the same steps as a run.
3. ``make demo``'s two commands (``rnnkit demo sincos``, ``rnnkit demo fc-vs-rnn``), wall
   seconds, alone and beside the background training.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from _common import command_line, emit, machine, write_section
from rnnkit.train.threads import SMALL_STEP_MS, Threads, others_load

N, L, H_IN = 32, 50, 16
SWEEP = [32, 64, 128, 192, 256, 384]
SMALL, LARGE = 32, 384
REPEATS = 9


def make_step(hidden: int, train: bool = True):
    """One training step (or one forward) of an LSTM + linear head on a fixed batch."""
    torch.manual_seed(0)
    lstm, head = nn.LSTM(H_IN, hidden, batch_first=True), nn.Linear(hidden, 1)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    x, y = torch.randn(N, L, H_IN), torch.randn(N, L, 1)

    def step() -> None:
        if not train:
            with torch.no_grad():
                head(lstm(x)[0])
            return
        opt.zero_grad()
        loss = nn.functional.mse_loss(head(lstm(x)[0]), y)
        loss.backward()
        opt.step()

    return step


def median_ms(step, threads: int, repeats: int = REPEATS) -> float:
    torch.set_num_threads(threads)
    for _ in range(2):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return round(statistics.median(times), 2)


def auto_pick(step) -> tuple[int, str]:
    """Run steps under ``Threads("auto")`` as the training loop does, until it decides."""
    threads = Threads("auto")
    for _ in range(20):
        if threads.decided:
            break
        start = time.perf_counter()
        step()
        threads.update(time.perf_counter() - start)
    return torch.get_num_threads(), threads.sentence


def background(hidden: int) -> subprocess.Popen:
    """A second training: this file with ``--background``, on torch's default threads."""
    proc = subprocess.Popen([sys.executable, __file__, "--background", str(hidden)])
    time.sleep(3.0)  # imported and stepping
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def sweep() -> list[dict]:
    rows = []
    for hidden in SWEEP:
        row = {"hidden": hidden}
        for kind, train in (("train", True), ("forward", False)):
            step = make_step(hidden, train)
            row[f"{kind}_1"] = median_ms(step, 1)
            row[f"{kind}_2"] = median_ms(step, 2)
        rows.append(row)
    return rows


def cases() -> list[dict]:
    rows = []
    for beside in (False, True):
        for hidden in (SMALL, LARGE):
            proc = background(hidden) if beside else None
            try:
                step = make_step(hidden)
                one, two = median_ms(step, 1), median_ms(step, 2)
                load = others_load()
                picked, why = auto_pick(step)
            finally:
                if proc is not None:
                    stop(proc)
            faster = 1 if one <= two else 2
            rows.append({"hidden": hidden, "beside": beside, "ms_1": one, "ms_2": two,
                         "others_load": load, "auto": picked, "why": why,
                         "faster": faster, "auto_is_faster": picked == faster})  # fmt: skip
    return rows


def demo_seconds() -> list[dict]:
    rnnkit = [sys.executable, "-m", "rnnkit.cli.main", "demo"]
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for beside in (False, True):
            proc = background(SMALL) if beside else None
            try:
                for name, extra in (("sincos", ["--quiet"]), ("fc-vs-rnn", [])):
                    start = time.perf_counter()
                    subprocess.run(rnnkit + [name, "--out", str(Path(out) / name)] + extra,
                                   check=True, capture_output=True)  # fmt: skip
                    seconds = round(time.perf_counter() - start, 1)
                    rows.append({"demo": name, "beside": beside, "seconds": seconds})
            finally:
                if proc is not None:
                    stop(proc)
    return rows


def to_markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        '## Threads: `train.num_threads = "auto"` (issue 18)',
        "",
        f"Command: `flock /work/bench.lock taskset -c 0,1 {result['command']}`. Machine: "
        f"{m['cpu']}, 2 cores, torch {m['torch']}, {m['date']} (commit {m['commit']}). "
        f"Runnable threads of other processes at the start: {result.get('others_at_start', '?')}"
        " (0: an idle machine). A step: LSTM(16, H) + Linear(H, 1), MSE, Adam, "
        f"N = {N}, L = {L}; median of {REPEATS} steps, ms.",
        "",
        "| H | train, 1 thread | 2 threads | 2/1 | forward, 1 thread | 2 threads | 2/1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["sweep"]:
        lines.append(
            f"| {r['hidden']} | {r['train_1']} | {r['train_2']} | "
            f"{r['train_2'] / r['train_1']:.2f} | {r['forward_1']} | {r['forward_2']} | "
            f"{r['forward_2'] / r['forward_1']:.2f} |"
        )
    lines += [
        "",
        f'What "auto" picks (a step under {SMALL_STEP_MS:g} ms at 1 thread stays on 1 thread; '
        "`beside`: a second training of the same model on 2 threads runs meanwhile; "
        "`others`: runnable threads of other processes seen at the start):",
        "",
        "| H | beside | 1 thread ms | 2 threads ms | faster | others | auto | auto's line |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["cases"]:
        lines.append(
            f"| {r['hidden']} | {'yes' if r['beside'] else 'no'} | {r['ms_1']} | {r['ms_2']} | "
            f"{r['faster']} | {r['others_load']:g} | {r['auto']} | `{r['why']}` |"
        )
    if result["demo"]:
        lines += ["", "`make demo`'s commands, wall seconds:", "",
                  "| command | alone | beside a 2-thread training |", "|---|---|---|"]  # fmt: skip
        by = {(r["demo"], r["beside"]): r["seconds"] for r in result["demo"]}
        for name in ("sincos", "fc-vs-rnn"):
            lines.append(f"| `rnnkit demo {name}` | {by[name, False]} | {by[name, True]} |")
    return "\n".join(lines)


def run_background(hidden: int) -> None:
    step = make_step(hidden)
    while True:
        step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo commands")
    parser.add_argument("--background", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.background:
        run_background(args.background)
        return
    default = torch.get_num_threads()
    result = {"benchmark": "threads", "command": command_line(), "machine": machine()}
    result["others_at_start"] = round(others_load(), 1)
    result["sweep"] = sweep()
    result["cases"] = cases()
    torch.set_num_threads(default)
    result["demo"] = [] if args.no_demo else demo_seconds()
    emit(result)
    if args.write:
        write_section("threads", to_markdown(result))


if __name__ == "__main__":
    main()
