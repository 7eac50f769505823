"""Helpers shared by the training demos: configs from dicts, runs, comparison reports."""

from __future__ import annotations

import argparse
import html
from pathlib import Path

from rnnkit.api import train_run
from rnnkit.config import Config, config_from_dict
from rnnkit.report import image_tag, table, write_html
from rnnkit.report.plots import loss_curves
from rnnkit.train import FitResult, read_metrics


def add_common(parser: argparse.ArgumentParser, out: str) -> None:
    parser.add_argument("--out", default=out, help=f"output folder (default {out})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the summary")


def train(raw: dict, out: Path, quiet: bool = True) -> tuple[Config, FitResult]:
    """Build the config, train into ``out``, write its report; return both."""
    config = config_from_dict(raw)
    result = train_run(config, out, quiet=quiet, overwrite=True)  # a demo owns its folder
    return config, result


def curves(runs: dict[str, Path], column: str, path: Path, title: str) -> Path:
    """One plot of ``column`` against step for several runs."""
    series = {
        label: read_metrics(run / "metrics.csv").series(column) for label, run in runs.items()
    }
    return loss_curves(series, path, title)


def comparison_report(
    out: Path,
    title: str,
    intro: str,
    figures: list[tuple[str, Path]],
    rows: list[tuple],
    header: tuple,
    runs: dict[str, Path],
) -> Path:
    """A self-contained report comparing runs, linking each run's own report."""
    links = "".join(
        f'<li><a href="{html.escape(str(p.relative_to(out)))}/report.html">'
        f"{html.escape(label)}</a></li>"
        for label, p in runs.items()
    )
    sections = [("About", f"<p>{html.escape(intro)}</p>"), ("Results", table(rows, header))]
    sections += [(t, image_tag(p)) for t, p in figures]
    sections.append(("Runs", f"<ul>{links}</ul>"))
    return write_html(out / "report.html", title, sections)
