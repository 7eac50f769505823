"""``rnnkit export RUN --format torchscript|onnx [-o FILE]``."""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path


def register(sub, help_text: str) -> None:
    p = sub.add_parser(
        "export",
        help=help_text,
        description="Export a run's best model to TorchScript or ONNX; the file "
        "is checked against eager PyTorch before it is kept.",
    )
    p.add_argument("run", help="the run folder")
    p.add_argument(
        "--format",
        default="torchscript",
        choices=["torchscript", "onnx"],
        help="torchscript (default) or onnx",
    )
    p.add_argument(
        "-o", "--output", help="the file to write (default RUN/model.pt or RUN/model.onnx)"
    )
    p.add_argument("--out", dest="output", help=argparse.SUPPRESS)  # deprecated spelling
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rnnkit.export import export_model
    from rnnkit.tasks.runs import load_run
    from rnnkit.train.folder import run_lock

    loaded = load_run(args.run)
    spec = loaded.task.export_spec(loaded.model)
    default = "model.pt" if args.format == "torchscript" else "model.onnx"
    path = Path(args.output) if args.output else loaded.path / default
    inside = path.resolve().parent.is_relative_to(loaded.path.resolve())
    with run_lock(loaded.path) if inside else contextlib.nullcontext():  # writes into the run
        print(json.dumps(export_model(spec, args.format, path)))
    return 0
