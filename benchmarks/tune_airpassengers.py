"""rnnkit tune on AirPassengers: 30 trials of a SegRNN, chosen on the validation window only.

The study is ``examples/tune_airpassengers.toml``: hidden size, L (``data.input_length``),
lr, dropout and cell, scored by the validation window's sMAPE (the 24 months before the
test part), TPE sampling and the median pruner. It runs twice, with 1 and with 2 worker
processes (``rnnkit tune --workers K``, one torch thread per worker), for the wall time.
The best trial's test sMAPE (its run folder already holds it: the test part was never used
to choose) is set beside the default's: ``examples/forecast_airpassengers.toml`` trained
as written, the config the tuned values replace.

    python benchmarks/tune_airpassengers.py [--trials 30] [--epochs 60] [--write]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import DATASETS, command_line, emit, machine, write_section

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "src" / "rnnkit" / "examples"
DATA = DATASETS / "forecast" / "AirPassengers.csv"
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def rnnkit(*args) -> float:
    """Run ``rnnkit ARGS`` in a subprocess; its wall-clock seconds."""
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "rnnkit.cli.main", *map(str, args)]
    subprocess.run(cmd, check=True, env=ENV, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def final(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


def study(tmp: Path, workers: int, args) -> dict:
    out = tmp / f"workers{workers}"
    load_before = os.getloadavg()[0]
    sets = ["--set", f"data.train={json.dumps(str(DATA))}", "--set", f"train.epochs={args.epochs}"]
    seconds = rnnkit(
        "tune", EXAMPLES / "tune_airpassengers.toml", "--trials", args.trials,
        "--workers", workers, "--out", out, "--quiet", *sets,
    )  # fmt: skip
    with open(out / "trials.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    done = [r for r in rows if r["state"] == "complete"]
    best = min(done, key=lambda r: float(r["value"]))
    metrics = final(out / best["run"])
    keys = [k for k in rows[0] if "." in k]
    return {
        "workers": workers,
        "seconds": round(seconds, 1),
        "trial_seconds": round(sum(float(r["seconds"]) for r in rows), 1),  # summed
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "trials": len(rows),
        "pruned": sum(r["state"] == "pruned" for r in rows),
        "failed": sum(r["state"] == "fail" for r in rows),
        "best_trial": int(best["trial"]),
        "best": {k: best[k] for k in keys},
        "val_smape": round(metrics["val_smape"], 3),
        "test_smape": round(metrics["test_smape"], 3),
        "test_mase": round(metrics["test_mase"], 3),
    }


def default(tmp: Path, args) -> dict:
    out = tmp / "default"
    seconds = rnnkit(
        "train", EXAMPLES / "forecast_airpassengers.toml", "--out", out, "--quiet",
        "--set", f"data.train={json.dumps(str(DATA))}", "--set", f"train.epochs={args.epochs}",
    )  # fmt: skip
    metrics = final(out)
    return {
        "seconds": round(seconds, 1),
        "val_smape": round(metrics["val_smape"], 3),
        "test_smape": round(metrics["test_smape"], 3),
        "test_mase": round(metrics["test_mase"], 3),
    }


def markdown(result: dict) -> str:
    m, d, runs = result["machine"], result["default"], result["studies"]
    lines = [
        "## rnnkit tune: 30 trials on AirPassengers (issue 19)",
        "",
        f"Command: `flock /work/bench.lock taskset -c 0,1 env OMP_NUM_THREADS=1 "
        f"{result['command']}`. Machine: {m['cpu']}, torch {m['torch']}, one torch thread per "
        f"worker, {m['date']} (commit {m['commit']}); other helpers' jobs ran on core 1 "
        f"meanwhile, so the 2-worker wall time is an upper bound.",
        "",
        f"Study: `examples/tune_airpassengers.toml` ({result['trials']} trials, "
        f"{result['epochs']} epochs each, TPE seed 0, median pruner after 5 trials) over "
        "model.hidden_size (16-256, log), data.input_length (24, 36, 48, 72), train.lr "
        "(1e-4-1e-2, log), model.dropout (0-0.5) and model.cell (rnn, lstm, gru), each trial "
        "scored by the sMAPE of the validation window only (the 24 months before the test "
        "part). Test sMAPE: the best trial's own run; default: "
        "`examples/forecast_airpassengers.toml` as written (SegRNN, GRU, H 128, lr 1e-3).",
        "",
        "| config | workers | wall s | trial s (sum) | load before / after | trials (pruned, "
        "failed) | val sMAPE | test sMAPE | test MASE |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| default | - | {d['seconds']} | - | - | - | {d['val_smape']} | {d['test_smape']} | "
        f"{d['test_mase']} |",
    ]
    for r in runs:
        best = ", ".join(f"{k.split('.')[1]} {_short(v)}" for k, v in r["best"].items())
        lines.append(
            f"| best of study (trial {r['best_trial']}: {best}) | {r['workers']} | "
            f"{r['seconds']} | {r['trial_seconds']} | {r['load'][0]} / {r['load'][1]} | "
            f"{r['trials']} ({r['pruned']}, {r['failed']}) | {r['val_smape']} | "
            f"{r['test_smape']} | {r['test_mase']} |"
        )
    speedup = runs[0]["seconds"] / runs[1]["seconds"] if len(runs) == 2 else float("nan")
    lines += ["", f"Wall time, 1 worker / 2 workers: {speedup:.2f}x."]
    return "\n".join(lines)


def _short(value: str) -> str:
    try:
        return f"{float(value):.3g}"
    except ValueError:
        return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=60, help="epochs of every run")
    parser.add_argument("--workers", default="1,2", help="the worker counts to time")
    parser.add_argument("--write", action="store_true", help="add the section to RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        result = {
            "machine": machine(),
            "command": command_line(),
            "trials": args.trials,
            "epochs": args.epochs,
            "default": default(tmp, args),
            "studies": [study(tmp, int(k), args) for k in args.workers.split(",")],
        }
    emit(result)
    if args.write:
        write_section("tune_airpassengers", markdown(result))


if __name__ == "__main__":
    main()
