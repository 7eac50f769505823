"""``rnnkit init NAME [-o FILE]``: write a commented starter config (a task or an example).

The starter configs are the example configs shipped in the package (``rnnkit/examples/``):
one per task, and a few more by name (``rnnkit init --list``).
"""

from __future__ import annotations

import argparse
import sys
from importlib.resources import files
from pathlib import Path

from rnnkit.errors import ConfigError, RunError

# task -> the example config that starts it
STARTERS = {
    "sincos": "sincos",
    "regress": "fc_vs_rnn_rnn",
    "recall": "recall",
    "forecast": "forecast_airpassengers",
    "classify": "names_lstm",
    "tag": "tag_conll2003",
    "lm": "names",
    "seq2seq": "dates",
}


def examples() -> dict[str, Path]:
    """Example name -> its TOML file in the installed package."""
    folder = Path(str(files("rnnkit") / "examples"))
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def register(sub, help_text: str) -> None:
    p = sub.add_parser(
        "init",
        help=help_text,
        description="Write a commented starter config: give a task (the example config "
        "that starts it) or the name of an example config shipped in the package.",
        epilog="Tasks: " + ", ".join(f"{t} ({e})" for t, e in STARTERS.items()),
    )
    p.add_argument("name", nargs="?", help="a task or an example name (see --list)")
    p.add_argument(
        "-o", "--output", help="the file to write (default NAME.toml; - for standard output)"
    )
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument("--list", action="store_true", help="list the example configs and stop")
    p.set_defaults(func=run)


def _first_comment(path: Path) -> str:
    line = path.read_text(encoding="utf-8").splitlines()[0]
    return line.lstrip("# ").strip()


def run(args: argparse.Namespace) -> int:
    from rnnkit.io import atomic_write_text

    known = examples()
    if args.list or not args.name:
        for name, path in known.items():
            print(f"{name:<24} {_first_comment(path)}")
        return 0
    stem = STARTERS.get(args.name, args.name)
    if stem not in known:
        raise ConfigError(
            f"init takes a task ({', '.join(STARTERS)}) or an example "
            f"({', '.join(known)}), received {args.name!r}"
        )
    text = known[stem].read_text(encoding="utf-8")
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    out = Path(args.output or f"{args.name}.toml")
    if out.exists() and not args.force:
        raise RunError(f"{out} exists; choose another --output or pass --force")
    atomic_write_text(out, text)
    print(f"wrote {out} (from the example {stem}); train it with: rnnkit train {out}")
    return 0
