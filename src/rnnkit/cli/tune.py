"""``rnnkit tune CONFIG --trials N [--timeout S] [--workers K] [--storage URL] [--study NAME]
[--space KEY=SPEC ...] [--set k=v ...] [--out DIR]``, ``rnnkit tune --join STUDY_DIR_OR_URL``
and ``rnnkit tune --show STUDY_DIR_OR_URL``: hyperparameter search (:mod:`rnnkit.tune`)."""

from __future__ import annotations

import argparse

from rnnkit.cli import add_set_option
from rnnkit.errors import ConfigError

DEFAULT_TRIALS = 20


def register(sub, help_text: str) -> None:
    p = sub.add_parser(
        "tune",
        help=help_text,
        description="Search the config values declared in [tune] (or --space) with Optuna: "
        "each trial is a run in STUDY/trials/NNNN, bad trials are pruned from their "
        "evaluations; the study folder gets best.toml, trials.csv and report.html. "
        "Needs the extra: pip install 'rnnkit[tune]'.",
        epilog="Space specs: {int = [32, 512], log = true}, {float = [1e-4, 1e-2], log = true}, "
        '{choice = ["lstm", "gru"]}; e.g. --space "train.lr={float = [1e-4, 1e-2], log = true}"',
    )
    p.add_argument("config", nargs="?", help="the TOML config, with a [tune] section or --space")
    p.add_argument(
        "--trials", type=int, help=f"trials of the study (default {DEFAULT_TRIALS}; with "
        "--join: raise the study's count)"
    )  # fmt: skip
    p.add_argument("--timeout", type=float, default=0.0, help="seconds after which no trial starts")
    p.add_argument("--workers", type=int, default=1, help="worker processes here (default 1)")
    p.add_argument(
        "--storage",
        default="",
        help="a journal file or a database URL (sqlite:///s.db, postgresql://...); default: "
        "study.journal in the study folder",
    )
    p.add_argument("--study", default="", help="the study name (default: the config's name)")
    p.add_argument(
        "--space",
        action="append",
        default=[],
        metavar="KEY=SPEC",
        help="add a searched value, e.g. 'model.hidden_size={int = [16, 256], log = true}'",
    )
    add_set_option(p, "train.epochs=5")
    p.add_argument("--out", help="the study folder (default runs/tune-<study>)")
    p.add_argument("--join", metavar="STUDY", help="run workers for a study folder or URL")
    p.add_argument("--show", metavar="STUDY", help="print the leaderboard of a study folder or URL")
    p.add_argument("-q", "--quiet", action="store_true", help="no line per trial")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rnnkit import tune

    chosen = [name for name in ("config", "join", "show") if getattr(args, name)]
    if len(chosen) != 1:
        raise ConfigError("tune needs exactly one of CONFIG, --join STUDY or --show STUDY")
    if args.show:
        print(tune.show(args.show, args.study))
        return 0
    launch = tune.Launch(
        trials=args.trials or 0, timeout=args.timeout, workers=args.workers, quiet=args.quiet
    )
    if args.join:
        study_dir = tune.join(args.join, launch, study_name=args.study, out=args.out)
    else:
        launch.trials = DEFAULT_TRIALS if args.trials is None else args.trials
        study_dir = tune.start(
            args.config,
            launch,
            out=args.out,
            storage=args.storage,
            study_name=args.study,
            space=args.space,
            overrides=args.overrides,
        )
    print(tune.show(str(study_dir), args.study))
    print(f"study: {study_dir}  (best.toml, trials.csv, report.html)")
    return 0
