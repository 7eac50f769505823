"""``rnnkit forecast train | predict | compare``: forecasting from a CSV in one command.

A CSV with a date column and numeric columns needs no options besides ``--horizon``; long
(id, timestamp, value), wide and M4 files work too. Networks train under the engine (a run
folder with checkpoints, metrics and report.html); baselines are scored directly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rnnkit.forecast.config import BASELINE_KINDS, KINDS

CELLS = ("rnn", "lstm", "gru", "jordan")


def _common(p) -> None:
    p.add_argument("--data", required=True, help="the series: a CSV (long, wide, M4 or ETT)")
    p.add_argument("--horizon", type=int, required=True, help="H, steps to forecast")
    p.add_argument(
        "--season",
        type=int,
        default=0,
        help="seasonal period m for MASE and seasonal baselines (default: from the "
        "timestamps' frequency, else 1)",
    )
    p.add_argument(
        "--test",
        help="a separate test file (M4 style: the next H values of each "
        "series); default: the last H points of each series",
    )
    p.add_argument(
        "--input-length", type=int, default=0, help="L, steps the model reads (default 2 max(H, m))"
    )
    p.add_argument("--epochs", type=int, default=20, help="training epochs (default 20)")
    p.add_argument("--batch-size", type=int, default=64, help="windows per step (default 64)")
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    p.add_argument(
        "--cell",
        default="gru",
        choices=CELLS,
        help="recurrent cell (default gru)",
    )
    p.add_argument("--hidden-size", type=int, default=128, help="hidden size (default 128)")
    p.add_argument(
        "--fill",
        default="none",
        choices=["none", "interpolate", "ffill"],
        help="fill missing values instead of refusing them (default none: an error)",
    )
    p.add_argument(
        "--log",
        action="store_true",
        help="model log(values) (positive data with growing swings, as sMAPE likes)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of weights and data order")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def register(sub) -> None:
    p = sub.add_parser(
        "forecast",
        help="train, apply and compare forecasters on a CSV",
        description="Forecasting from a CSV in one command: train a forecaster, predict "
        "with it, or compare baselines and networks in one table.",
    )
    fsub = p.add_subparsers(dest="forecast_command", metavar="SUBCOMMAND", parser_class=type(p))
    fsub.required = True

    t = fsub.add_parser("train", help="train one forecaster into a run folder")
    _common(t)
    t.add_argument(
        "--model",
        default="segrnn",
        choices=KINDS + BASELINE_KINDS + CELLS,
        help="network kind or baseline (default segrnn); a cell name (rnn, lstm, gru, "
        "jordan) means segrnn with that cell",
    )
    t.add_argument(
        "--quantiles", default="", help="comma-separated quantiles for intervals, e.g. 0.1,0.5,0.9"
    )
    t.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any config value, e.g. --set model.dropout=0.1 (repeatable)",
    )
    t.add_argument("--out", help="run folder (default runs/forecast-<model>)")
    t.set_defaults(func=run_train)

    pr = fsub.add_parser("predict", help="forecast after the end of the data, as CSV")
    pr.add_argument("run", help="a run folder of `rnnkit forecast train`")
    pr.add_argument("--data", help="history to forecast from (default: the run's own data)")
    pr.add_argument("--horizon", type=int, default=0, help="steps (default the trained H)")
    pr.add_argument("--out", help="write the CSV here instead of stdout")
    pr.set_defaults(func=run_predict)

    c = fsub.add_parser("compare", help="baselines and networks in one table (CSV, report)")
    _common(c)
    c.add_argument(
        "--models",
        default="naive,seasonal_naive,drift,mean,naive2,linear,mlp,direct,autoregressive,segrnn",
        help="comma-separated kinds and baselines to compare",
    )
    c.add_argument(
        "--out", help="folder for compare.csv and report.html (default runs/forecast-compare)"
    )
    c.set_defaults(func=run_compare)


def _config(args, kind: str, quantiles: list[float], overrides: list[str]):
    from rnnkit.config import apply_overrides, config_from_dict

    data = {
        "train": str(args.data),
        "horizon": args.horizon,
        "season": args.season,
        "input_length": args.input_length,
        "fill": args.fill,
    }
    if args.test:
        data["test"] = str(args.test)
    model = {
        "kind": kind,
        "cell": args.cell,
        "hidden_size": args.hidden_size,
        "backend": "scratch" if args.cell == "jordan" else "native",
    }
    if quantiles:
        model.update(quantiles=quantiles, loss="quantile")
    raw = {
        "task": "forecast",
        "name": f"forecast-{kind}",
        "data": data,
        "model": model,
        "train": {
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "lr": args.lr,
            "seed": args.seed,
            "device": "cpu",
            "log_every": 50,
        },
    }
    return config_from_dict(apply_overrides(raw, overrides))


def _quantiles(text: str) -> list[float]:
    if not text:
        return []
    try:
        return [float(q) for q in text.split(",")]
    except ValueError:
        raise ValueError(
            f"--quantiles must be numbers separated by commas, received {text!r}"
        ) from None


def _fit_one(args, kind: str, out: Path, quantiles=(), overrides=(), quiet=False) -> dict:
    """Train or score one model into ``out``; return its test metrics."""
    import json

    from rnnkit.forecast.api import Forecaster

    config = _config(args, kind, list(quantiles), list(overrides))
    if kind in BASELINE_KINDS:
        fc = Forecaster(kind, config.data.horizon, data=config.data, net=config.model)
        fc.fit(config.data.train, test=config.data.test or None)
        fc.save(out)
        return fc.metrics
    from rnnkit.tasks import get_task_class
    from rnnkit.train import fit

    args.error_log = out / "error.log"
    task = get_task_class("forecast")(config)
    result = fit(task, config, out, quiet=quiet, overwrite=True)
    metrics = {k[len("test_") :]: v for k, v in result.metrics.items() if k.startswith("test_")}
    metrics["train_seconds"] = result.metrics.get("train_seconds", 0.0)
    (out / "test_metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def run_train(args: argparse.Namespace) -> int:
    if args.model in CELLS:  # `--model lstm`: the default network with that cell
        args.cell, args.model = args.model, "segrnn"
    out = Path(args.out or f"runs/forecast-{args.model}")
    metrics = _fit_one(
        args, args.model, out, _quantiles(args.quantiles), args.overrides, args.quiet
    )
    line = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items() if isinstance(v, float))
    print(f"{args.model}: test {line}" if line else f"{args.model}: trained")
    print(f"run folder: {out}")
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from rnnkit.forecast.api import Forecaster

    fc = Forecaster.load(args.run)
    frame = fc.predict(args.horizon or None, data=args.data)
    text = frame.to_csv(index=False)
    if args.out:
        from rnnkit.train.checkpoint import atomic_write_text

        atomic_write_text(Path(args.out), text)
        print(f"wrote {len(frame)} rows to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    import pandas as pd

    from rnnkit.report.html import table, write_html
    from rnnkit.train.checkpoint import atomic_write_text

    out = Path(args.out or "runs/forecast-compare")
    out.mkdir(parents=True, exist_ok=True)
    kinds = [k.strip() for k in args.models.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS + BASELINE_KINDS]
    if unknown:
        raise ValueError(
            f"--models must name kinds from {', '.join(KINDS + BASELINE_KINDS)}, "
            f"received {', '.join(unknown)}"
        )
    rows = []
    for kind in kinds:
        metrics = _fit_one(args, kind, out / kind, quiet=True)
        rows.append(
            {
                "model": kind,
                **{k: metrics.get(k) for k in ("smape", "mase", "owa", "mae", "rmse")},
                "train_seconds": metrics.get("train_seconds", 0.0),
            }
        )
        print(
            f"{kind:<16} sMAPE {rows[-1]['smape']:8.3f}  MASE {rows[-1]['mase']:7.3f}", flush=True
        )
    frame = pd.DataFrame(rows)
    atomic_write_text(out / "compare.csv", frame.to_csv(index=False))
    cells = [
        [r["model"]]
        + [f"{r[k]:.4g}" for k in ("smape", "mase", "owa", "mae", "rmse", "train_seconds")]
        for r in rows
    ]
    write_html(
        out / "report.html",
        f"rnnkit forecast compare: {Path(args.data).name}",
        [
            (
                "Test scores (last H points of each series, or --test)",
                table(cells, ("model", "sMAPE", "MASE", "OWA", "MAE", "RMSE", "train s")),
            )
        ],
    )
    print(f"table: {out / 'compare.csv'}; report: {out / 'report.html'}")
    return 0
