"""M4 Hourly (414 series, H = 48, m = 24): official sMAPE, MASE and OWA of rnnkit's Naive2
and seasonal naive (which must match the published 18.383 / 2.395 and 13.912 / 1.193) and of
a global recurrent model trained on this CPU.

The model sees only the training file; the test file is read for scoring only. Each series
is forecast once from the end of its training part. The recurrent model is one global
SegRNN-style network over all series (scaled per series, on the log scale or
standardised; last-value instance normalisation; MAE loss), an ensemble of ``--seeds`` runs
(median forecast). Every run goes through the public door: ``Forecaster(...).fit(train,
test=test)``, which is ``rnnkit forecast train --data ... --test ...`` with the same flags.

    python benchmarks/forecast_m4.py [--seeds 3] [--epochs 3] [--write]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from _common import DATASETS, command_line, emit, machine, write_section
from rnnkit.forecast import ForecastData, Forecaster, ForecastModel, ForecastTrain, read
from rnnkit.metrics import forecasting as fm

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


def run(args) -> dict:
    torch.set_num_threads(1)
    root = DATASETS / "forecast"
    train_csv, test_csv = root / "M4-Hourly-train.csv", root / "M4-Hourly-test.csv"
    train, test = read(train_csv), read(test_csv)
    actual = np.stack([v[:48] for v in test.values])
    insample = train.values
    rows = {}
    n2 = Forecaster("naive2", horizon=48, season=24).fit(train, test=test)
    naive2 = n2.forecast_array()[..., 0]
    for name in ("naive2", "seasonal_naive", "naive"):
        fc = Forecaster(name, horizon=48, season=24).fit(train, test=test)
        rows[name] = scores(actual, fc.forecast_array()[..., 0], insample, naive2)
    scalings = args.scalings.split(",")
    net = ForecastModel(
        kind="segrnn",
        cell=args.cell,
        hidden_size=args.hidden_size,
        segment_length=24,
        loss="mae",
        revin="last",
        dropout=args.dropout,
    )
    forecasts, seconds, cpu, per_seed = [], 0.0, 0.0, []
    for seed in range(args.seeds):
        data = ForecastData(
            input_length=args.input_length,
            log=scalings[seed % len(scalings)] == "log",
            validation_size=args.validation_size,
            stride=args.stride,
        )
        settings = ForecastTrain(
            epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=seed
        )
        start, c0 = time.perf_counter(), time.process_time()
        fc = Forecaster("segrnn", horizon=48, season=24, data=data, net=net, train=settings)
        fc.fit(train_csv, test=test_csv, quiet=args.quiet)
        seconds += time.perf_counter() - start
        cpu += time.process_time() - c0
        forecasts.append(fc.forecast_array()[..., 0])
        per_seed.append(scores(actual, forecasts[-1], insample, naive2))
        if not args.quiet:
            print(f"seed {seed}: {per_seed[-1]}, {seconds:.0f} s so far", flush=True)
    ensemble = np.median(np.stack(forecasts), 0)
    rows["rnnkit_segrnn"] = scores(actual, ensemble, insample, naive2)
    return {
        "benchmark": "forecast_m4",
        "series": len(train),
        "horizon": 48,
        "season": 24,
        "results": rows,
        "recurrent_per_seed": per_seed,
        "train_seconds": round(seconds, 1),
        "train_cpu_seconds": round(cpu, 1),
        "settings": {k: v for k, v in vars(args).items() if k != "write"},
        "command": command_line(),
        "machine": machine(),
    }


def to_markdown(r: dict) -> str:
    m, s = r["machine"], r["settings"]
    res = r["results"]
    model = (
        f"rnnkit SegRNN-style {s['cell'].upper()} (d={s['hidden_size']}, L="
        f"{s['input_length']}, W=24, scaling {s['scalings']}, {s['seeds']}-run median)"
    )
    lines = [
        "## Forecasting: M4 Hourly (issue 4)",
        "",
        f"Command: `{r['command']}`. Machine: {m['cpu']}, torch {m['torch']}, 1 thread, "
        f"{m['date']} (commit {m['commit']}).",
        "",
        "414 series, H = 48, m = 24; the test file is read only for scoring; sMAPE, MASE "
        "and OWA as M4 defines them (mean over series).",
        "",
        "| method | sMAPE | MASE | OWA |",
        "|---|---|---|---|",
        f"| rnnkit Naive2 | {res['naive2']['smape']:.3f} | {res['naive2']['mase']:.3f} | "
        f"{res['naive2']['owa']:.3f} |",
        f"| rnnkit seasonal naive | {res['seasonal_naive']['smape']:.3f} | "
        f"{res['seasonal_naive']['mase']:.3f} | {res['seasonal_naive']['owa']:.3f} |",
        f"| rnnkit naive | {res['naive']['smape']:.3f} | {res['naive']['mase']:.3f} | "
        f"{res['naive']['owa']:.3f} |",
        f"| **{model}** | **{res['rnnkit_segrnn']['smape']:.3f}** | "
        f"**{res['rnnkit_segrnn']['mase']:.3f}** | **{res['rnnkit_segrnn']['owa']:.3f}** |",
    ]
    lines += [f"| {name} | {a:.3f} | {b:.3f} | {c:.3f} |" for name, a, b, c in PUBLISHED]
    per_seed = ", ".join(f"{p['smape']:.3f} / {p['mase']:.3f}" for p in r["recurrent_per_seed"])
    lines += [
        "",
        f"Recurrent model: training {r['train_seconds'] / 60:.1f} min wall clock "
        f"({r['train_cpu_seconds'] / 60:.1f} min CPU) for all {s['seeds']} seeds, "
        f"{s['epochs']} epochs each, 1 thread on a 2-core machine shared with other jobs "
        f"(conservative). Single seeds (sMAPE / MASE): {per_seed}.",
        "Target: sMAPE <= 8.9 and MASE <= 0.80 in under 20 minutes.",
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--input-length", type=int, default=168)
    p.add_argument("--hidden-size", type=int, default=256)
    p.add_argument("--cell", default="gru")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--stride", type=int, default=1)
    p.add_argument("--validation-size", type=int, default=48)
    p.add_argument(
        "--scalings",
        default="log",
        help="comma-separated scalings cycled over the seeds: log (relative errors, "
        "sMAPE-friendly) and/or standard (MASE-friendly)",
    )
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = p.parse_args()
    result = run(args)
    emit(result)
    if args.write:
        write_section("forecast_m4", to_markdown(result))


if __name__ == "__main__":
    main()
