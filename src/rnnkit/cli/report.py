"""``rnnkit report RUN``: rebuild a run's report.html from its folder."""

from __future__ import annotations

import argparse


def register(sub, help_text: str) -> None:
    p = sub.add_parser(
        "report",
        help=help_text,
        description="Rebuild report.html (and its plots) from a run folder.",
    )
    p.add_argument("run", help="the run folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rnnkit.report import write_report
    from rnnkit.tasks.runs import load_run
    from rnnkit.train.folder import run_lock

    loaded = load_run(args.run, setup=True)
    with run_lock(loaded.path):  # refused while a training or another report writes the run
        print(write_report(loaded.path, loaded.task, loaded.model, loaded.carry))
    return 0
