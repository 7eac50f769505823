"""Forward and forward+backward time of the recurrent layers, native against scratch.

    python benchmarks/layers.py [--repeats 7] [--threads N] [--write]

Prints JSON: for RNN, GRU and LSTM at (N=64, L=100, H_in=128, H_out=256) and
(N=32, L=200, H_in=32, H_out=64), the median/min/max milliseconds of each engine and the
ratio scratch/native of the medians. Timings alternate engines inside one run.
"""

from __future__ import annotations

import argparse

import torch

from _common import command_line, emit, machine, timeit, write_section
from rnnkit.nn import recurrent

SHAPES = [
    {"N": 64, "L": 100, "H_in": 128, "H_out": 256},
    {"N": 32, "L": 200, "H_in": 32, "H_out": 64},
]
KINDS = ["rnn", "gru", "lstm"]
BACKENDS = ["native", "scratch"]


def bench_one(kind: str, shape: dict, repeats: int) -> dict:
    torch.manual_seed(0)
    layers = {
        b: recurrent(kind, backend=b, input_size=shape["H_in"], hidden_size=shape["H_out"])
        for b in BACKENDS
    }
    layers["scratch"].load_state_dict(layers["native"].state_dict())
    x = torch.randn(shape["L"], shape["N"], shape["H_in"])
    row: dict = {"kind": kind, **shape}
    for backend, layer in layers.items():

        def forward(layer=layer):
            with torch.no_grad():
                layer(x)

        def forward_backward(layer=layer):
            out, _ = layer(x.requires_grad_(False))
            out.sum().backward()

        row[f"{backend}_forward"] = timeit(forward, repeats)
        row[f"{backend}_forward_backward"] = timeit(forward_backward, repeats)
    for phase in ("forward", "forward_backward"):
        ratio = row[f"scratch_{phase}"]["median_ms"] / row[f"native_{phase}"]["median_ms"]
        row[f"ratio_{phase}"] = round(ratio, 2)
    return row


def to_markdown(result: dict) -> str:
    lines = [
        "## Recurrent layers: native (torch.nn) against scratch (rnnkit loop)",
        "",
        f"Command: `{result['command']}`. Machine: {result['machine']['cpu']}, "
        f"{result['machine']['torch_threads']} threads, torch {result['machine']['torch']}, "
        f"{result['machine']['date']} (commit {result['machine']['commit']}). "
        f"Median of {result['repeats']} runs, ms (min-max).",
        "",
        "| layer | N, L, H_in, H_out | native fwd | scratch fwd | ratio | native fwd+bwd | "
        "scratch fwd+bwd | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def cell(t):
        return f"{t['median_ms']:.1f} ({t['min_ms']:.1f}-{t['max_ms']:.1f})"

    for r in result["rows"]:
        lines.append(
            f"| {r['kind'].upper()} | {r['N']}, {r['L']}, {r['H_in']}, {r['H_out']} | "
            f"{cell(r['native_forward'])} | {cell(r['scratch_forward'])} | "
            f"{r['ratio_forward']:.2f} | {cell(r['native_forward_backward'])} | "
            f"{cell(r['scratch_forward_backward'])} | {r['ratio_forward_backward']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = [bench_one(kind, shape, args.repeats) for shape in SHAPES for kind in KINDS]
    result = {
        "benchmark": "layers",
        "command": command_line(),
        "repeats": args.repeats,
        "machine": machine(),
        "rows": rows,
    }
    emit(result)
    if args.write:
        write_section("layers", to_markdown(result))


if __name__ == "__main__":
    main()
