"""One worker of a study: take the next trial, train it as an ordinary run, report, repeat.

A worker loops

    lock STUDY/.ask.lock -> retry the trials of dead workers -> enough trials? stop
    -> ask Optuna for a trial (a retried one first) -> unlock
    -> train trials/NNNN with the trial's values, reporting each evaluation -> tell

Taking a trial under the study folder's lock lets the workers of one machine start exactly
``--trials`` trials between them. A trial records the host and process that runs it and
when it last evaluated: a RUNNING trial whose process is gone (this machine) or that has
been silent for ``tune.stale_after`` seconds (another machine) is failed and enqueued
again with the values it had, so a killed study loses only the trial it was running.
A trial that fails on its own (e.g. diverges) is kept as failed and counts as done.
"""

from __future__ import annotations

import os
import socket
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from rnnkit.api.runs import train_run
from rnnkit.config import config_from_dict
from rnnkit.errors import ConfigError, NonFiniteLossError, RnnkitError
from rnnkit.tune.space import Dimension, tune_config, with_values
from rnnkit.tune.storage import PAYLOAD, load_study, open_storage, require_optuna

HOST = socket.gethostname()


@dataclass
class WorkerSpec:
    """What one worker process needs (picklable: workers are spawned)."""

    study_dir: Path  # where trials/NNNN go and the ask lock lives
    storage: str  # "" = the folder's study.journal
    study: str  # the study name
    index: int = 0  # the worker's number (0 = the first)
    num_threads: int = 0  # torch threads of each trial (0 = the config's)
    deadline: float = 0.0  # time.time() after which no trial starts (0 = none)
    quiet: bool = False  # no line per trial


def work(spec: WorkerSpec) -> int:
    """Run trials until the study holds its number of trials (or the deadline); returns how
    many this worker ran."""
    optuna = require_optuna()
    storage = open_storage(spec.storage, spec.study_dir)
    study = load_study(storage, spec.study)
    payload = study.user_attrs[PAYLOAD]
    tune = tune_config(payload["tune"])
    seed = tune.seed + 1000 * spec.index + len(study.trials)  # fresh draws on a resume
    with warnings.catch_warnings():  # constant_liar is marked experimental
        warnings.simplefilter("ignore")
        study.sampler = optuna.samplers.TPESampler(  # a running trial counts as a bad one, so
            seed=seed, n_startup_trials=tune.startup_trials, constant_liar=True
        )  # parallel workers do not sample the same region
    study.pruner = pruner(optuna, tune)
    dims = [Dimension(k, *_unpack(v)) for k, v in payload["space"].items()]
    ran = 0
    lock = FileLock(spec.study_dir / ".ask.lock")
    while not spec.deadline or time.time() < spec.deadline:
        with lock:
            retry_dead(optuna, study, tune.stale_after)
            waiting = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,))
            if not waiting and done(optuna, study) >= study.user_attrs[PAYLOAD]["trials"]:
                break  # (an enqueued trial, e.g. a retry, runs even past the count)
            trial = study.ask()
            for key, value in {"host": HOST, "pid": os.getpid(), "alive": time.time()}.items():
                trial.set_user_attr(key, value)
        run_trial(optuna, study, trial, dims, payload, spec)
        ran += 1
    return ran


def pruner(optuna, tune):
    """The pruner named by ``tune.pruner``."""
    if tune.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=tune.startup_trials)
    if tune.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner()
    return optuna.pruners.NopPruner()


def _unpack(spec: dict) -> tuple:
    kind = next(k for k in ("int", "float", "choice") if k in spec)
    return kind, tuple(spec[kind]), bool(spec.get("log", False))


class Reporter:
    """The engine's ``on_evaluate``: report each evaluation to the trial, True = prune."""

    def __init__(self, trial, metric: str, warmup: int) -> None:
        self.trial, self.metric, self.warmup, self.seen = trial, metric, warmup, 0
        self.last: tuple[int, float] | None = None

    def __call__(self, step: int, row: dict) -> bool:
        if self.metric not in row:
            known = ", ".join(k for k in row if k.startswith("val_"))
            raise ConfigError(f"tune.metric {self.metric!r} is not reported; available: {known}")
        value, self.seen = float(row[self.metric]), self.seen + 1
        self.trial.report(value, step)
        self.trial.set_user_attr("alive", time.time())
        self.last = (step, value)
        return self.seen > self.warmup and self.trial.should_prune()


def run_trial(optuna, study, trial, dims: list[Dimension], payload: dict, spec: WorkerSpec):
    """Train one trial into ``trials/NNNN`` and tell the study how it went."""
    values = {d.key: d.suggest(trial) for d in dims}
    raw = with_values(payload["config"], values)
    train = raw.setdefault("train", {})
    train["metric"] = payload["metric"]
    if spec.num_threads:
        train["num_threads"] = spec.num_threads
    folder = f"trials/{trial.number:04d}"
    trial.set_user_attr("run", folder)
    reporter = Reporter(trial, payload["metric"], tune_config(payload["tune"]).warmup_evaluations)
    start = time.perf_counter()
    try:
        config = config_from_dict(raw)
        result = train_run(
            config, spec.study_dir / folder, overwrite=True, quiet=True, on_evaluate=reporter
        )
    except (RnnkitError, NonFiniteLossError) as err:  # the trial's own failure: keep it
        trial.set_user_attr("error", " ".join(str(err).split()))
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        _say(spec, trial, f"failed: {' '.join(str(err).split())}", values, start)
        return
    except BaseException:  # interrupted, or a bug: retried by the next start
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
        raise
    if result.stopped_by == "pruned":
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        step, value = reporter.last
        _say(spec, trial, f"pruned at step {step} ({payload['metric']} {value:.5g})", values, start)
        return
    value = float(result.metrics[payload["metric"]])
    study.tell(trial, value)
    _say(spec, trial, f"{payload['metric']} {value:.5g}", values, start)


def _say(spec: WorkerSpec, trial, what: str, values: dict, start: float) -> None:
    if spec.quiet:
        return
    shown = "  ".join(f"{k}={_short(v)}" for k, v in values.items())
    who = f" [worker {spec.index}]" if spec.index else ""
    print(
        f"trial {trial.number}{who}: {what} in {time.perf_counter() - start:.1f} s  {shown}",
        flush=True,
    )


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def retried(trials) -> set[int]:
    return {t.user_attrs["retry_of"] for t in trials if "retry_of" in t.user_attrs}


def done(optuna, study) -> int:
    """Trials that count towards the target: finished (failed ones unless retried), running
    or waiting to run."""
    trials = study.get_trials(deepcopy=False)
    again = retried(trials)
    failed = optuna.trial.TrialState.FAIL
    return sum(1 for t in trials if t.state != failed or t.number not in again)


def retry_dead(optuna, study, stale_after: float) -> list[int]:
    """Fail and enqueue again the RUNNING trials whose worker is dead; their numbers."""
    running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    dead = [t for t in running if _dead(t, stale_after)]
    for t in dead:
        study.tell(t.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
        study.enqueue_trial(t.params, user_attrs={"retry_of": t.number})
    return [t.number for t in dead]


def _dead(trial, stale_after: float) -> bool:
    """Its process is gone (this machine), or it has been silent for ``stale_after`` s."""
    attrs = trial.user_attrs
    if attrs.get("host") == HOST and "pid" in attrs and not process_alive(int(attrs["pid"])):
        return True
    start = trial.datetime_start.timestamp() if trial.datetime_start else time.time()
    return time.time() - float(attrs.get("alive", start)) > stale_after


def process_alive(pid: int) -> bool:
    """True when process ``pid`` of this machine runs (a zombie is dead)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


__all__ = ["WorkerSpec", "work", "Reporter", "retry_dead", "process_alive", "done"]
