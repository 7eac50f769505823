"""rnnkit tune finds the known best learning rate of the toy, prunes a trial worse than the
median, and leaves best.toml, trials.csv and a report linking every trial's report."""

from __future__ import annotations

import csv
import json
import statistics

import pytest

optuna = pytest.importorskip("optuna")

from rnnkit.cli.main import main  # noqa: E402
from rnnkit.config import load_config  # noqa: E402
from rnnkit.tune import Launch, start  # noqa: E402
from rnnkit.tune.storage import create_study, open_storage, write_study_toml  # noqa: E402
from rnnkit.tune.study import payload_of, read_raw, run_workers  # noqa: E402


def trials_csv(study_dir) -> list[dict]:
    with open(study_dir / "trials.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_finds_the_known_best_lr_range_of_the_toy(toy, tmp_path, report_ok):
    study_dir = start(toy(), Launch(trials=8, quiet=True), out=tmp_path / "study")
    rows = trials_csv(study_dir)
    assert [int(r["trial"]) for r in rows] == list(range(8))
    done = [r for r in rows if r["state"] == "complete"]
    best = min(done, key=lambda r: float(r["value"]))
    assert 0.1 <= float(best["train.lr"]) <= 0.46  # the grid's best range (conftest)
    assert float(best["value"]) < 0.33  # below every lr outside that range
    config = load_config(study_dir / "best.toml")  # ready for rnnkit train
    assert config.train.lr == float(best["train.lr"])
    assert config.train.num_threads == "auto" and config.task == "sincos"  # the config's own
    trial = load_config(study_dir / best["run"] / "config.toml")  # an ordinary run folder
    assert trial.train.lr == config.train.lr
    report = (study_dir / "report.html").read_text()
    assert f'<a href="{best["run"]}/report.html">' in report
    for title in ("Optimisation history", "Parameter importances", "Slice plots"):
        assert f"<h2>{title}</h2><img" in report
    assert report_ok(study_dir / "report.html")


def test_a_trial_worse_than_the_median_is_pruned_and_its_run_says_so(toy, tmp_path):
    config = toy('warmup_evaluations = 1\n"model.cell" = {choice = ["rnn"]}\n')
    config.write_text(config.read_text().replace("startup_trials = 4", "startup_trials = 2"))
    payload = payload_of(read_raw(config, []), [], trials=3)
    study_dir = tmp_path / "study"
    study = create_study(open_storage("", study_dir), "toy", "minimize", payload)
    write_study_toml(study_dir, "", "toy")
    for lr in (0.1568, 0.2577, 0.001):  # two good rates, then a far too small one
        study.enqueue_trial({"train.lr": lr, "model.cell": "rnn"})
    run_workers(study_dir, "", "toy", Launch(trials=3, quiet=True))
    trials = study.get_trials()
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE", "PRUNED"]
    median = statistics.median(t.intermediate_values[20] for t in trials[:2])
    assert trials[2].intermediate_values == {10: pytest.approx(0.62, abs=0.02)} | {
        20: pytest.approx(0.62, abs=0.02)
    }  # lr 0.001 hardly moves from the start
    assert trials[2].intermediate_values[20] > median  # worse than the median at step 20
    final = json.loads((study_dir / "trials/0002/metrics.json").read_text())
    assert (final["stopped_by"], final["step"]) == ("pruned", 20)  # of 40 steps
    assert "pruned" in (study_dir / "trials/0002/report.html").read_text()
    kept = json.loads((study_dir / "trials/0000/metrics.json").read_text())
    assert (kept["stopped_by"], kept["step"]) == ("epochs", 40)
    row = trials_csv(study_dir)[2]
    assert (row["state"], row["pruned_at_step"]) == ("pruned", "20")


def test_show_prints_the_leaderboard_best_first(toy, tmp_path, capsys):
    study_dir = tmp_path / "study"
    assert main(["tune", str(toy()), "--trials", "2", "--out", str(study_dir), "-q"]) == 0
    capsys.readouterr()
    assert main(["tune", "--show", str(study_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["rank", "trial", "state", "val_loss", "train.lr", "run"]
    values = [float(line.split()[3]) for line in lines[1:]]
    assert len(values) == 2 and values == sorted(values)


def test_rnnkit_train_reads_a_config_with_a_tune_section(toy):
    config = load_config(toy())
    assert (config.task, config.train.lr) == ("sincos", 0.01)


def test_a_timeout_that_has_passed_starts_no_trial(toy, tmp_path, capsys):
    study_dir = tmp_path / "study"
    args = ["--trials", "3", "--timeout", "1e-9", "--out", str(study_dir)]
    assert main(["tune", str(toy()), *args]) == 0
    assert (study_dir / "trials.csv").read_text() == "trial,state,value\n"
    assert not (study_dir / "best.toml").exists() and not (study_dir / "trials").exists()
    assert "<p>not enough finished trials</p>" in (study_dir / "report.html").read_text()
    assert capsys.readouterr().out.splitlines()[0].split() == [
        "rank", "trial", "state", "val_loss", "train.lr", "run"
    ]  # fmt: skip
