"""AirPassengers (monthly, 1949-1960): the last 24 months held out, m = 12; sMAPE and MASE
of every model of ``rnnkit forecast compare`` (baselines and recurrent networks).

    python benchmarks/forecast_airpassengers.py [--epochs 100] [--log] [--set KEY=VALUE] [--write]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

from _common import DATASETS, command_line, emit, machine, write_section
from rnnkit.cli.main import main as rnnkit


def run(args) -> dict:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            "forecast",
            "compare",
            "--data",
            str(DATASETS / "forecast" / "AirPassengers.csv"),
            "--horizon",
            "24",
            "--epochs",
            str(args.epochs),
            "--batch-size",
            "16",
            "--seed",
            str(args.seed),
            "--out",
            tmp,
        ]
        if args.log:
            cmd.append("--log")
        for item in args.overrides:
            cmd += ["--set", item]
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            assert rnnkit(cmd) == 0
        seconds = time.perf_counter() - start
        table = pd.read_csv(Path(tmp) / "compare.csv")
    return {
        "benchmark": "forecast_airpassengers",
        "protocol": "last 24 months held out, m = 12, validation = the 24 months before",
        "compare_command": "rnnkit "
        + " ".join(c for c in cmd if c not in ("--out", tmp)).replace(str(DATASETS), "DATASETS"),
        "results": table.round(4).to_dict(orient="records"),
        "seconds": round(seconds, 1),
        "command": command_line(),
        "machine": machine(),
    }


def to_markdown(r: dict) -> str:
    m = r["machine"]
    lines = [
        "## Forecasting: AirPassengers, last 24 months (issue 4)",
        "",
        f"Command: `{r['command']}` (runs `{r['compare_command']}`). Machine: {m['cpu']}, "
        f"torch {m['torch']}, 1 thread, {m['date']} (commit {m['commit']}).",
        "",
        "| model | sMAPE | MASE | OWA | train s |",
        "|---|---|---|---|---|",
    ]
    for row in r["results"]:
        lines.append(
            f"| {row['model']} | {row['smape']:.3f} | {row['mase']:.3f} | "
            f"{row['owa']:.3f} | {row['train_seconds']:.1f} |"
        )
    lines += [
        "",
        "One series of 144 points, so the networks see 25 training windows: a "
        "smoke test of `forecast compare`, not a ranking of methods.",
        "",
        "Issue 12: before it, `forecast compare` silently ignored `--log` and trained with a "
        "constant learning rate; the figures recorded then (segrnn 4.411) were therefore without "
        "the log transform. The same settings through the one engine (no `--log`, "
        "`train.schedule = constant`) give the numbers above. With the log transform really "
        "applied the networks do worse on this series (segrnn sMAPE 7.0-8.0 over seeds 0-2), "
        "and the forecasting default's cosine decay to lr/100 ends too early for its 120 steps "
        "(segrnn 4.5-5.6): issue 15 makes the defaults choose these on validation.",
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log", action="store_true", help="model log(passengers)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="passed on to rnnkit forecast compare (repeatable)",
    )
    p.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = p.parse_args()
    result = run(args)
    emit(result)
    if args.write:
        write_section("forecast_airpassengers", to_markdown(result))


if __name__ == "__main__":
    main()
