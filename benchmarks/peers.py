"""rnnkit against the peer libraries users come from: Darts and NeuralForecast (issue 8).

The same data, split and metrics for everyone, one torch thread, wall-clock seconds of
``fit`` and of ``predict`` (the forecast after the end of every series; median of 5 calls
after a first, untimed one), sMAPE and MASE as M4 defines them.

Data:
- ``air``: AirPassengers, the last 24 months held out, m = 12, L = 48; seeds 0, 1, 2.
- ``m4``: M4 Hourly, 414 series, the competition's test file, H = 48, m = 24, L = 96.

Models (recurrent, comparable sizes; each library's own data handling and scaling):
- Darts ``BlockRNNModel`` (LSTM 64 units, encodes L steps, emits H at once; min-max scaler);
- NeuralForecast ``LSTM`` (its default 2-layer encoder of 128 and MLP decoder; robust scaler);
- rnnkit ``Forecaster("direct", cell="lstm", hidden_size=64)`` (the same shape as Darts');
- rnnkit ``Forecaster("segrnn")`` (its default GRU of 128 over segments of m steps).

Needs a virtual environment with darts and neuralforecast (``make bench-peers`` makes one).

    python benchmarks/peers.py [--datasets air m4] [--seeds 0 1 2] [--reuse] [--write]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from _common import DATASETS, command_line, emit, machine, write_section
from rnnkit.forecast import ForecastData, Forecaster, ForecastTrain, read
from rnnkit.metrics import forecasting as fm

QUIET = {"enable_progress_bar": False, "enable_model_summary": False, "logger": False}
SETUPS = {
    "air": {"H": 24, "m": 12, "L": 48, "epochs": 100, "nf_steps": 500, "batch": 16},
    "m4": {"H": 48, "m": 24, "L": 96, "epochs": 2, "nf_steps": 1000, "batch": 64},
}


def load(name: str):
    """(train values list, test array (S, H), ids) for a data set."""
    if name == "air":
        frame = pd.read_csv(DATASETS / "forecast" / "AirPassengers.csv")
        values = frame["#Passengers"].to_numpy(dtype=np.float64)
        return [values[:-24]], values[-24:][None], ["air"]
    train = read(DATASETS / "forecast" / "M4-Hourly-train.csv")
    test = read(DATASETS / "forecast" / "M4-Hourly-test.csv")
    order = {sid: i for i, sid in enumerate(test.ids)}
    actual = np.stack([test.values[order[s]][:48] for s in train.ids])
    return [np.asarray(v, dtype=np.float64) for v in train.values], actual, list(train.ids)


def score(forecast: np.ndarray, actual: np.ndarray, history, m: int) -> dict:
    smape = np.mean([fm.smape(a, f) for a, f in zip(actual, forecast)])
    mase = np.mean([fm.mase(a, f, h, m) for a, f, h in zip(actual, forecast, history)])
    return {"smape": round(float(smape), 3), "mase": round(float(mase), 3)}


def timed_predict(fn, calls: int = 5):
    out = fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return out, statistics.median(times)


def run_rnnkit(kind: str, history, ids, setup: dict, seed: int):
    frame = pd.concat(
        [pd.DataFrame({"id": sid, "timestamp": np.arange(len(v)), "value": v})
         for sid, v in zip(ids, history)]
    )  # fmt: skip
    options = {"cell": "lstm", "hidden_size": 64} if kind == "direct" else {}
    fc = Forecaster(
        kind,
        horizon=setup["H"],
        input_length=setup["L"],
        season=setup["m"],
        seed=seed,
        data=ForecastData(test_size=0),  # the held-out part is scored below, as for the peers
        train=ForecastTrain(epochs=setup["epochs"], batch_size=setup["batch"], lr=3e-3),
        **options,
    )
    start = time.perf_counter()
    fc.fit(frame)
    fit_s = time.perf_counter() - start
    forecast, predict_s = timed_predict(fc.forecast_array)
    fitted = fc.predictor.prepared.series.ids
    order = [fitted.index(sid) for sid in ids]  # long frames come sorted by id
    return forecast[order, :, 0], fit_s, predict_s


def run_darts(history, setup: dict, seed: int):
    from darts import TimeSeries
    from darts.dataprocessing.transformers import Scaler
    from darts.models import BlockRNNModel

    series = [TimeSeries.from_values(v.astype(np.float32)) for v in history]
    scaler = Scaler()
    scaled = scaler.fit_transform(series)
    model = BlockRNNModel(
        model="LSTM",
        input_chunk_length=setup["L"],
        output_chunk_length=setup["H"],
        hidden_dim=64,
        n_rnn_layers=1,
        n_epochs=setup["epochs"],
        batch_size=setup["batch"],
        random_state=seed,
        pl_trainer_kwargs={"accelerator": "cpu", **QUIET},
    )
    start = time.perf_counter()
    model.fit(scaled, max_samples_per_ts=None if len(series) == 1 else 100, verbose=False)
    fit_s = time.perf_counter() - start

    def predict():
        out = model.predict(setup["H"], series=scaled, verbose=False)
        return np.stack([s.values().ravel() for s in scaler.inverse_transform(out)])

    forecast, predict_s = timed_predict(predict)
    return forecast, fit_s, predict_s


def run_nf(history, ids, setup: dict, seed: int):
    os.environ.setdefault("NIXTLA_ID_AS_COL", "1")
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM

    frame = pd.concat(
        [pd.DataFrame({"unique_id": sid, "ds": np.arange(len(v)), "y": v})
         for sid, v in zip(ids, history)]
    )  # fmt: skip
    model = LSTM(
        h=setup["H"],
        input_size=setup["L"],
        max_steps=setup["nf_steps"],
        scaler_type="robust",
        random_seed=seed,
        accelerator="cpu",
        **QUIET,
    )
    nf = NeuralForecast(models=[model], freq=1)
    start = time.perf_counter()
    nf.fit(df=frame)
    fit_s = time.perf_counter() - start

    def predict():
        out = nf.predict()
        order = {sid: i for i, sid in enumerate(ids)}
        out = out.sort_values(["unique_id", "ds"], key=lambda c: c.map(order) if c.name ==
                              "unique_id" else c)  # fmt: skip
        return out["LSTM"].to_numpy().reshape(len(ids), setup["H"])

    forecast, predict_s = timed_predict(predict)
    return forecast, fit_s, predict_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(SETUPS), choices=list(SETUPS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--m4-seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--runs", default="runs/bench-peers", help="one JSON per finished run")
    parser.add_argument("--reuse", action="store_true", help="reuse the finished runs' JSON")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)

    results = {}
    for name in args.datasets:
        setup = SETUPS[name]
        history, actual, ids = load(name)
        seeds = args.seeds if name == "air" else args.m4_seeds
        rows = {}
        runners = {
            "Darts BlockRNNModel (LSTM 64)": (run_darts, (history, setup)),
            "NeuralForecast LSTM": (run_nf, (history, ids, setup)),
            "rnnkit direct (LSTM 64)": (run_rnnkit, ("direct", history, ids, setup)),
            "rnnkit segrnn (GRU 128)": (run_rnnkit, ("segrnn", history, ids, setup)),
        }
        for label, (runner, inputs) in runners.items():
            runs = []
            for seed in seeds:
                cache = Path(args.runs) / f"{name}-{label.split(' (')[0]}-s{seed}.json"
                if args.reuse and cache.exists():
                    runs.append(json.loads(cache.read_text()))
                    continue
                forecast, fit_s, predict_s = runner(*inputs, seed)
                r = score(forecast, actual, history, setup["m"])
                r.update(fit_s=round(fit_s, 2), predict_ms=round(1e3 * predict_s, 2), seed=seed)
                print(name, label, r, file=sys.stderr, flush=True)
                cache.parent.mkdir(parents=True, exist_ok=True)
                cache.write_text(json.dumps(r))
                runs.append(r)
            rows[label] = {
                key: round(statistics.median(r[key] for r in runs), 3)
                for key in ("smape", "mase", "fit_s", "predict_ms")
            } | {"runs": runs}
        results[name] = {"setup": setup, "series": len(ids), "models": rows}
    out = {"benchmark": "peers", "command": command_line(), "machine": machine(),
           "load_average": round(os.getloadavg()[0], 1), "results": results}  # fmt: skip
    emit(out)
    if args.write:
        write_section("peers", markdown(out))
    return 0


def markdown(out: dict) -> str:
    m = out["machine"]
    lines = [
        "## Peers: Darts and NeuralForecast against rnnkit (issue 8)",
        "",
        f"Command: `{out['command']}` (in the virtual environment of `make bench-peers`). "
        f"Machine: {m['cpu']}, torch {m['torch']}, 1 thread, {m['date']} (commit "
        f"{m['commit']}), load average {out['load_average']} at the end. Fit and predict are "
        "wall-clock; predict is the forecast of every series after its end (median of 5 "
        "calls). Medians over the seeds; one Lightning trainer is built per predict call by "
        "both peers, which is most of their predict time.",
        "",
    ]
    for name, block in out["results"].items():
        s = block["setup"]
        seeds = ", ".join(str(r["seed"]) for r in next(iter(block["models"].values()))["runs"])
        lines += [
            f"**{name}** ({block['series']} series, H = {s['H']}, m = {s['m']}, L = {s['L']}, "
            f"seeds {seeds})",
            "",
            "| model | sMAPE | MASE | fit s | predict ms |",
            "|---|---|---|---|---|",
        ]
        for label, r in block["models"].items():
            lines.append(
                f"| {label} | {r['smape']:.3f} | {r['mase']:.3f} | {r['fit_s']:.1f} | "
                f"{r['predict_ms']:.1f} |"
            )
        lines.append("")
    lines.append(
        "Targets: at least as accurate as the peers, fit at least 3x faster, predict at least "
        "10x faster."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
