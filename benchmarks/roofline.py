"""Roofline: how close the recurrent layers come to this machine's matrix-product peak.

    python benchmarks/roofline.py [--repeats 7] [--threads N] [--size 2048] [--write]

1. Peak: GFLOP/s of a large square matrix product ``(n, n) @ (n, n)`` (2 n^3 FLOPs), float32
   and bfloat16, median of ``--repeats`` runs.
2. Work of each configuration of benchmarks/layers.py (one layer, one direction), counted as

   - forward: ``2 L N G H (H_in + H)`` for the input and recurrent products (G = 1, 3, 4 for
     RNN, GRU, LSTM), plus ``E L N H`` elementwise FLOPs with E = 2 (RNN: bias add,
     activation), 13 (GRU) and 13 (LSTM) per hidden unit and step, an activation counting 1;
   - backward: twice the forward (the products ``dA W_hh`` per step, ``dW_hh``, ``dW_ih`` and
     ``dx`` are exactly twice the forward products; elementwise counted twice as well);

   so one training step (forward + backward) is 3 times the forward.
3. Achieved GFLOP/s of a training step of native, scratch (fast path) and both under bf16
   autocast, timed in turn, and the fraction of the float32 (or bfloat16) peak.

Prints JSON; ``--write`` updates the ``roofline`` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse

import torch

from _common import command_line, emit, machine, time_alternating, write_section
from layers import KINDS, SHAPES, engines

GATES = {"rnn": 1, "gru": 3, "lstm": 4}
ELEMENTWISE = {"rnn": 2, "gru": 13, "lstm": 13}  # FLOPs per hidden unit per step, forward
ENGINES = {"native": torch.float32, "scratch": torch.float32,
           "native_bf16": torch.bfloat16, "scratch_bf16": torch.bfloat16}  # fmt: skip


def peak_gflops(dtype: torch.dtype, size: int, repeats: int) -> dict:
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    t = time_alternating({"mm": lambda: torch.mm(a, b)}, repeats)["mm"]
    return {"size": size, **t, "gflops": round(2 * size**3 / t["median_ms"] / 1e6, 1)}


def training_flops(kind: str, shape: dict) -> float:
    """FLOPs of one forward+backward of one layer-direction (see the module docstring)."""
    n, length, h_in, hid = shape["N"], shape["L"], shape["H_in"], shape["H_out"]
    products = 2 * length * n * GATES[kind] * hid * (h_in + hid)
    elementwise = ELEMENTWISE[kind] * length * n * hid
    return 3.0 * (products + elementwise)


def bench(kind: str, shape: dict, repeats: int, peaks: dict) -> dict:
    fns = engines(kind, shape)
    times = time_alternating({name: fns[name][1] for name in ENGINES}, repeats)
    flops = training_flops(kind, shape)
    row: dict = {"kind": kind, **shape, "training_gflop": round(flops / 1e9, 3)}
    for name, dtype in ENGINES.items():
        gflops = flops / times[name]["median_ms"] / 1e6
        percent = 100 * gflops / peaks[str(dtype)]["gflops"]
        row[name] = {**times[name], "gflops": round(gflops, 1), "peak_percent": round(percent, 1)}
    return row


def to_markdown(result: dict) -> str:
    m, peaks = result["machine"], result["peaks"]
    fp32, bf16 = peaks["torch.float32"], peaks["torch.bfloat16"]
    lines = [
        "## Roofline: achieved GFLOP/s of a training step against the matmul peak",
        "",
        f"Command: `{result['command']}`. Machine: {m['cpu']}, {m['torch_threads']} threads, "
        f"torch {m['torch']}, {m['date']} (commit {m['commit']}). Peak = median of "
        f"{result['repeats']} square matrix products of size {fp32['size']}: "
        f"**fp32 {fp32['gflops']} GFLOP/s, bf16 {bf16['gflops']} GFLOP/s** "
        f"(bf16/fp32 = {bf16['gflops'] / fp32['gflops']:.2f}). Work = 3 x forward FLOPs "
        "(products 2LNGH(H_in+H) + elementwise E*LNH, E = 2/13/13 for RNN/GRU/LSTM). "
        "Cells: GFLOP/s (% of the peak of the engine's dtype).",
        "",
        "| layer | N, L, H_in, H_out | GFLOP | native | scratch | native bf16 | scratch bf16 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        cells = " | ".join(f"{r[e]['gflops']:.1f} ({r[e]['peak_percent']:.0f}%)" for e in ENGINES)
        lines.append(f"| {r['kind'].upper()} | {r['N']}, {r['L']}, {r['H_in']}, {r['H_out']} | "
                     f"{r['training_gflop']:.2f} | {cells} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--size", type=int, default=2048, help="side of the peak matmul")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    peaks = {
        str(d): peak_gflops(d, args.size, args.repeats) for d in (torch.float32, torch.bfloat16)
    }
    rows = [bench(kind, shape, args.repeats, peaks) for shape in SHAPES for kind in KINDS]
    result = {"benchmark": "roofline", "command": command_line(), "repeats": args.repeats,
              "machine": machine(), "peaks": peaks, "rows": rows}  # fmt: skip
    emit(result)
    if args.write:
        write_section("roofline", to_markdown(result))


if __name__ == "__main__":
    main()
