"""sLSTM (rnnkit.nn.SLSTM) against native torch.nn.LSTM: forward and forward+backward time.

    python benchmarks/layers.py --slstm [--repeats 5] [--write]
    python benchmarks/layers_slstm.py [--repeats 5] [--write]

At N=32, H_in=64, H_out=256 and L = 128, 512, 2048: the median/min/max milliseconds of

- ``lstm``: ``torch.nn.LSTM`` (oneDNN's fused kernel);
- ``slstm``: ``SLSTM(num_heads=4)`` on its fast path (rnnkit.nn.fast.slstm);
- ``slstm_readable``: the same layer on the readable per-step loop (fast path off),

timed in turn (a, b, c, a, b, c, ...) inside one run, and the ratios slstm/lstm.
"""

from __future__ import annotations

import argparse

import torch

from _common import command_line, emit, machine, time_alternating, write_section
from rnnkit.nn import SLSTM, fast

LENGTHS = [128, 512, 2048]
SHAPE = {"N": 32, "H_in": 64, "H_out": 256}
HEADS = 4


def _engines(length: int) -> dict:
    """name -> (forward function, forward+backward function)."""
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(SHAPE["H_in"], SHAPE["H_out"])
    slstm = SLSTM(SHAPE["H_in"], SHAPE["H_out"], num_heads=HEADS)
    x = torch.randn(length, SHAPE["N"], SHAPE["H_in"])

    def forward(layer, fast_path=True):
        def run():
            with torch.no_grad(), fast.enabled(fast_path):
                layer(x)

        return run

    def training(layer, fast_path=True):
        def run():
            with fast.enabled(fast_path):
                out, _ = layer(x)
            out.sum().backward()

        return run

    return {
        "lstm": (forward(lstm), training(lstm)),
        "slstm": (forward(slstm), training(slstm)),
        "slstm_readable": (forward(slstm, False), training(slstm, False)),
    }


def bench_length(length: int, repeats: int) -> dict:
    fns = _engines(length)
    row: dict = {"L": length, **SHAPE}
    forward = time_alternating({k: f for k, (f, _) in fns.items()}, repeats, warmup=2)
    training = time_alternating({k: fb for k, (_, fb) in fns.items()}, repeats, warmup=2)
    row.update({f"{k}_forward": t for k, t in forward.items()})
    row.update({f"{k}_forward_backward": t for k, t in training.items()})
    for phase in ("forward", "forward_backward"):
        base = row[f"lstm_{phase}"]["median_ms"]
        row[f"ratio_{phase}"] = round(row[f"slstm_{phase}"]["median_ms"] / base, 2)
        row[f"ratio_readable_{phase}"] = round(
            row[f"slstm_readable_{phase}"]["median_ms"] / base, 2
        )
    return row


def _cell(t: dict) -> str:
    return f"{t['median_ms']:.0f} ({t['min_ms']:.0f}-{t['max_ms']:.0f})"


def to_markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        "## sLSTM (rnnkit.nn.SLSTM) against native LSTM (issue 18)",
        "",
        f"Command: `{result['command']}`, under `flock /work/bench.lock taskset -c 0 env "
        f"OMP_NUM_THREADS=1`. Machine: {m['cpu']}, {m['torch_threads']} thread, torch "
        f"{m['torch']}, {m['date']} (commit {m['commit']}); other jobs ran on the other core "
        f"meanwhile. Median of {result['repeats']} runs, ms (min-max), engines timed in turn. "
        f"N = {SHAPE['N']}, H_in = {SHAPE['H_in']}, H_out = {SHAPE['H_out']}, sLSTM with "
        f"{HEADS} heads. `slstm` is the fast path, `readable` the per-step loop.",
        "",
        "| L | LSTM fwd | sLSTM fwd | sLSTM/LSTM | LSTM fwd+bwd | sLSTM fwd+bwd | sLSTM/LSTM | "
        "readable fwd+bwd | readable/LSTM |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['L']} | {_cell(r['lstm_forward'])} | {_cell(r['slstm_forward'])} | "
            f"{r['ratio_forward']:.2f} | {_cell(r['lstm_forward_backward'])} | "
            f"{_cell(r['slstm_forward_backward'])} | {r['ratio_forward_backward']:.2f} | "
            f"{_cell(r['slstm_readable_forward_backward'])} | "
            f"{r['ratio_readable_forward_backward']:.2f} |"
        )
    return "\n".join(lines)


def run(repeats: int, write: bool) -> dict:
    rows = [bench_length(length, repeats) for length in LENGTHS]
    result = {
        "benchmark": "layers-slstm",
        "command": command_line(),
        "repeats": repeats,
        "machine": machine(),
        "rows": rows,
    }
    emit(result)
    if write:
        write_section("layers-slstm", to_markdown(result))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="append the section to RESULTS.md")
    args = parser.parse_args()
    run(args.repeats, args.write)


if __name__ == "__main__":
    main()
