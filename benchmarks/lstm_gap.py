"""The scratch LSTM against torch.nn's, before and after a change of the fast kernels, in one run.

    python benchmarks/lstm_gap.py [--before 686acac] [--repeats 15] [--threads 1] [--write]

Loads ``src/rnnkit/nn/fast`` as it was at commit ``--before`` (``git show``) beside the current
one, and times native, scratch (current) and scratch at ``--before`` in turn (a, b, c, a, b, c,
...) on the LSTM, GRU and RNN rows of ``benchmarks/layers.py``: forward and forward+backward,
medians (min-max) in ms and the ratios over native. The "before" engine replaces
``rnnkit.nn.fast.run_layers`` while it is timed; the layer and its weights are the same.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import torch

from _common import command_line, emit, machine, time_alternating, write_section
from layers import SHAPES, inference, make_layers, training_step
from rnnkit.nn import fast
from rnnkit.train.threads import others_load

ROOT = Path(__file__).resolve().parents[1]
FAST = "src/rnnkit/nn/fast"


def load_before(commit: str, into: Path):
    """The ``rnnkit.nn.fast`` package of ``commit`` (with its ``csrc/``), imported as
    ``fast_before``."""
    archive = subprocess.run(["git", "archive", commit, FAST], cwd=ROOT, check=True,
                             capture_output=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    package = into / FAST
    spec = importlib.util.spec_from_file_location(
        "fast_before", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["fast_before"] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def engine(run_layers):
    previous, fast.run_layers = fast.run_layers, run_layers
    try:
        yield
    finally:
        fast.run_layers = previous


def swapped(fn, run_layers):
    def run():
        with engine(run_layers):
            fn()

    return run


def bench(kind: str, shape: dict, before, repeats: int) -> dict:
    layers = make_layers(kind, shape)
    native, scratch = layers["native"], layers["scratch"]
    x = torch.randn(shape["L"], shape["N"], shape["H_in"])
    forward = {"native": inference(native, x), "scratch": inference(scratch, x),
               "before": swapped(inference(scratch, x), before.run_layers)}  # fmt: skip
    training = {"native": training_step(native, x), "scratch": training_step(scratch, x),
                "before": swapped(training_step(scratch, x), before.run_layers)}  # fmt: skip
    row = {"kind": kind, **shape}
    for phase, fns in (("forward", forward), ("forward_backward", training)):
        times = time_alternating(fns, repeats)
        row[phase] = times
        for name in ("scratch", "before"):
            row[f"{phase}_{name}_ratio"] = round(
                times[name]["median_ms"] / times["native"]["median_ms"], 2
            )
    return row


def _cell(t: dict) -> str:
    return f"{t['median_ms']:.1f} ({t['min_ms']:.1f}-{t['max_ms']:.1f})"


def to_markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"Command: `{result['command']}`. Machine: {m['cpu']}, {m['torch_threads']} thread, "
        f"torch {m['torch']}, {m['date']} (commit {m['commit']}; `before` = the fast kernels "
        f"of commit {result['before']}). Median of {result['repeats']} runs, ms (min-max), the "
        "three engines timed in turn. Runnable threads of other processes at the start: "
        f"{result.get('others_at_start', '?')} (0: an idle machine).",
        "",
        "| layer | N, L, H_in, H_out | native fwd+bwd | before | after | before/native | "
        "after/native | native fwd | before/native | after/native |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        fb, fw = r["forward_backward"], r["forward"]
        lines.append(
            f"| {r['kind'].upper()} | {r['N']}, {r['L']}, {r['H_in']}, {r['H_out']} | "
            f"{_cell(fb['native'])} | {_cell(fb['before'])} | {_cell(fb['scratch'])} | "
            f"{r['forward_backward_before_ratio']:.2f} | "
            f"**{r['forward_backward_scratch_ratio']:.2f}** | {_cell(fw['native'])} | "
            f"{r['forward_before_ratio']:.2f} | {r['forward_scratch_ratio']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", default="686acac", help="commit of the 'before' kernels")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--kinds", nargs="+", default=["lstm", "gru", "rnn"])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument(
        "--system-malloc", action="store_true", help="glibc's malloc as is (training keeps memory)"
    )
    args = parser.parse_args()
    if not args.system_malloc:
        fast.keep_freed_memory()  # what every rnnkit training and inference does
    torch.set_num_threads(args.threads)
    others = round(others_load(), 1)
    with tempfile.TemporaryDirectory() as tmp:
        before = load_before(args.before, Path(tmp))
        rows = [bench(k, s, before, args.repeats) for s in reversed(SHAPES) for k in args.kinds]
    result = {"benchmark": "lstm_gap", "command": command_line(), "before": args.before,
              "repeats": args.repeats, "machine": machine(), "rows": rows,
              "others_at_start": others}  # fmt: skip
    emit(result)
    if args.write:
        write_section("lstm_gap", "## The small-hidden LSTM (issue 18)\n\n" + to_markdown(result))


if __name__ == "__main__":
    main()
