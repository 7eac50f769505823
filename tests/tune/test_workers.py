"""Two worker processes share one study and run every trial exactly once; a study killed in
the middle resumes with its finished trials kept and the running one retried."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time

import pytest

optuna = pytest.importorskip("optuna")

from rnnkit.config import load_config  # noqa: E402
from rnnkit.tune.storage import load_study, open_storage  # noqa: E402
from rnnkit.tune.study import threads_per_worker  # noqa: E402


def trials_csv(study_dir) -> list[dict]:
    with open(study_dir / "trials.csv", newline="") as f:
        return list(csv.DictReader(f))


def tune_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "rnnkit.cli.main", "tune", *map(str, args)]


ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def test_two_workers_run_every_trial_exactly_once(toy, tmp_path):
    study_dir = tmp_path / "study"
    cmd = tune_cmd(toy(), "--trials", 5, "--workers", 2, "--out", study_dir)
    done = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = trials_csv(study_dir)
    assert sorted(int(r["trial"]) for r in rows) == [0, 1, 2, 3, 4]
    assert {r["state"] for r in rows} <= {"complete", "pruned"}
    said = [line.split(":")[0] for line in done.stdout.splitlines() if line.startswith("trial ")]
    numbers = sorted(int(s.split()[1]) for s in said)
    assert numbers == [0, 1, 2, 3, 4]  # each trial trained once, by one worker
    study = load_study(open_storage("", study_dir), "toy")
    pids = {t.user_attrs["pid"] for t in study.trials}
    assert len(pids) == 2  # both processes took trials
    assert sorted(p.name for p in (study_dir / "trials").iterdir()) == [
        f"{n:04d}" for n in range(5)
    ]
    assert all((study_dir / r["run"] / "metrics.json").is_file() for r in rows)
    trial = load_config(study_dir / "trials/0000/config.toml")
    assert trial.train.num_threads == threads_per_worker(2, 0)  # 2 x threads <= cores


def test_a_killed_study_resumes_keeping_its_finished_trials(toy, tmp_path):
    study_dir = tmp_path / "study"
    cmd = tune_cmd(toy(), "--trials", 3, "--out", study_dir)
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while not (study_dir / "trials/0001/config.toml").exists():  # trial 0 done, 1 running
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = (study_dir / "trials/0000/metrics.json").read_bytes()
    study = load_study(open_storage("", study_dir), "toy")
    assert [t.state.name for t in study.trials] == ["COMPLETE", "RUNNING"]
    killed_lr = study.trials[1].params["train.lr"]
    done = subprocess.run(
        tune_cmd("--join", study_dir), capture_output=True, text=True, env=ENV, timeout=600
    )
    assert done.returncode == 0, done.stderr
    study = load_study(open_storage("", study_dir), "toy")
    states = [t.state.name for t in study.trials]
    assert states[:2] == ["COMPLETE", "FAIL"] and len(states) == 4
    assert set(states[2:]) <= {"COMPLETE", "PRUNED"}
    retry = study.trials[2]
    assert retry.user_attrs["retry_of"] == 1 and retry.params["train.lr"] == killed_lr
    assert (study_dir / "trials/0000/metrics.json").read_bytes() == first  # kept as it was
    rows = trials_csv(study_dir)
    assert [r["state"] for r in rows] == [s.lower() for s in states]


@pytest.mark.parametrize(
    ("workers", "configured", "cores", "expected"),
    [(1, 0, 2, 0), (2, 0, 2, 1), (3, 0, 2, 1), (2, 4, 8, 4), (2, 8, 8, 4), (1, 3, 2, 2)]
    + [(1, "auto", 2, 0), (2, "auto", 2, 1)],  # "auto" is no fixed count
)
def test_workers_times_threads_fit_the_cores(monkeypatch, workers, configured, cores, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert threads_per_worker(workers, configured) == expected


class Running:
    """A RUNNING trial as the worker sees it: user attributes and a start time."""

    def __init__(self, **attrs) -> None:
        import datetime

        self.user_attrs = attrs
        self.datetime_start = datetime.datetime.now() - datetime.timedelta(seconds=30)


def test_a_running_trial_is_dead_when_its_process_is_gone_or_it_is_silent():
    from rnnkit.tune.worker import HOST, _dead

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout  # fmt: skip
    now = time.time()
    assert _dead(Running(host=HOST, pid=int(gone), alive=now), stale_after=3600)
    assert not _dead(Running(host=HOST, pid=os.getpid(), alive=now), stale_after=3600)
    assert _dead(Running(host="elsewhere", pid=1, alive=now - 100), stale_after=50)
    assert not _dead(Running(host="elsewhere", pid=1, alive=now - 10), stale_after=50)
    assert not _dead(Running(), stale_after=50)  # just asked: 30 s since its start
    assert _dead(Running(), stale_after=20)
