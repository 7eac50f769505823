"""``train_run``: the one way a config becomes a trained run folder with its report."""

from __future__ import annotations

import sys
from pathlib import Path

from rnnkit.config import Config
from rnnkit.report import write_report
from rnnkit.tasks import get_task_class
from rnnkit.train import FitResult, fit
from rnnkit.train.distributed import detect_world
from rnnkit.train.progress import print_summary
from rnnkit.train.run import default_run_dir


def train_run(
    config: Config,
    out: str | Path | None = None,
    *,
    task=None,
    resume: bool = False,
    overwrite: bool = False,
    quiet: bool = False,
    report: bool = True,
) -> FitResult:
    """Train ``config`` with the engine into ``out`` (default ``runs/<name or timestamp>``),
    then write ``report.html`` and print the summary (rank 0 only; the summary unless
    ``quiet``). ``task`` is a ready task object (e.g. one holding in-memory data); by default
    the config's task is built from its name."""
    run_dir = Path(out) if out is not None else default_run_dir(config)
    if config.task == "forecast" and config.model.kind == "auto":  # several runs, one result
        from rnnkit.api.forecast_auto import auto_train_run

        return auto_train_run(config, run_dir, task=task, overwrite=overwrite, quiet=quiet)
    task = task if task is not None else get_task_class(config.task)(config)
    result = fit(task, config, run_dir, resume=resume, quiet=quiet, overwrite=overwrite)
    if detect_world().is_main:
        if report:
            write_report(result.run_dir, task, result.model, result.carry)
        if not quiet:
            print_summary(result, file=sys.stdout)
    return result


__all__ = ["train_run"]
