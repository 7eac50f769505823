"""M4 Hourly (414 series, H = 48, m = 24) through the documented command.

Runs ``rnnkit train examples/forecast_m4_hourly.toml --set data.train=... --set
data.test=...`` (the preset of the README) in a subprocess, times it, and scores its
``predictions.csv`` with the official sMAPE, MASE and OWA (M4 sets negative forecasts to 0),
beside rnnkit's Naive2, seasonal naive and naive (which must match the published 18.383 /
2.395 and 13.912 / 1.193) and the published entries. The model sees only the training file;
the test file is read for scoring only. Probabilistic: the coverage of the calibrated 80% and
95% intervals and the MSIS of the 95% one, beside the seasonal naive's normal interval from
its in-sample residuals (M4's benchmark construction).

    python benchmarks/forecast_m4.py [--set KEY=VALUE ...] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _common import DATASETS, command_line, emit, machine, write_section
from rnnkit.forecast import read
from rnnkit.metrics import forecasting as fm
from rnnkit.metrics import probabilistic as pm
from rnnkit.models.forecasting import baselines

PRESET = Path(__file__).resolve().parents[1] / "examples" / "forecast_m4_hourly.toml"
PUBLISHED = [  # Evaluation and Ranks.xlsx (M4-methods @6c1067e), Hourly
    ("Naive2 (published)", 18.383, 2.395, 1.000),
    ("Seasonal naive (published)", 13.912, 1.193, 0.627),
    ("M4 RNN benchmark (published)", 14.698, 3.048, 1.036),
    ("ES-RNN, Smyl, winner (published)", 9.328, 0.893, 0.440),
    ("Best Hourly entry, Doornik et al. (published)", 8.913, 0.801, 0.410),
]


def scores(actual, forecast, insample, naive2) -> dict:
    f = np.maximum(forecast, 0.0)  # M4 sets negative forecasts to 0
    s, m = fm.smape(actual, f), fm.mase(actual, f, insample, 24)
    s2, m2 = fm.smape(actual, naive2), fm.mase(actual, naive2, insample, 24)
    return {"smape": round(s, 3), "mase": round(m, 3), "owa": round(fm.owa(s, m, s2, m2), 3)}


def frame_to_array(path: Path, ids: list[str], column: str) -> np.ndarray:
    """``(S, 48)`` of ``column`` from a run's predictions.csv, in the order of ``ids``."""
    pred = pd.read_csv(path)
    pivot = pred.pivot(index="id", columns="step", values=column)
    return pivot.loc[[str(i) for i in ids]].to_numpy(dtype=np.float64)


def run_preset(overrides: list[str], out: Path) -> tuple[list[str], float]:
    root = DATASETS / "forecast"
    cmd = [
        "rnnkit",
        "train",
        str(PRESET),
        "--set",
        f"data.train={root / 'M4-Hourly-train.csv'}",
        "--set",
        f"data.test={root / 'M4-Hourly-test.csv'}",
        "--out",
        str(out),
        "--quiet",
    ]
    for item in overrides:
        cmd += ["--set", item]
    start = time.perf_counter()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "rnnkit.cli.main", *cmd[1:]], check=True, env=env)
    return cmd, time.perf_counter() - start


def run(args) -> dict:
    root = DATASETS / "forecast"
    train, test = read(root / "M4-Hourly-train.csv"), read(root / "M4-Hourly-test.csv")
    order = {sid: i for i, sid in enumerate(test.ids)}
    actual = np.stack([test.values[order[s]][:48] for s in train.ids])
    insample = train.values
    naive2 = baselines.forecast("naive2", insample, 48, 24)
    rows = {
        name: scores(actual, baselines.forecast(name, insample, 48, 24), insample, naive2)
        for name in ("naive2", "seasonal_naive", "naive")
    }
    _, lo, hi = pm.seasonal_naive_interval(insample, 48, 24, 0.95)
    sn_interval = {
        "coverage_95": round(fm.coverage(actual, lo, hi), 4),
        "msis": round(pm.msis(actual, lo, hi, insample, 24), 3),
    }
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "m4"
        cmd, seconds = run_preset(args.overrides, out)
        value = frame_to_array(out / "predictions.csv", train.ids, "value")
        rows["rnnkit_preset"] = scores(actual, value, insample, naive2)
        final = json.loads((out / "metrics.json").read_text())
        members = sorted((out / "members").iterdir(), key=lambda p: int(p.name))
        per_member = []
        for member in members:
            f = frame_to_array(member / "predictions.csv", train.ids, "value")
            settings = (member / "config.toml").read_text()
            scaler = settings.split('scaler = "')[1].split('"')[0]
            per_member.append({"scaler": scaler, **scores(actual, f, insample, naive2)})
        chosen = json.loads((out / "calibration.json").read_text())
    probabilistic = {
        k[5:]: round(v, 4)
        for k, v in final.items()
        if k.startswith(("test_coverage", "test_msis", "test_crps"))
    }
    return {
        "benchmark": "forecast_m4",
        "series": len(train),
        "results": rows,
        "members": per_member,
        "probabilistic": probabilistic,
        "seasonal_naive_interval": sn_interval,
        "calibration": {"levels": chosen["levels"], "pooled": chosen["pooled"]},
        "seconds": round(seconds, 1),
        "rnnkit_command": " ".join(c for c in cmd if c != "--quiet")
        .replace(str(DATASETS), "DATASETS")
        .replace(str(PRESET), "examples/forecast_m4_hourly.toml")
        .split(" --out ")[0],
        "command": command_line(),
        "machine": machine(),
    }


def to_markdown(r: dict) -> str:
    m, res = r["machine"], r["results"]
    row = lambda name, x: f"| {name} | {x['smape']:.3f} | {x['mase']:.3f} | {x['owa']:.3f} |"  # noqa: E731
    p, sn = r["probabilistic"], r["seasonal_naive_interval"]
    members = ", ".join(f"{x['scaler']} {x['smape']:.3f} / {x['mase']:.3f}" for x in r["members"])
    lines = [
        "## Forecasting: M4 Hourly (issues 4, 12 and 15)",
        "",
        f"Command: `{r['command']}`, which runs `{r['rnnkit_command']}`. Machine: {m['cpu']}, "
        f"torch {m['torch']}, 1 thread, {m['date']} (commit {m['commit']}).",
        "",
        "414 series, H = 48, m = 24; the test file is read only for scoring; sMAPE, MASE "
        "and OWA as M4 defines them (mean over series).",
        "",
        "| method | sMAPE | MASE | OWA |",
        "|---|---|---|---|",
        row("rnnkit Naive2", res["naive2"]),
        row("rnnkit seasonal naive", res["seasonal_naive"]),
        row("rnnkit naive", res["naive"]),
        row("**rnnkit, the preset `examples/forecast_m4_hourly.toml`**", res["rnnkit_preset"]),
    ]
    lines += [f"| {name} | {a:.3f} | {b:.3f} | {c:.3f} |" for name, a, b, c in PUBLISHED]
    lines += [
        "",
        f"The whole command took **{r['seconds'] / 60:.1f} min** wall clock (the search, "
        f"{len(r['members'])} members and the ensemble; 1 thread). Members (log scale, "
        f"scaling, sMAPE / MASE): {members}.",
        "",
        "| 95% / 80% intervals | coverage 95% | coverage 80% | MSIS (95%) |",
        "|---|---|---|---|",
        f"| rnnkit preset, conformal on the validation window | {p.get('coverage_95', 0):.3f} "
        f"| {p.get('coverage_80', 0):.3f} | {p.get('msis', float('nan')):.3f} |",
        f"| seasonal naive, normal from in-sample residuals (M4's construction) | "
        f"{sn['coverage_95']:.3f} | | {sn['msis']:.3f} |",
        "",
        "Targets: sMAPE <= 8.9 and MASE <= 0.80 in under 20 minutes; coverage 93-97% (95%) "
        "and 77-83% (80%).",
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="passed on to rnnkit train (repeatable)",
    )
    p.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = p.parse_args()
    result = run(args)
    emit(result)
    if args.write:
        write_section("forecast_m4", to_markdown(result))


if __name__ == "__main__":
    main()
