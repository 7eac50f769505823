"""Start, join and show a study: the three entries of ``rnnkit tune``.

:func:`start` checks the config and its space, creates (or resumes) the study in its storage,
runs the workers and writes the results; :func:`join` adds workers to an existing study (a
folder, or a database URL from another machine); :func:`show` prints the leaderboard.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from rnnkit.config import apply_overrides, config_from_dict, load_config
from rnnkit.errors import ConfigError, RunError
from rnnkit.tasks import get_task_class
from rnnkit.tune.results import leaderboard, write_results
from rnnkit.tune.space import build_space, parse_space_flags, split_tune, tune_config
from rnnkit.tune.storage import (
    create_study,
    load_study,
    locate,
    open_storage,
    require_optuna,
    write_study_toml,
)
from rnnkit.tune.worker import WorkerSpec, work


@dataclass
class Launch:
    """How many trials, and the workers that run them."""

    trials: int = 20  # the number of trials the study holds when it is done
    timeout: float = 0.0  # seconds after which no new trial starts (0 = none)
    workers: int = 1  # worker processes on this machine
    quiet: bool = False  # no line per trial


def read_raw(path: str | Path, overrides: list[str]) -> dict[str, Any]:
    """The config file as a raw dict (``[tune]`` included), ``--set`` applied; the run part is
    checked as ``rnnkit train`` would."""
    load_config(path, overrides)  # the same errors as rnnkit train for the run's part
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return apply_overrides(tomllib.loads(Path(path).read_text(encoding="utf-8")), overrides)


def payload_of(raw: dict[str, Any], space_flags: list[str], trials: int) -> dict[str, Any]:
    """What the study stores: the run config, the space, the settings, metric, direction."""
    base, settings, entries = split_tune(raw)
    entries.update(parse_space_flags(space_flags))
    tune = tune_config(settings)
    dims = build_space(base, entries)
    config = config_from_dict(base)
    task = get_task_class(config.task)(config)
    metric = tune.metric or config.train.metric or task.metric
    if not metric.startswith("val_"):
        raise ConfigError(f"tune.metric must be a validation metric val_*, received {metric!r}")
    direction = tune.direction or ("maximize" if task.is_better(metric, 1.0, 0.0) else "minimize")
    if config.task == "forecast" and config.model.kind == "auto":
        raise ConfigError(
            'model.kind = "auto" runs its own search: tune a network kind (e.g. model.kind = '
            '"segrnn")'
        )
    return {
        "config": base,
        "tune": asdict(tune),
        "space": {d.key: d.describe() for d in dims},
        "metric": metric,
        "direction": direction,
        "trials": trials,
    }


def start(
    config_path: str | Path,
    launch: Launch,
    *,
    out: str | Path | None = None,
    storage: str = "",
    study_name: str = "",
    space: list[str] | None = None,
    overrides: list[str] | None = None,
) -> Path:
    """Create (or resume) the study of ``config_path`` and run it; returns the study folder."""
    require_optuna()
    raw = read_raw(config_path, overrides or [])
    if launch.trials < 1:
        raise ConfigError(f"--trials must be positive, received {launch.trials}")
    payload = payload_of(raw, space or [], launch.trials)
    name = study_name or raw.get("name") or Path(config_path).stem
    study_dir = Path(out) if out else Path("runs") / f"tune-{name}"
    study_dir.mkdir(parents=True, exist_ok=True)
    create_study(open_storage(storage, study_dir), name, payload["direction"], payload)
    write_study_toml(study_dir, storage, name)
    return run_workers(study_dir, storage, name, launch)


def join(target: str, launch: Launch, *, study_name: str = "", out: str | Path | None = None):
    """Add workers to the study in ``target`` (a study folder or a storage URL)."""
    require_optuna()
    storage, name, study_dir = locate(target, study_name)
    if study_dir is None:
        study = load_study(open_storage(storage, None), name)
        name = study.study_name
        study_dir = Path(out) if out else Path("runs") / f"tune-{name}"
        study_dir.mkdir(parents=True, exist_ok=True)
        write_study_toml(study_dir, storage, name)
    if launch.trials:  # a join may raise the study's number of trials
        study = load_study(open_storage(storage, study_dir), name)
        payload = study.user_attrs["rnnkit"]
        study.set_user_attr("rnnkit", {**payload, "trials": launch.trials})
    return run_workers(study_dir, storage, name, launch)


def show(target: str, study_name: str = "") -> str:
    """The leaderboard of the study in ``target`` (a study folder or a storage URL)."""
    require_optuna()
    storage, name, study_dir = locate(target, study_name)
    study = load_study(open_storage(storage, study_dir), name)
    return leaderboard(study)


def threads_per_worker(workers: int, configured: int | str) -> int:
    """Torch threads of each trial so that workers x threads <= the cores this process may
    use (the config's own count when it already fits; 0 = leave the config's ``num_threads``,
    e.g. ``"auto"``, to the trial: one worker only)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    share = max(1, (cores or 1) // workers)
    configured = configured if isinstance(configured, int) else 0  # "auto": not a fixed count
    if workers == 1 and not configured:
        return 0
    return min(configured, share) if configured else share


def run_workers(study_dir: Path, storage: str, name: str, launch: Launch) -> Path:
    """Run ``launch.workers`` workers (1: in this process), then write the results."""
    if launch.workers < 1:
        raise ConfigError(f"--workers must be positive, received {launch.workers}")
    study = load_study(open_storage(storage, study_dir), name)
    configured = study.user_attrs["rnnkit"]["config"].get("train", {}).get("num_threads", 0)
    deadline = time.time() + launch.timeout if launch.timeout else 0.0
    spec = WorkerSpec(
        study_dir=study_dir,
        storage=storage,
        study=name,
        num_threads=threads_per_worker(launch.workers, configured),
        deadline=deadline,
        quiet=launch.quiet,
    )
    if launch.workers == 1:
        work(spec)
    else:
        context = multiprocessing.get_context("spawn")
        procs = [
            context.Process(target=_worker_main, args=(replace(spec, index=i),))
            for i in range(launch.workers)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        failed = [(i, p.exitcode) for i, p in enumerate(procs) if p.exitcode != 0]
        if failed:
            i, code = failed[0]
            raise RunError(f"worker {i} of study {name!r} stopped with exit code {code}")
    study = load_study(open_storage(storage, study_dir), name)
    write_results(study_dir, study)
    return study_dir


def _worker_main(spec: WorkerSpec) -> None:
    """A spawned worker: its errors end it with one line and exit code 2."""
    from rnnkit.errors import RnnkitError

    try:
        work(spec)
    except RnnkitError as err:
        print(f"rnnkit tune: worker {spec.index}: error: {' '.join(str(err).split())}",
              file=sys.stderr)  # fmt: skip
        sys.exit(2)


__all__ = ["Launch", "join", "show", "start", "threads_per_worker"]
