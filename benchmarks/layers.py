"""Forward and forward+backward time of the recurrent layers: native, scratch, bfloat16.

    python benchmarks/layers.py [--repeats 7] [--threads N] [--write] [--min] [--system-malloc]
    python benchmarks/layers.py --slstm ...   (sLSTM against native LSTM: layers_slstm.py)

Prints JSON: for RNN, GRU and LSTM at (N=64, L=100, H_in=128, H_out=256) and
(N=32, L=200, H_in=32, H_out=64), the median/min/max milliseconds of each engine:

- ``native``: torch.nn (oneDNN); ``scratch``: backend="scratch" on its fast path
  (rnnkit.nn.fast); ``readable``: backend="scratch" with the fast path switched off;
- ``native_bf16``, ``scratch_bf16``: the same layers under
  ``torch.autocast("cpu", dtype=torch.bfloat16)`` (float32 master weights);

and the ratios scratch/native and bf16/fp32 of the medians. ``--min`` times MinGRU and MinLSTM
against native GRU and LSTM instead (benchmarks/min_layers.py, its own RESULTS.md section).
The engines of one phase are timed in turn (a, b, c, a, b, c, ...) inside one run, so a busy
neighbour slows them alike.
"""

from __future__ import annotations

import argparse

import torch

import layers_slstm
from _common import command_line, emit, machine, time_alternating, write_section
from min_layers import min_markdown, min_rows
from rnnkit.nn import fast, recurrent
from rnnkit.train.threads import others_load

SHAPES = [
    {"N": 64, "L": 100, "H_in": 128, "H_out": 256},
    {"N": 32, "L": 200, "H_in": 32, "H_out": 64},
]
KINDS = ["rnn", "gru", "lstm"]
BF16 = torch.bfloat16


def make_layers(kind: str, shape: dict) -> dict:
    """The native and the scratch layer with the same weights."""
    torch.manual_seed(0)
    native = recurrent(kind, backend="native", input_size=shape["H_in"],
                       hidden_size=shape["H_out"])  # fmt: skip
    scratch = recurrent(kind, backend="scratch", input_size=shape["H_in"],
                        hidden_size=shape["H_out"])  # fmt: skip
    scratch.load_state_dict(native.state_dict())
    return {"native": native, "scratch": scratch}


def training_step(layer, x, bf16: bool = False, fast_path: bool = True):
    """One forward+backward, optionally under bfloat16 autocast or on the readable loop."""

    def run():
        with fast.enabled(fast_path), torch.autocast("cpu", dtype=BF16, enabled=bf16):
            out, _ = layer(x)
        out.float().sum().backward()

    return run


def inference(layer, x):
    def run():
        with torch.no_grad():
            layer(x)

    return run


def engines(kind: str, shape: dict) -> dict:
    """name -> (forward function or None, forward+backward function)."""
    layers = make_layers(kind, shape)
    x = torch.randn(shape["L"], shape["N"], shape["H_in"])
    native, scratch = layers["native"], layers["scratch"]
    return {
        "native": (inference(native, x), training_step(native, x)),
        "scratch": (inference(scratch, x), training_step(scratch, x)),
        "readable": (None, training_step(scratch, x, fast_path=False)),
        "native_bf16": (None, training_step(native, x, bf16=True)),
        "scratch_bf16": (None, training_step(scratch, x, bf16=True)),
    }


def bench_one(kind: str, shape: dict, repeats: int) -> dict:
    fns = engines(kind, shape)
    forward = time_alternating({k: f for k, (f, _) in fns.items() if f}, repeats)
    training = time_alternating({k: fb for k, (_, fb) in fns.items()}, repeats)
    row: dict = {"kind": kind, **shape}
    row.update({f"{k}_forward": t for k, t in forward.items()})
    row.update({f"{k}_forward_backward": t for k, t in training.items()})

    def ratio(a: str, b: str) -> float:
        return round(row[a]["median_ms"] / row[b]["median_ms"], 2)

    row["ratio_forward"] = ratio("scratch_forward", "native_forward")
    row["ratio_forward_backward"] = ratio("scratch_forward_backward", "native_forward_backward")
    for engine in ("native", "scratch"):
        row[f"bf16_over_fp32_{engine}"] = ratio(f"{engine}_bf16_forward_backward",
                                                f"{engine}_forward_backward")  # fmt: skip
    return row


def _cell(t: dict) -> str:
    return f"{t['median_ms']:.1f} ({t['min_ms']:.1f}-{t['max_ms']:.1f})"


def to_markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        "## Recurrent layers: native (torch.nn) against scratch (rnnkit), fp32 and bf16",
        "",
        f"Command: `{result['command']}`. Machine: {m['cpu']}, {m['torch_threads']} threads, "
        f"torch {m['torch']}, {m['date']} (commit {m['commit']}). Median of "
        f"{result['repeats']} runs, ms (min-max), engines timed in turn. `scratch` is the fast "
        "path (rnnkit.nn.fast), `readable` the per-step loop it replaces.",
        "",
        "| layer | N, L, H_in, H_out | native fwd | scratch fwd | ratio | native fwd+bwd | "
        "scratch fwd+bwd | ratio | readable fwd+bwd |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        shape = f"{r['N']}, {r['L']}, {r['H_in']}, {r['H_out']}"
        lines.append(
            f"| {r['kind'].upper()} | {shape} | {_cell(r['native_forward'])} | "
            f"{_cell(r['scratch_forward'])} | {r['ratio_forward']:.2f} | "
            f"{_cell(r['native_forward_backward'])} | {_cell(r['scratch_forward_backward'])} | "
            f"{r['ratio_forward_backward']:.2f} | {_cell(r['readable_forward_backward'])} |"
        )
    lines += [
        "",
        'Training (fwd+bwd) under `torch.autocast("cpu", dtype=torch.bfloat16)`; '
        "bf16/fp32 < 1 means bf16 is faster.",
        "",
        "| layer | N, L, H_in, H_out | native bf16 | bf16/fp32 | scratch bf16 | bf16/fp32 |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        shape = f"{r['N']}, {r['L']}, {r['H_in']}, {r['H_out']}"
        lines.append(
            f"| {r['kind'].upper()} | {shape} | {_cell(r['native_bf16_forward_backward'])} | "
            f"{r['bf16_over_fp32_native']:.2f} | {_cell(r['scratch_bf16_forward_backward'])} | "
            f"{r['bf16_over_fp32_scratch']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--min", action="store_true", help="MinGRU/MinLSTM vs GRU/LSTM only")
    parser.add_argument("--slstm", action="store_true", help="sLSTM rows (layers_slstm.py)")
    parser.add_argument("--system-malloc", action="store_true",
                        help="leave glibc's malloc as it is (rnnkit's engine, and by default this "
                        "benchmark, call rnnkit.nn.fast.keep_freed_memory())")  # fmt: skip
    args = parser.parse_args()
    if not args.system_malloc:
        fast.keep_freed_memory()  # what every rnnkit training and inference does
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.slstm:
        layers_slstm.run(args.repeats, args.write)
    elif args.min:
        result = {"benchmark": "layers_min", "command": command_line(), "repeats": args.repeats,
                  "machine": machine(), "keep_freed_memory": not args.system_malloc,
                  "others_at_start": round(others_load(), 1),
                  "rows": min_rows(args.repeats)}  # fmt: skip
        emit(result)
        if args.write:
            write_section(f"layers_min_{torch.get_num_threads()}t", min_markdown(result))
        return
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
