"""Bad input to rnnkit tune: one line naming the problem, exit 2, before any trial trains."""

from __future__ import annotations

import pytest

from rnnkit.cli.main import main

SPACE = [
    (
        "model.hiden_size={int = [4, 8]}",
        "unknown key model.hiden_size in the tune space (did you mean 'model.hidden_size'?)",
    ),
    ("foo.bar={int = [1, 2]}", "unknown key foo.bar in the tune space"),
    (
        "model.hidden_size={int = [8, 4]}",
        "tune space model.hidden_size: the range [8, 4] is empty (LOW must be below HIGH)",
    ),
    (
        "train.lr={float = [0.01, 0.01]}",
        "tune space train.lr: the range [0.01, 0.01] is empty (LOW must be below HIGH)",
    ),
    (
        "model.hidden_size={ints = [4, 8]}",
        "tune space model.hidden_size must be {int = [LOW, HIGH]}, {float = [LOW, HIGH]} "
        "(either with log = true) or {choice = [...]}, received {'ints': [4, 8]}",
    ),
    (
        "model.hidden_size={int = [4.5, 8]}",
        "tune space model.hidden_size: int must be [LOW, HIGH] of ints, received [4.5, 8]",
    ),
    (
        "train.lr={float = [0, 1], log = true}",
        "tune space train.lr: log = true needs LOW > 0, received [0, 1]",
    ),
    (
        "model.dropout={float = [0, 1.5]}",
        "tune space model.dropout: model.dropout must be in [0, 1), received 1.5",
    ),
    (
        'model.cell={choice = ["gru", "lstmm"]}',
        "tune space model.cell: model.cell must be one of rnn, lstm, gru, jordan, mingru, "
        "minlstm, slstm, received 'lstmm' (did you mean 'lstm'?)",
    ),
    (
        "hidden_size=3",
        "--space expects SECTION.KEY=SPEC (e.g. --space 'train.lr={float = [1e-4, 1e-2], "
        "log = true}'), received 'hidden_size=3'",
    ),
]


@pytest.mark.parametrize(("space", "message"), SPACE, ids=[s for s, _ in SPACE])
def test_a_bad_space_is_refused_in_one_line(toy, tmp_path, capsys, space, message):
    pytest.importorskip("optuna")
    out = tmp_path / "study"
    code = main(["tune", str(toy()), "--trials", "1", "--space", space, "--out", str(out)])
    assert (code, capsys.readouterr().err) == (2, f"rnnkit tune: error: {message}\n")
    assert not (out / "trials").exists()


def test_an_unreachable_storage_is_named(toy, tmp_path, capsys):
    pytest.importorskip("optuna")
    for storage, why in [
        (
            "sqlite:////nonexistent/dir/s.db",
            "(sqlite3.OperationalError) unable to open database file",
        ),
        ("/nonexistent/dir/s.journal", "no folder /nonexistent/dir"),
    ]:
        code = main(["tune", str(toy()), "--storage", storage, "--out", str(tmp_path / "s")])
        err = capsys.readouterr().err
        assert (code, err) == (
            2,
            f"rnnkit tune: error: --storage {storage}: cannot open the study storage: {why}\n",
        )


def test_without_optuna_it_says_how_to_install_it(toy, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "optuna", None)  # import optuna fails
    code = main(["tune", str(toy()), "--trials", "1", "--out", str(tmp_path / "s")])
    assert (code, capsys.readouterr().err) == (
        2,
        "rnnkit tune: error: Optuna is not installed; rnnkit tune needs it: "
        "pip install 'rnnkit[tune]'\n",
    )
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "tune needs exactly one of CONFIG, --join STUDY or --show STUDY"),
        (["--show", "nowhere"], "nowhere is not a study folder (no study.toml)"),
        (["--trials", "0"], "--trials must be positive, received 0"),
        (["--workers", "0", "--trials", "1"], "--workers must be positive, received 0"),
    ],
)
def test_bad_commands_are_refused(toy, tmp_path, capsys, monkeypatch, args, message):
    pytest.importorskip("optuna")
    monkeypatch.chdir(tmp_path)
    config = [str(toy())] if args[:1] != ["--show"] and args else []
    assert main(["tune", *config, *args]) == 2
    assert capsys.readouterr().err == f"rnnkit tune: error: {message}\n"


def test_a_bad_tune_setting_is_a_config_error(toy, tmp_path, capsys):
    pytest.importorskip("optuna")
    code = main(["tune", str(toy('pruner = "medain"\n')), "--out", str(tmp_path / "s")])
    assert (code, capsys.readouterr().err) == (
        2,
        "rnnkit tune: error: tune.pruner must be one of median, hyperband, none, "
        "received 'medain' (did you mean 'median'?)\n",
    )


def test_a_study_is_not_resumed_with_another_config(toy, tmp_path, capsys):
    pytest.importorskip("optuna")
    args = ["tune", str(toy()), "--timeout", "1e-9", "--out", str(tmp_path / "s")]
    assert main(args) == 0  # the study exists, with no trial
    capsys.readouterr()
    assert main([*args, "--set", "train.lr=0.02"]) == 2
    assert capsys.readouterr().err == (
        "rnnkit tune: error: study 'toy' exists with another config (stored {'task': 'sincos', "
        "'name': 'toy', 'data': {'segments': 40, 'points': 10}, 'model': {'hidden_size': 8}, "
        "'train': {'optimizer': 'sgd', 'lr': 0.01, 'eval_every': 10}}, received {'task': "
        "'sincos', 'name': 'toy', 'data': {'segments': 40, 'points': 10}, 'model': "
        "{'hidden_size': 8}, 'train': {'optimizer': 'sgd', 'lr': 0.02, 'eval_every': 10}}): "
        "give another --study name or --out folder\n"
    )
