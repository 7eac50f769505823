"""``rnnkit demo elman-vs-jordan``: seed 003's two recurrent networks on the same task.

Elman feeds back its hidden state, Jordan its previous output. Both learn seed 000's
sin -> cos stream (1000 segments, SGD lr 0.01, hidden size 32, state carried and detached);
the report shows both loss curves on one plot.

Expect the Jordan network to learn far more slowly. Its only memory is its previous
prediction, one number here, which carries no information until the predictions are
already good; the Elman network's 32 hidden units carry the phase of the wave from the
start. With --optimizer adam and more --steps the Jordan network slowly improves.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rnnkit.demos import sincos
from rnnkit.demos.common import add_common, comparison_report, curves, train


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, "runs/demo-elman-vs-jordan")
    parser.add_argument("--steps", type=int, default=1000, help="training steps (default 1000)")
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    parser.add_argument(
        "--optimizer",
        choices=["sgd", "adam"],
        default="sgd",
        help="optimizer of both networks (default sgd, seed 000's)",
    )
    parser.add_argument("--hidden", type=int, default=32, help="hidden size (default 32)")


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    rows, runs = [], {}
    for label, cell in (("Elman", "rnn"), ("Jordan", "jordan")):
        ns = argparse.Namespace(**{**vars(args), "cell": cell})
        raw = sincos.config(ns)
        raw["name"] = label.lower()
        _, result = train(raw, out / label.lower(), quiet=True)
        ok, worst = sincos.bound_met(result.run_dir)
        steps, losses = curves_data(result.run_dir)
        tail = sum(losses[-100:]) / len(losses[-100:])
        rows.append((label, tail, worst, result.metrics["val_loss"]))
        runs[label] = result.run_dir
        print(
            f"{label:<7} mean training loss over the last 100 steps {tail:.3g}, "
            f"validation loss {result.metrics['val_loss']:.3g}"
        )
    figure = curves(runs, "train_loss", out / "loss.png", "training MSE")
    report = comparison_report(
        out,
        "Elman vs Jordan (seed 003)",
        " ".join(" ".join(__doc__.split("\n\n")[1:3]).split()),
        [("Training loss", figure)],
        rows,
        ("network", "mean loss, last 100 steps", "largest loss after step 300", "val loss"),
        runs,
    )
    print(f"report: {report}")
    return 0


def curves_data(run_dir: Path):
    from rnnkit.train import read_metrics

    return read_metrics(run_dir / "metrics.csv").series("train_loss")
