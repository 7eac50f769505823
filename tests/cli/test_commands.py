"""Every command end to end in a subprocess, and the exit codes and messages of bad input."""

from __future__ import annotations

import json

import pytest


def test_train_evaluate_predict_report(cli, tiny_config, tmp_path):
    run = tmp_path / "run"
    done = cli("train", tiny_config, "--out", run, "--set", "model.hidden_size=3", "--quiet")
    assert done.returncode == 0, done.stderr
    for name in (
        "config.toml",
        "metrics.csv",
        "metrics.json",
        "predictions.csv",
        "report.html",
        "checkpoints/last.safetensors",
        "checkpoints/best.json",
        "plots/loss.png",
    ):
        assert (run / name).exists(), name
    assert list((run / "tb").iterdir())  # TensorBoard events
    assert "hidden_size = 3" in (run / "config.toml").read_text()
    header = (run / "metrics.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["step", "epoch", "train_loss"] and "val_loss" in header
    sidecar = json.loads((run / "checkpoints" / "last.json").read_text())
    assert {"step", "value", "config_hash", "rnnkit", "torch"} <= set(sidecar)

    ev = cli("evaluate", run, "--json")
    assert ev.returncode == 0, ev.stderr
    metrics = json.loads(ev.stdout)  # stdout is exactly one JSON object
    assert set(metrics) == {"loss", "rmse_next"}

    data = tmp_path / "series.csv"
    data.write_text(
        "Date,Temp\n" + "".join(f"2000-01-{i + 1:02d},{10 + i % 5}\n" for i in range(20))
    )
    ev = cli("evaluate", run, "--data", data, "--json")
    assert ev.returncode == 0, ev.stderr
    assert json.loads(ev.stdout)["loss"] >= 0

    pred = cli(
        "predict",
        run,
        "--input",
        "-",
        stdin="1 2 3 4 5 6 7 8 9 10\n10,11,12,13,14,15,16,17,18,19\n",
    )
    assert pred.returncode == 0, pred.stderr
    assert len(pred.stdout.split()) == 2 and all(float(v) for v in pred.stdout.split())

    (run / "report.html").unlink()
    rep = cli("report", run)
    assert rep.returncode == 0 and (run / "report.html").exists()
    assert "data:image/png;base64," in (run / "report.html").read_text()


def test_resume_from_the_command_line(cli, tiny_config, tmp_path):
    run = tmp_path / "run"
    assert cli("train", tiny_config, "--out", run, "--quiet").returncode == 0
    again = cli("train", "--resume", run, "--quiet")
    assert again.returncode == 0, again.stderr  # already finished: nothing more to do


def test_datasets_and_demo_list(cli):
    done = cli("datasets")
    assert done.returncode == 0
    assert "daily-min-temperatures" in done.stdout and "regress" in done.stdout
    assert cli("demo", "--help").returncode == 0


@pytest.mark.parametrize(
    "setting,message",
    [
        (
            "model.hiden_size=3",
            "rnnkit train: error: unknown key model.hiden_size (did you mean 'hidden_size'?)",
        ),
        (
            "model.hidden_size=big",
            "rnnkit train: error: model.hidden_size must be int, received 'big' (str)",
        ),
    ],
)
def test_bad_config_exits_2_with_one_line(cli, tiny_config, tmp_path, setting, message):
    done = cli("train", tiny_config, "--out", tmp_path / "r", "--set", setting)
    assert done.returncode == 2
    assert done.stderr.strip() == message
    assert "Traceback" not in done.stderr


def test_missing_data_file(cli, tiny_config, tmp_path):
    done = cli("train", tiny_config, "--out", tmp_path / "r", "--set", "data.train=nope.csv")
    assert done.returncode == 2
    assert done.stderr.strip() == "rnnkit train: error: data file not found: nope.csv"


def test_malformed_csv(cli, tiny_config, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Temp\n2000-01-01,1\n2000-01-02,2,3,4\n")
    done = cli("train", tiny_config, "--out", tmp_path / "r", "--set", f"data.train={bad}")
    assert done.returncode == 2
    assert done.stderr.startswith(f"rnnkit train: error: {bad} is not a well-formed CSV: ")
    assert "line 3" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_non_numeric_column(cli, tiny_config, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Temp\n2000-01-01,1\n2000-01-02,warm\n")
    done = cli("train", tiny_config, "--out", tmp_path / "r", "--set", f"data.train={bad}")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"rnnkit train: error: {bad}: column 'Temp' is not numeric: 'warm' on line 3"
    )


def test_bad_predict_input(cli, tiny_config, tmp_path):
    run = tmp_path / "run"
    assert cli("train", tiny_config, "--out", run, "--quiet").returncode == 0
    done = cli("predict", run, "--input", "-", stdin="1 2 x\n")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "rnnkit predict: error: input line 1 is not a list of numbers: '1 2 x'"
    )
    done = cli("evaluate", tmp_path / "nowhere", "--json")
    assert done.returncode == 2 and "is not a run folder" in done.stderr


def test_unexpected_failure_keeps_traceback_in_error_log(
    tiny_config, tmp_path, monkeypatch, capsys
):
    from rnnkit.cli.main import main
    from rnnkit.train.loop import Trainer

    def crash(self):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Trainer, "fit", crash)
    run = tmp_path / "run"
    assert main(["train", str(tiny_config), "--out", str(run)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        f"rnnkit train: unexpected failure: disk on fire (traceback in {run / 'error.log'})"
    )
    assert "Traceback" in (run / "error.log").read_text()


def test_only_rnnkit_errors_are_the_users_fault(monkeypatch, capsys, tmp_path):
    """An RnnkitError is one line and exit 2; any other exception is a bug: exit 1 and one
    line saying where the traceback is."""
    import re

    import rnnkit.cli.report as report
    from rnnkit.cli.main import main
    from rnnkit.errors import DataError

    def user_error(args):
        raise DataError("data.csv: column 'y' is not numeric: 'x' on data row 3")

    monkeypatch.setattr(report, "run", user_error)
    assert main(["report", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        "rnnkit report: error: data.csv: column 'y' is not numeric: 'x' on data row 3\n"
    )

    def bug(args):
        raise ValueError("an internal invariant broke")

    monkeypatch.setattr(report, "run", bug)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    assert main(["report", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    match = re.fullmatch(
        r"rnnkit report: unexpected failure: an internal invariant broke "
        r"\(traceback in (.+rnnkit-error-\d{8}-\d{6}\.log)\)\n",
        err,
    )
    assert match, err
    assert "ValueError: an internal invariant broke" in open(match.group(1)).read()
