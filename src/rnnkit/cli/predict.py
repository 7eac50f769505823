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
    """The non-blank lines of a UTF-8 file, or of standard input for ``-``. Binary input or
    a byte that is not UTF-8 is refused naming the file (or standard input), the line and
    column."""
    from rnnkit.data.text import decode_text, read_text_file, text_lines
    from rnnkit.errors import DataError

    if source == "-":
        name = "standard input"
        stream = getattr(sys.stdin, "buffer", None)  # bytes: never decoded with the locale
        text = decode_text(stream.read(), name) if stream is not None else sys.stdin.read()
    else:
        name = source
        path = Path(source)
        if not path.exists():
            raise DataError(f"input file not found: {path}")
        text = read_text_file(path)
    lines = [line for line in text_lines(text) if line.strip()]
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
