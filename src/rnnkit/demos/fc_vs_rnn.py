"""``rnnkit demo fc-vs-rnn``: seed 003's comparison of a fully connected net and an RNN.

On the Melbourne daily minimum temperatures shipped in the package (1981-1990; the last 365
days are the test part): windows of 10 days, the target shifted by one day. The
FullyConnected net (10 -> h, tanh, h -> h, tanh, h -> 10) and a one-layer RNN (1 -> h) with a
per-step Linear get the same optimizer, epochs and batches. Two settings: the seed's (h = 2,
30 epochs, SGD lr 0.01, batches of 10) and a larger one (h = 32, Adam lr 1e-3).

Read the two error columns differently. The window MSE is the seed's loss, over all 10
shifted targets; the fully connected net sees the whole window, so 9 of its 10 targets are
among its own inputs and it can copy them, while the RNN at step t has seen only days up
to t. The next-day RMSE scores the last step alone, a true one-day-ahead forecast for both.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from rnnkit.demos.common import add_common, comparison_report, curves, train

SETTINGS = {
    "seed": {"hidden": 2, "optimizer": "sgd", "lr": 0.01},
    "larger": {"hidden": 32, "optimizer": "adam", "lr": 1e-3},
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, "runs/demo-fc-vs-rnn")
    parser.add_argument("--epochs", type=int, default=30, help="epochs (default 30, the seed's)")
    parser.add_argument(
        "--data",
        default="",
        help="a CSV with a date and a value column (default: the shipped daily temperatures)",
    )


def config(kind: str, setting: dict, args) -> dict:
    return {
        "task": "regress",
        "name": f"{kind}-h{setting['hidden']}",
        "data": {"train": args.data, "window": 10, "test_size": 365, "snapshot_every": 5},
        "model": {
            "kind": "fc" if kind == "fc" else "recurrent",
            "cell": "rnn",
            "hidden_size": setting["hidden"],
        },
        "train": {
            "epochs": args.epochs,
            "batch_size": 10,
            "optimizer": setting["optimizer"],
            "lr": setting["lr"],
            "clip_grad_norm": 0.0,
            "log_every": 50,
            "seed": args.seed,
        },
    }


def _train_pair(name: str, setting: dict, args: argparse.Namespace, out: Path, rows: list):
    """Train the FC net and the RNN of one setting; add a row each; return their folders."""
    from rnnkit.tasks import get_task_class

    pair = {}
    for kind in ("fc", "rnn"):
        run_dir = out / f"{kind}-h{setting['hidden']}"
        cfg, result = train(config(kind, setting, args), run_dir, quiet=True)
        task = get_task_class("regress")(cfg)
        task.setup()
        with torch.no_grad():
            train_mse = task.evaluate(result.model.eval(), "train")["loss"]
        m = result.metrics
        optimizer = f"{setting['optimizer']} {setting['lr']}"
        rows.append(
            (name, kind, setting["hidden"], optimizer, train_mse)
            + (m["test_loss"], m["test_rmse_next"], m["train_seconds"])
        )
        pair[kind] = run_dir
        print(
            f"{name:<7} {kind:<4} h={setting['hidden']:<3} train window MSE {train_mse:.4f}  "
            f"test window MSE {m['test_loss']:.4f}  "
            f"next-day RMSE {m['test_rmse_next']:.2f} degC",
            flush=True,
        )
    return pair


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    rows, runs, figures = [], {}, []
    for name, setting in SETTINGS.items():
        pair = _train_pair(name, setting, args, out, rows)
        runs.update({f"{name}: {kind}": run_dir for kind, run_dir in pair.items()})
        pair = {f"{kind} train": run_dir for kind, run_dir in pair.items()}
        figures.append(
            (
                f"Training loss, {name} setting (h={setting['hidden']})",
                curves(
                    pair,
                    "train_loss",
                    out / f"loss_{name}.png",
                    f"training MSE, h={setting['hidden']}",
                ),
            )
        )
    header = (
        "setting",
        "model",
        "h",
        "optimizer",
        "train window MSE",
        "test window MSE",
        "test next-day RMSE (degC)",
        "seconds",
    )
    intro = " ".join(" ".join(__doc__.split("\n\n")[1:3]).split())
    report = comparison_report(
        out, "Fully connected vs RNN (seed 003)", intro, figures, rows, header, runs
    )
    print(f"report: {report}")
    return 0
