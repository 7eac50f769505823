"""``rnnkit forecast train | predict | compare``: forecasting from a CSV in one command.

A CSV with a date column and numeric columns needs no options besides ``--horizon``; long
(id, timestamp, value), wide and M4 files work too. Every flag is a field of task
``forecast``'s config (its default is that field's default), so ``forecast train`` is
``rnnkit train`` on the config the flags describe: the same engine, run folder and numbers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from rnnkit.cli import add_set_option
from rnnkit.config import CELLS
from rnnkit.errors import ConfigError, RunError
from rnnkit.models.forecasting import BASELINE_KINDS, KINDS, ForecastModel
from rnnkit.tasks.forecast_data import ForecastData, ForecastTrain

_DATA, _MODEL, _TRAIN = ForecastData(), ForecastModel(), ForecastTrain()
COMPARED = BASELINE_KINDS + ("linear", "mlp", "direct", "autoregressive", "segrnn")

# flag -> (section, key, type, help); the default shown is the config field's
FLAGS = {
    "--horizon": ("data", "horizon", int, "H, steps forecast at once"),
    "--season": ("data", "season", int, "seasonal period m (0 = from the timestamps, else 1)"),
    "--input-length": ("data", "input_length", int, "L, steps read (0 = 2 max(H, m))"),
    "--scaler": ("data", "scaler", str, "per-series scaling: standard, minmax, robust, meanabs"),
    "--decimal": ("data", "decimal", str, "decimal mark of the CSV: . or , (then ; separated)"),
    "--cell": ("model", "cell", str, f"recurrent cell: {', '.join(CELLS)}"),
    "--hidden-size": ("model", "hidden_size", int, "hidden size of the network"),
    "--epochs": ("train", "epochs", int, "passes over the training windows"),
    "--batch-size": ("train", "batch_size", int, "windows per step"),
    "--lr": ("train", "lr", float, "peak learning rate (cosine decay)"),
    "--time-budget": ("train", "time_budget", float, "stop training after S seconds (0 = none)"),
    "--seed": ("train", "seed", int, "seed of weights and data order"),
}


def _common(p) -> None:
    p.add_argument(
        "--data",
        required=True,
        help="the series: a CSV (long, wide, M4 or ETT), or rnnkit:airpassengers (shipped)",
    )
    p.add_argument(
        "--test",
        help="a separate test file (M4 style: the next H values of each "
        "series); default: the last H points of each series",
    )
    for flag, (section, key, kind, text) in FLAGS.items():
        default = getattr({"data": _DATA, "model": _MODEL, "train": _TRAIN}[section], key)
        required = flag == "--horizon"  # no silent default for what is forecast
        shown = " (required)" if required else f" (default {default})"
        p.add_argument(flag, type=kind, default=None, required=required, help=text + shown)
    p.add_argument(
        "--fill",
        choices=["interpolate", "ffill"],
        help="fill missing values (empty cells, missing timestamps) instead of refusing them "
        "(default: an error); infinite values are always refused",
    )
    p.add_argument(
        "--log",
        action="store_true",
        help="model log(values) (positive data with growing swings, as sMAPE likes)",
    )
    add_set_option(p, "model.dropout=0.1")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing runs; each new run replaces the old one only when it succeeded",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def register(sub, help_text: str) -> None:
    p = sub.add_parser(
        "forecast",
        help=help_text,
        description="Forecasting from a CSV in one command: train a forecaster, predict "
        "with it, or compare baselines and networks in one table.",
    )
    fsub = p.add_subparsers(dest="forecast_command", metavar="SUBCOMMAND", parser_class=type(p))
    fsub.required = True
    t = fsub.add_parser(
        "train",
        help="train one forecaster into a run folder",
        description="Train one forecaster (or score a baseline) into a run "
        "folder: config.toml, checkpoints, predictions.csv, report.html.",
    )
    _common(t)
    t.add_argument(
        "--model",
        default=_MODEL.kind,
        choices=KINDS + CELLS,
        help=f"network kind or baseline (default {_MODEL.kind}); a cell name means "
        f"{_MODEL.kind} with that cell",
    )
    t.add_argument("--quantiles", default="", help="quantiles for intervals, e.g. 0.1,0.5,0.9")
    t.add_argument("--out", help="run folder (default runs/forecast-<model>)")
    t.set_defaults(func=run_train)
    pr = fsub.add_parser(
        "predict",
        help="forecast after the end of the data, as CSV",
        description="Forecast after the end of a run's series (or of --data) "
        "and write id,timestamp,step,value[,q...] as CSV.",
    )
    pr.add_argument("run", help="a forecast run folder")
    pr.add_argument("--data", help="history to forecast from (default: the run's own data)")
    pr.add_argument("--horizon", type=int, help="steps (default the trained H)")
    pr.add_argument("--decimal", help="decimal mark of --data: . or , (default the run's)")
    pr.add_argument("-o", "--output", help="write the CSV to this file instead of stdout")
    pr.add_argument("--out", dest="output", help=argparse.SUPPRESS)  # deprecated spelling
    pr.set_defaults(func=run_predict)
    c = fsub.add_parser(
        "compare",
        help="baselines and networks in one table (CSV, report)",
        description="Train or score several kinds on the same data, one run "
        "folder each, and tabulate their test scores.",
    )
    _common(c)
    c.add_argument(
        "--models",
        default=",".join(COMPARED),
        help=f"comma-separated kinds to compare (default {','.join(COMPARED)})",
    )
    c.add_argument(
        "--out",
        help="folder of the runs, compare.csv and report.html (default runs/forecast-compare)",
    )
    c.set_defaults(func=run_compare)


def config_of(args, kind: str, quantiles: list[float] = ()):
    """The config that the flags describe (only the flags given; the rest are defaults)."""
    from rnnkit.config import apply_overrides, config_from_dict

    raw = {"task": "forecast", "data": {"train": str(args.data)}, "model": {}, "train": {}}
    if kind in CELLS:  # `--model lstm`: the default network with that cell
        raw["model"]["cell"], kind = kind, _MODEL.kind
    raw["model"]["kind"] = kind
    for flag, (section, key, _, _) in FLAGS.items():
        value = getattr(args, flag[2:].replace("-", "_"))
        if value is not None:
            raw[section][key] = value
    for key, value in (("test", args.test), ("fill", args.fill), ("log", args.log or None)):
        if value:
            raw["data"][key] = str(value) if key == "test" else value
    if quantiles:
        raw["model"].update(quantiles=list(quantiles), loss="quantile")
    return config_from_dict(apply_overrides(raw, list(args.overrides)))


def _quantiles(text: str) -> list[float]:
    try:
        return [float(q) for q in text.split(",")] if text else []
    except ValueError:
        raise ConfigError(
            f"--quantiles must be numbers separated by commas, received {text!r}"
        ) from None


def _train_one(args, kind: str, out: Path, quantiles=(), quiet=False) -> tuple[dict, dict]:
    """Train (or score, for a baseline) one model into ``out``; return its test metrics and
    its test forecast (:meth:`~rnnkit.tasks.forecast.ForecastTask.test_forecast`)."""
    from rnnkit.api import train_run
    from rnnkit.tasks.forecast import ForecastTask
    from rnnkit.train.folder import holds_run

    config = config_of(args, kind, list(quantiles))
    replacing = args.overwrite and holds_run(out)
    args.error_log = None if replacing else out / "error.log"  # the old run stays as it was
    task = ForecastTask(config)
    result = train_run(config, out, task=task, overwrite=args.overwrite, quiet=quiet)
    metrics = {k[5:]: v for k, v in result.metrics.items() if k.startswith("test_")}
    metrics["train_seconds"] = result.metrics.get("train_seconds", 0.0)
    return metrics, task.test_forecast(result.model)


def run_train(args: argparse.Namespace) -> int:
    out = Path(args.out or f"runs/forecast-{args.model}")
    metrics, _ = _train_one(args, args.model, out, _quantiles(args.quantiles), args.quiet)
    kind = _MODEL.kind if args.model in CELLS else args.model
    line = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items() if isinstance(v, float))
    print(f"{kind}: test {line}" if line else f"{kind}: trained")
    print(f"run folder: {out}")
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from rnnkit.io import atomic_write_text
    from rnnkit.tasks.runs import load_run

    loaded = load_run(args.run)
    if loaded.config.task != "forecast":
        raise RunError(f"{args.run} is a {loaded.config.task!r} run, not a forecast run")
    if args.decimal is not None:
        loaded.task.config.data.decimal = args.decimal
    frame = loaded.task.predictor(loaded.model).predict(args.horizon, data=args.data)
    text = frame.to_csv(index=False)
    if args.output:
        atomic_write_text(Path(args.output), text)
        print(f"wrote {len(frame)} rows to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from rnnkit.report.forecast import compare_report

    out = Path(args.out or "runs/forecast-compare")
    kinds = [k.strip() for k in args.models.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ConfigError(
            f"--models must name kinds from {', '.join(KINDS)}, received {', '.join(unknown)}"
        )
    from rnnkit.train.folder import holds_run

    taken = [out / kind for kind in kinds if holds_run(out / kind)]
    if taken and not args.overwrite:  # refuse before training anything
        raise RunError(
            f"{taken[0]} already holds a run; replace the runs in {out} with --overwrite, or "
            f"choose another --out"
        )
    rows, firsts, test = [], {}, None
    for kind in kinds:
        metrics, test = _train_one(args, kind, out / kind, quiet=True)
        rows.append({"model": kind, **metrics})
        if test is not None:  # the point forecast of the first series
            point = int(np.argmin([abs(q - 0.5) for q in test["quantiles"]] or [0]))
            firsts[kind] = test["forecast"][0, :, point]
        print(f"{kind:<16} sMAPE {metrics['smape']:8.3f}  MASE {metrics['mase']:7.3f}", flush=True)
    title = f"rnnkit forecast compare: {Path(args.data).name}"
    table, report = compare_report(rows, out, title, forecasts=firsts, test=test)
    print(f"table: {table}; report: {report}")
    return 0
