"""``rnnkit evaluate RUN [--data PATH] [--split validation|test] [--json]``.

``--json`` prints exactly one valid JSON object: a metric that is NaN or infinite (which JSON
cannot hold) is written as ``null``, and one warning line on stderr names it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys


def register(sub, help_text: str) -> None:
    p = sub.add_parser(
        "evaluate",
        help=help_text,
        description="Evaluate a run's best checkpoint on a data file or on one of its own splits.",
    )
    p.add_argument("run", help="the run folder")
    p.add_argument("--data", help="a data file in the format the task reads")
    p.add_argument(
        "--split",
        default="test",
        choices=["validation", "test"],
        help="the run's own split when --data is not given (default test)",
    )
    p.add_argument(
        "--json", action="store_true", help="print exactly one JSON object of metric name -> value"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from rnnkit.errors import RunError
    from rnnkit.tasks.runs import load_run

    loaded = load_run(args.run, setup=args.data is None)
    task, model = loaded.task, loaded.model
    with torch.no_grad():
        if args.data:
            metrics = task.evaluate_path(model, args.data)
        else:
            split = args.split if task.has_split(args.split) else "validation"
            if not task.has_split(split):
                raise RunError(f"task {task.name!r} has no {args.split} split; pass --data")
            metrics = task.evaluate(model, split, state=loaded.carry)
    metrics = {k: float(v) if isinstance(v, (int, float)) else v for k, v in metrics.items()}
    if args.json:
        print(json.dumps(_json_safe(metrics)))
    else:
        width = max(len(k) for k in metrics)
        for k, v in metrics.items():
            print(f"{k:<{width}}  {v:.6g}" if isinstance(v, float) else f"{k:<{width}}  {v}")
    return 0


def _json_safe(metrics: dict) -> dict:
    """The metrics with NaN and infinite values as None (null), said on stderr."""
    bad = [k for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        shown = ", ".join(f"{k} = {metrics[k]}" for k in bad)
        print(f"rnnkit evaluate: warning: {shown}; written as null in the JSON", file=sys.stderr)
    return {k: None if k in bad else v for k, v in metrics.items()}
