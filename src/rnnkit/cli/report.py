"""``rnnkit report RUN``: rebuild a run's report.html from its folder."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser(
        "report",
        help="rebuild report.html of a run",
        description="Rebuild report.html (and its plots) from a run folder.",
    )
    p.add_argument("run", help="the run folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rnnkit.report import write_report

    print(write_report(args.run))
    return 0
