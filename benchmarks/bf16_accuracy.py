"""bf16 training against fp32: same final metrics within the seed-to-seed spread? (issue 8)

Task ``forecast`` on M4 Hourly through the engine (``rnnkit train``'s loop), the M4
benchmark's SegRNN-style GRU (d=256, L=168, W=24, log scaling), trained with
``train.precision = "fp32"`` and ``"bf16"`` (autocast: bf16 matrix products, fp32 master
weights) for the same seeds; sMAPE and MASE on the competition's test file, training wall
and CPU seconds, one thread.

    python benchmarks/bf16_accuracy.py [--seeds 0 1] [--epochs 2] [--write]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from _common import DATASETS, command_line, emit, machine, write_section
from rnnkit.config import config_from_dict
from rnnkit.tasks import get_task_class
from rnnkit.train import fit


def config(precision: str, seed: int, epochs: int) -> dict:
    root = DATASETS / "forecast"
    return {
        "task": "forecast",
        "name": f"m4-{precision}-s{seed}",
        "data": {
            "train": str(root / "M4-Hourly-train.csv"),
            "test": str(root / "M4-Hourly-test.csv"),
            "horizon": 48,
            "season": 24,
            "input_length": 168,
            "log": True,
        },
        "model": {"kind": "segrnn", "cell": "gru", "hidden_size": 256, "segment_length": 24},
        "train": {
            "epochs": epochs,
            "batch_size": 64,
            "lr": 0.001,
            "seed": seed,
            "precision": precision,
            "device": "cpu",
            "num_threads": 1,
            "log_every": 200,
        },
    }


def run(precision: str, seed: int, epochs: int) -> dict:
    raw = config(precision, seed, epochs)
    cfg = config_from_dict(raw)
    task = get_task_class("forecast")(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu = time.perf_counter(), time.process_time()
        result = fit(task, cfg, Path(tmp) / raw["name"], quiet=True)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    m = result.metrics
    return {
        "precision": precision,
        "seed": seed,
        "smape": round(m["test_smape"], 3),
        "mase": round(m["test_mase"], 3),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for seed in args.seeds:
        for precision in ("fp32", "bf16"):  # alternate, so that load changes hit both alike
            rows.append(run(precision, seed, args.epochs))
            print(rows[-1], file=sys.stderr, flush=True)
    out = {"benchmark": "bf16_accuracy", "command": command_line(), "machine": machine(),
           "epochs": args.epochs, "results": rows}  # fmt: skip
    emit(out)
    if args.write:
        write_section("bf16_accuracy", markdown(out))
    return 0


def markdown(out: dict) -> str:
    m = out["machine"]
    lines = [
        "## bf16 against fp32 training: M4 Hourly final metrics (issue 8)",
        "",
        f"Command: `{out['command']}`. Machine: {m['cpu']}, torch {m['torch']}, 1 thread, "
        f"{m['date']} (commit {m['commit']}). Task `forecast` through the engine, SegRNN-style "
        f"GRU d=256, L=168, log scaling, {out['epochs']} epochs, batches of 64; sMAPE and "
        "MASE on the M4 test file.",
        "",
        "| precision | seed | sMAPE | MASE | train wall s | train CPU s |",
        "|---|---|---|---|---|---|",
    ]
    for r in out["results"]:
        lines.append(
            f"| {r['precision']} | {r['seed']} | {r['smape']:.3f} | {r['mase']:.3f} | "
            f"{r['wall_s']:.0f} | {r['cpu_s']:.0f} |"
        )
    for p in ("fp32", "bf16"):
        rs = [r for r in out["results"] if r["precision"] == p]
        smapes = [r["smape"] for r in rs]
        lines.append(
            f"| **{p} mean** | | {statistics.fmean(smapes):.3f} | "
            f"{statistics.fmean(r['mase'] for r in rs):.3f} | "
            f"{statistics.fmean(r['wall_s'] for r in rs):.0f} | "
            f"{statistics.fmean(r['cpu_s'] for r in rs):.0f} |"
        )
    lines += [
        "",
        "Target: bf16 final metrics within the fp32 seed-to-seed spread; bf16 training at least "
        "2x faster at H_out >= 256 (this CPU has no AMX; see the layers section).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
