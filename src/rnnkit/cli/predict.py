"""``rnnkit predict RUN --input PATH|- [--output PATH]``: one input per line in, one per out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "predict",
        help="predict with a trained run",
        description="Read one input per line (a text, a name, a sentence) and "
        "write one prediction per line.",
    )
    p.add_argument("run", help="the run folder")
    p.add_argument("--input", required=True, help="a text file, or - for standard input")
    p.add_argument("--output", help="write here instead of standard output")
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
    import torch

    from rnnkit.io import atomic_write_text
    from rnnkit.tasks.runs import load_run

    loaded = load_run(args.run)
    with torch.no_grad():
        out = loaded.task.predict_lines(loaded.model, read_lines(args.input))
    text = "\n".join(out) + "\n"
    if args.output:
        atomic_write_text(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0
