"""The forecasting defaults on data they were never tuned on: the plain default command.

For each data set, ``rnnkit forecast train --data FILE --horizon H`` (plus ``--test`` for M4,
whose test part is its own file, and ``--seed``) runs in a subprocess with nothing else set:
``model.kind = "auto"`` with its default time budget. Its test sMAPE and MASE are printed
beside seasonal naive's and Naive2's on the same test part, with the wall-clock time.

* AirPassengers (monthly, 144 points), H = 24, 5 seeds: the mean and the spread;
* M4 Hourly (414 series), H = 48, the official test file;
* ETTh1's OT column (hourly oil temperature, 17,420 points), H = 96, the last 96 points.

    python benchmarks/forecast_defaults.py [--seeds 5] [--only airpassengers,m4,etth1] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from _common import DATASETS, command_line, emit, machine, write_section

ROOT = DATASETS / "forecast"


def data_sets(tmp: Path) -> dict:
    ett = pd.read_csv(ROOT / "ETTh1.csv")[["date", "OT"]]
    ett.to_csv(tmp / "ETTh1-OT.csv", index=False)
    return {
        "airpassengers": {"args": ["--data", str(ROOT / "AirPassengers.csv"), "--horizon", "24"]},
        "m4": {
            "args": [
                "--data",
                str(ROOT / "M4-Hourly-train.csv"),
                "--test",
                str(ROOT / "M4-Hourly-test.csv"),
                "--horizon",
                "48",
            ],
        },
        "etth1": {"args": ["--data", str(tmp / "ETTh1-OT.csv"), "--horizon", "96"]},
    }


def run_default(args: list[str], out: Path, seed: int) -> dict:
    cmd = [sys.executable, "-m", "rnnkit.cli.main", "forecast", "train", *args]
    cmd += ["--seed", str(seed), "--out", str(out), "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    final = json.loads((out / "metrics.json").read_text())
    row = {"seed": seed, "seconds": round(seconds, 1), "chosen": chosen_of(out)}
    row.update({k: round(final[f"test_{k}"], 4) for k in ("smape", "mase")})
    for kind in ("seasonal_naive", "naive2"):
        base = json.loads((out / "candidates" / kind / "metrics.json").read_text())
        row.update({f"{kind}_{k}": round(base[f"test_{k}"], 4) for k in ("smape", "mase")})
    return row


def chosen_of(run: Path) -> str:
    text = (run / "config.toml").read_text()
    kind = text.split('kind = "')[1].split('"')[0]
    return kind if kind != "ensemble" else f"ensemble of {text.count('members/')} runs"


def run(args) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        sets = data_sets(Path(tmp))
        for name in args.only.split(","):
            seeds = range(args.seeds) if name == "airpassengers" else range(1)
            rows = [run_default(sets[name]["args"], Path(tmp) / f"{name}-{s}", s) for s in seeds]
            for row in rows:
                print(name, row, file=sys.stderr, flush=True)
            results[name] = {
                "runs": rows,
                "command": "rnnkit forecast train "
                + " ".join(sets[name]["args"])
                .replace(str(DATASETS), "DATASETS")
                .replace(tmp, "TMP"),
            }
    return {
        "benchmark": "forecast_defaults",
        "results": results,
        "command": command_line(),
        "machine": machine(),
    }


def to_markdown(r: dict) -> str:
    m = r["machine"]
    lines = [
        "## Forecasting defaults on unseen data (issue 15)",
        "",
        f"Command: `{r['command']}`. Machine: {m['cpu']}, torch {m['torch']}, 1 thread, "
        f"{m['date']} (commit {m['commit']}). Each row is the plain default command (only "
        '`--data`, `--horizon`, and `--test` for M4), i.e. `model.kind = "auto"` with its '
        "default time budget of 300 s.",
        "",
        "| data | default sMAPE | default MASE | seasonal naive | Naive2 | chosen | wall s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, res in r["results"].items():
        runs = res["runs"]
        mean = lambda k, runs=runs: statistics.mean(x[k] for x in runs)  # noqa: E731
        spread = max(x["smape"] for x in runs) - min(x["smape"] for x in runs)
        smape = f"{mean('smape'):.3f}" + (
            f" (spread {spread:.2f}, {len(runs)} seeds)" if len(runs) > 1 else ""
        )
        lines.append(
            f"| {name} | {smape} | {mean('mase'):.3f} | {mean('seasonal_naive_smape'):.3f} / "
            f"{mean('seasonal_naive_mase'):.3f} | {mean('naive2_smape'):.3f} / "
            f"{mean('naive2_mase'):.3f} | {runs[0]['chosen']} | {mean('seconds'):.0f} |"
        )
    lines += [
        "",
        "Baselines as sMAPE / MASE on the same test part. Targets: the default beats seasonal "
        "naive and Naive2 on all three; AirPassengers sMAPE < 6.0 as a mean over 5 seeds with "
        "a spread < 1.0 (Holt-Winters: 6.66).",
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--only", default="airpassengers,m4,etth1")
    p.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = p.parse_args()
    result = run(args)
    emit(result)
    if args.write:
        write_section("forecast_defaults", to_markdown(result))


if __name__ == "__main__":
    main()
