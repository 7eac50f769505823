"""Rows of ``benchmarks/layers.py --min``: MinGRU and MinLSTM against native GRU and LSTM.

At N=32, H_in=64, H_out=256 and L = 128, 512, 2048: forward (no grad) and forward+backward
(input without grad, as in the other rows) of one layer, the four layers timed in turn inside
one run, and the ratios native / min (how many times faster the min cell is).
"""

from __future__ import annotations

import torch

from _common import time_alternating
from rnnkit.nn import recurrent

MIN_LENGTHS = [128, 512, 2048]
MIN_SHAPE = {"N": 32, "H_in": 64, "H_out": 256}
PAIRS = [("gru", "mingru"), ("lstm", "minlstm")]


def _forward(layer, x):
    def run():
        with torch.no_grad():
            layer(x)

    return run


def _training(layer, x):
    def run():
        out, _ = layer(x)
        out.sum().backward()

    return run


def min_rows(repeats: int) -> list[dict]:
    rows = []
    for length in MIN_LENGTHS:
        torch.manual_seed(0)
        x = torch.randn(length, MIN_SHAPE["N"], MIN_SHAPE["H_in"])
        layers = {kind: recurrent(kind, input_size=MIN_SHAPE["H_in"],
                                  hidden_size=MIN_SHAPE["H_out"])  # fmt: skip
                  for pair in PAIRS for kind in pair}  # fmt: skip
        forward = time_alternating({k: _forward(m, x) for k, m in layers.items()}, repeats, 1)
        training = time_alternating({k: _training(m, x) for k, m in layers.items()}, repeats, 1)
        row: dict = {"L": length, **MIN_SHAPE}
        for kind in layers:
            row[f"{kind}_forward"], row[f"{kind}_forward_backward"] = forward[kind], training[kind]
        for native, fast in PAIRS:
            for phase in ("forward", "forward_backward"):
                ratio = row[f"{native}_{phase}"]["median_ms"] / row[f"{fast}_{phase}"]["median_ms"]
                row[f"{native}_over_{fast}_{phase}"] = round(ratio, 2)
        rows.append(row)
    return rows


def _cell(t: dict) -> str:
    return f"{t['median_ms']:.1f} ({t['min_ms']:.1f}-{t['max_ms']:.1f})"


def min_markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        "## MinGRU and MinLSTM against native GRU and LSTM (issue 18)",
        "",
        f"Command: `{result['command']}`. Machine: {m['cpu']}, {m['torch_threads']} threads, "
        f"torch {m['torch']}, {m['date']} (commit {m['commit']}). Median of "
        f"{result['repeats']} runs, ms (min-max), the four layers timed in turn; runnable "
        f"threads of other processes at the start: {result.get('others_at_start', '?')} (0: "
        "an idle machine). N=32, H_in=64, H_out=256, fp32; the input needs no "
        "gradient. Ratio = native / min: how many times faster the min cell is. Freed memory "
        + (
            "kept in the process (`rnnkit.nn.fast.keep_freed_memory()`, as rnnkit's training does)."
            if result.get("keep_freed_memory")
            else "returned to the kernel (glibc's default, `--system-malloc`)."
        ),
        "",
        "| L | phase | GRU | MinGRU | GRU/MinGRU | LSTM | MinLSTM | LSTM/MinLSTM |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        for phase, label in (("forward", "fwd"), ("forward_backward", "fwd+bwd")):
            lines.append(
                f"| {r['L']} | {label} | {_cell(r[f'gru_{phase}'])} | "
                f"{_cell(r[f'mingru_{phase}'])} | {r[f'gru_over_mingru_{phase}']:.2f} | "
                f"{_cell(r[f'lstm_{phase}'])} | {_cell(r[f'minlstm_{phase}'])} | "
                f"{r[f'lstm_over_minlstm_{phase}']:.2f} |"
            )
    return "\n".join(lines)
