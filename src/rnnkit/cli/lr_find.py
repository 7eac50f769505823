"""``rnnkit lr-find CONFIG [--set k=v ...] [--steps N] [--start-lr X] [--end-lr Y]
[--plot PNG]``: the learning-rate range test (:mod:`rnnkit.train.lr_find`)."""

from __future__ import annotations

import argparse

from rnnkit.cli import add_set_option
from rnnkit.train.lr_find import RangeTest

DEFAULTS = RangeTest()


def register(sub, help_text: str) -> None:
    p = sub.add_parser(
        "lr-find",
        help=help_text,
        description="Train a fresh model of CONFIG while the learning rate grows exponentially, "
        "plot the smoothed loss against it and suggest train.lr (a tenth of the rate at the "
        "lowest loss). Nothing is saved but the plot.",
    )
    p.add_argument("config", help="the TOML config")
    add_set_option(p, "train.batch_size=64")
    p.add_argument(
        "--steps", type=int, default=DEFAULTS.steps, help=f"steps (default {DEFAULTS.steps})"
    )
    p.add_argument(
        "--start-lr",
        type=float,
        default=DEFAULTS.start_lr,
        help=f"first learning rate (default {DEFAULTS.start_lr:g})",
    )
    p.add_argument(
        "--end-lr",
        type=float,
        default=DEFAULTS.end_lr,
        help=f"last learning rate (default {DEFAULTS.end_lr:g})",
    )
    p.add_argument("--plot", default="lr_find.png", help="the PNG to write (default lr_find.png)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rnnkit.config import load_config
    from rnnkit.report.lr_find import plot_range_test
    from rnnkit.tasks import get_task_class
    from rnnkit.train.lr_find import range_test

    config = load_config(args.config, args.overrides)
    test = RangeTest(steps=args.steps, start_lr=args.start_lr, end_lr=args.end_lr)
    task = get_task_class(config.task)(config)
    result = range_test(task, config, test)
    path = plot_range_test(result, Path(args.plot))
    last = result.lrs[-1]
    print(
        f"lr-find: {len(result.lrs)} steps of {config.train.optimizer} from lr "
        f"{test.start_lr:g} to {last:.3g} ({_why(result.stopped)})"
    )
    print(f"lowest smoothed loss {min(result.smoothed):.4g} at lr {result.minimum:.3g}")
    print(f"steepest descent at lr {result.steepest:.3g}")
    print(f"plot: {path}")
    print(f"suggested train.lr = {result.suggestion:.2g} (a tenth of the lr at the lowest loss)")
    return 0


def _why(stopped: str) -> str:
    return {
        "end_lr": "the last rate",
        "diverged": f"stopped: the smoothed loss passed {DEFAULTS.diverge:g}x its minimum",
        "not finite": "stopped: the loss was not finite",
    }[stopped]
