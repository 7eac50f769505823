"""How to run the per-step loops of rnnkit.nn.fast: TorchScript, eager, or torch.compile.

    python benchmarks/fusion.py [--repeats 7] [--threads N] [--compile-loop] [--write]

For the LSTM and the GRU at the two shapes of benchmarks/layers.py, times the recurrence of
one layer given its input projection ``gi`` (median/min/max ms, timed in turn):

- ``script`` / ``eager``: the fast autograd Function, forward (no grad) and forward+backward,
  with its loops scripted (``rnnkit.nn.fast.jit.mode("script")``, the default) or eager;
- ``compile_step``: the readable cell step (rnnkit.nn.functional) fused by ``torch.compile``
  (inductor, C++ on CPU) and called once per step from Python, forward only;
- with ``--compile-loop``, ``compile_loop``: ``torch.compile`` of the whole forward loop
  (dynamo unrolls the L steps; the compile time is reported, and it recompiles for every new
  length), LSTM at the small shape only because compiling takes minutes (less when
  inductor's on-disk cache already holds the graph from an earlier run), against
  ``script_loop``, the same loop on the same buffers, scripted.

Prints JSON; ``--write`` updates the ``fusion`` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch

from _common import command_line, emit, machine, time_alternating, write_section
from layers import SHAPES
from rnnkit.nn import functional as RF
from rnnkit.nn.fast import GRUFunction, LSTMFunction, Schedule, jit, lstm

GATES = {"lstm": 4, "gru": 3}


def _inputs(kind: str, shape: dict):
    torch.manual_seed(0)
    n, length, hid = shape["N"], shape["L"], shape["H_out"]
    gi = torch.randn(length, n, GATES[kind] * hid)
    w_hh = torch.randn(GATES[kind] * hid, hid) / hid**0.5
    return gi, torch.zeros(n, hid), w_hh, torch.zeros(GATES[kind] * hid)


def _function(kind: str, shape: dict, loop_mode: str, backward: bool):
    gi, h0, w_hh, b_hh = _inputs(kind, shape)
    sched = Schedule.padded(shape["L"], shape["N"])
    gi.requires_grad_(backward)

    def run():
        with jit.mode(loop_mode), torch.set_grad_enabled(backward):
            if kind == "lstm":
                out = LSTMFunction.apply(gi, h0, h0, w_hh, sched, False)[0]
            else:
                out = GRUFunction.apply(gi, h0, w_hh, b_hh, sched, False)[0]
            if backward:
                out.sum().backward()

    return run


def _compiled_step(kind: str, shape: dict):
    gi, h0, w_hh, b_hh = _inputs(kind, shape)
    step = torch.compile(RF.lstm_step if kind == "lstm" else RF.gru_step, dynamic=False)

    def run():
        with torch.no_grad():
            state = (h0, h0) if kind == "lstm" else h0
            for gi_t in gi:
                if kind == "lstm":
                    state = step(gi_t, *state, w_hh, b_hh)
                else:
                    state = step(gi_t, state, w_hh, b_hh)

    return run


def _compiled_loop(shape: dict, repeats: int) -> dict:
    """torch.compile of the whole LSTM forward loop: compile time, then the timed calls."""
    gi, h0, w_hh, _ = _inputs("lstm", shape)
    length, n, hid = gi.size(0), gi.size(1), h0.size(1)
    bufs = [torch.zeros(length + 1, n, hid) for _ in range(2)]
    acts, tcs = torch.empty(length, n, 4 * hid), torch.empty(length, n, hid)
    gates = [a.unbind(0) for a in acts.chunk(4, dim=2)]
    w = lstm.doubled(w_hh)  # the loop takes the cell gate's rows doubled (see nn/fast/lstm.py)
    args = (gi.unbind(0), w, False, bufs[0].unbind(0), bufs[1].unbind(0), acts.unbind(0),
            gates, tcs.unbind(0), list(range(length)), [n] * length, False)  # fmt: skip
    compiled = torch.compile(lstm._forward_loop)
    start = time.perf_counter()
    compiled(*args)
    compile_s = round(time.perf_counter() - start, 1)
    with jit.mode("script"):  # the same loop on the same buffers, scripted
        loops = {
            "compile_loop": lambda: compiled(*args),
            "script_loop": lambda: lstm.FORWARD_LOOP(*args),
        }
        timing = time_alternating(loops, repeats)
    return {"compile_s": compile_s, **timing}


def bench(kind: str, shape: dict, repeats: int) -> dict:
    forward = {m: _function(kind, shape, m, False) for m in jit.MODES}
    forward["compile_step"] = _compiled_step(kind, shape)
    training = {m: _function(kind, shape, m, True) for m in jit.MODES}
    row = {"kind": kind, **shape, "forward": time_alternating(forward, repeats)}
    row["forward_backward"] = time_alternating(training, repeats)
    return row


def to_markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        "## Step loops: TorchScript against eager against torch.compile",
        "",
        f"Command: `{result['command']}`. Machine: {m['cpu']}, {m['torch_threads']} threads, "
        f"torch {m['torch']}, {m['date']} (commit {m['commit']}). One layer's recurrence given "
        f"its input projection; median of {result['repeats']} runs, ms (min-max).",
        "",
        "| cell | N, L, H | fwd script | fwd eager | fwd compile_step | fwd+bwd script | "
        "fwd+bwd eager |",
        "|---|---|---|---|---|---|---|",
    ]

    def cell(t):
        return f"{t['median_ms']:.1f} ({t['min_ms']:.1f}-{t['max_ms']:.1f})"

    for r in result["rows"]:
        f, fb = r["forward"], r["forward_backward"]
        lines.append(
            f"| {r['kind'].upper()} | {r['N']}, {r['L']}, {r['H_out']} | {cell(f['script'])} | "
            f"{cell(f['eager'])} | {cell(f['compile_step'])} | {cell(fb['script'])} | "
            f"{cell(fb['eager'])} |"
        )
    if "compile_loop" in result:
        c = result["compile_loop"]
        lines += [
            "",
            "`torch.compile` of the whole LSTM forward loop (N=32, L=200, H=64, buffers "
            f"preallocated): {c['compile_s']} s to compile (inductor cache as it was; again for "
            f"every new length), then {cell(c['compile_loop'])} ms per call; the same loop "
            f"scripted: {cell(c['script_loop'])} ms.",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--compile-loop", action="store_true", help="also compile a whole loop")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    rows = [bench(kind, shape, args.repeats) for shape in SHAPES for kind in GATES]
    result = {"benchmark": "fusion", "command": command_line(), "repeats": args.repeats,
              "machine": machine(), "rows": rows}  # fmt: skip
    if args.compile_loop:
        result["compile_loop"] = _compiled_loop(SHAPES[1], args.repeats)
    emit(result)
    if args.write:
        write_section("fusion", to_markdown(result))


if __name__ == "__main__":
    main()
