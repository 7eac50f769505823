"""``rnnkit predict RUN --input PATH|- [-o FILE]``: one input per line in, one per out.

A thin layer over :func:`rnnkit.load`: the run's predictor (``rnnkit.api.predictors``) turns
the lines into its typed results and writes them back as text (``predict_lines``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub, help_text: str) -> None:
    p = sub.add_parser(
        "predict",
        help=help_text,
        description="Read one input per line (a text, a name, a sentence) and "
        "write one prediction per line.",
    )
    p.add_argument("run", help="the run folder")
    p.add_argument("--input", required=True, help="a text file, or - for standard input")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.set_defaults(func=run)


def read_lines(source: str) -> list[str]:
    from rnnkit.errors import DataError

    if source == "-":
        text = sys.stdin.read()
        name = "standard input"
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError(f"input file not found: {path}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            line = path.read_bytes()[: err.start].count(b"\n") + 1
            raise DataError(f"{path} is not UTF-8 text (line {line})") from None
        name = str(path)
    lines = [line.rstrip("\r") for line in text.split("\n")]
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise DataError(f"{name} has no input lines")
    return lines


def run(args: argparse.Namespace) -> int:
    from rnnkit.api import load
    from rnnkit.io import atomic_write_text

    out = load(args.run).predict_lines(read_lines(args.input))
    text = "\n".join(out) + "\n"
    if args.output:
        atomic_write_text(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0
