"""``rnnkit train CONFIG.toml [--set k=v ...] [--out DIR] [--overwrite] [--resume RUN]
[--quiet]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rnnkit.cli import add_set_option
from rnnkit.errors import ConfigError


def register(sub, help_text: str) -> None:
    p = sub.add_parser(
        "train",
        help=help_text,
        description="Train a model from a TOML config; the run folder gets "
        "config.toml, metrics.csv, checkpoints, predictions and report.html.",
    )
    p.add_argument("config", nargs="?", help="the TOML config (optional with --resume)")
    add_set_option(p, "model.hidden_size=128")
    p.add_argument("--out", help="the run folder (default runs/<name or timestamp>)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run in --out; the new run is built beside it and replaces it only "
        "when its training succeeded",
    )
    p.add_argument(
        "--resume", metavar="RUN", help="continue the run in folder RUN from its last checkpoint"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no printed metrics")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rnnkit.api import train_run
    from rnnkit.config import load_config
    from rnnkit.train.folder import holds_run
    from rnnkit.train.run import default_run_dir

    if args.resume and args.overwrite:
        raise ConfigError("--resume continues a run and --overwrite replaces it; choose one")
    if args.resume:
        run_dir = Path(args.resume)
        config_path = Path(args.config) if args.config else run_dir / "config.toml"
        if not (run_dir / "config.toml").exists():
            raise ConfigError(f"--resume {run_dir}: not a run folder (no config.toml)")
    elif not args.config:
        raise ConfigError("train needs a CONFIG.toml (or --resume RUN)")
    else:
        config_path = Path(args.config)
    config = load_config(config_path, args.overrides)
    if not args.resume:
        run_dir = Path(args.out) if args.out else default_run_dir(config)
    replacing = args.overwrite and not args.resume and holds_run(run_dir)
    args.error_log = None if replacing else run_dir / "error.log"  # the old run stays as it was
    train_run(config, run_dir, resume=bool(args.resume), overwrite=args.overwrite, quiet=args.quiet)
    return 0
