"""``train_run``: the one way a config becomes a trained run folder with its report."""

from __future__ import annotations

import sys
from pathlib import Path

from rnnkit.config import Config
from rnnkit.report import write_report
from rnnkit.report.tensorboard import write_final
from rnnkit.tasks import get_task_class
from rnnkit.train import FitResult, fit
from rnnkit.train.distributed import detect_world
from rnnkit.train.folder import open_run
from rnnkit.train.progress import print_summary
from rnnkit.train.run import default_run_dir
from rnnkit.train.state import OnEvaluate


def train_run(
    config: Config,
    out: str | Path | None = None,
    *,
    task=None,
    resume: bool = False,
    overwrite: bool = False,
    quiet: bool = False,
    report: bool = True,
    on_evaluate: OnEvaluate = None,
) -> FitResult:
    """Train ``config`` with the engine into ``out`` (default ``runs/<name or timestamp>``),
    then add the final metrics and hyper-parameters to TensorBoard, write ``report.html``
    and print the summary (rank 0 only; the summary unless
    ``quiet``). ``task`` is a ready task object (e.g. one holding in-memory data); by default
    the config's task is built from its name. ``on_evaluate(step, row)`` sees each validation
    row and stops the run by returning True (see :func:`rnnkit.train.fit`).

    The folder stays locked from the first step to the report. A folder that already holds a
    run is refused unless ``overwrite``; then the new run (report included) is built beside
    it and replaces it only when all of it succeeded.
    """
    run_dir = Path(out) if out is not None else default_run_dir(config)
    if config.task == "forecast" and config.model.kind == "auto":  # several runs, one result
        from rnnkit.api.forecast_auto import auto_train_run

        return auto_train_run(config, run_dir, task=task, overwrite=overwrite, quiet=quiet)
    task = task if task is not None else get_task_class(config.task)(config)
    is_main = detect_world().is_main
    with open_run(run_dir, resume=resume, overwrite=overwrite, lock=is_main) as run:
        result = fit(task, config, run, resume=resume, quiet=quiet, on_evaluate=on_evaluate)
        if is_main:
            write_final(run.path, config, result.metrics)  # test metrics and hparams
            if report:
                write_report(run.path, task, result.model, result.carry)
    if is_main and not quiet:
        print_summary(result, file=sys.stdout)
    return result


__all__ = ["train_run"]
