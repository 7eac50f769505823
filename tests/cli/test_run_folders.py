"""The command line on run folders: existing runs refused without --overwrite and replaced only
by a run that succeeded, one writer at a time (the second gets the folder and the PID), and
every broken checkpoint or artifact one line and exit 2 from every command that reads runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnnkit.cli.main import main

TINY = """task = "regress"
[data]
window = 10
test_size = 365
[model]
hidden_size = 4
[train]
epochs = 1
max_steps = 20
batch_size = 10
optimizer = "adam"
lr = 0.01
log_every = 5
"""


def rnnkit(capsys, *args) -> tuple[int, str, str]:
    """Run ``rnnkit ARGS`` in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A folder with ``tiny.toml``, a trained regress run ``run``, a classify run ``classify``,
    a tag run ``tag`` and a forecast run ``forecast`` (naive: no training)."""
    root = tmp_path_factory.mktemp("runs")
    (root / "tiny.toml").write_text(TINY)
    assert main(["train", str(root / "tiny.toml"), "--out", str(root / "run"), "--quiet"]) == 0
    cues = {"pos": "great superb loved", "neg": "awful boring hated"}
    lines = [
        f"{i},the film was {cues[y].split()[i % 3]},{y}" for i, y in enumerate(["pos", "neg"] * 12)
    ]
    (root / "texts.csv").write_text("id,text,label\n" + "\n".join(lines) + "\n")
    classify = [
        "--set", f"data.train={root / 'texts.csv'}", "--set", "data.format=csv",
        "--set", "data.validation_fraction=0.25", "--set", "model.hidden_size=4",
        "--set", "model.embedding_dim=4", "--set", "train.epochs=1",
    ]  # fmt: skip
    (root / "classify.toml").write_text('task = "classify"\n')
    assert (
        main(
            [
                "train",
                str(root / "classify.toml"),
                *classify,
                "--out",
                str(root / "classify"),
                "--quiet",
            ]
        )
        == 0
    )
    conll = "".join(
        f"{w} NNP I-NP {t}\n" for w, t in [("Bob", "I-PER"), ("visited", "O"), ("Paris", "I-LOC")]
    )
    (root / "ner.conll").write_text((conll + "\n") * 8)
    (root / "tag.toml").write_text('task = "tag"\n')
    ner = root / "ner.conll"
    tag = [
        "--set", f"data.train={ner}", "--set", f"data.validation={ner}",
        "--set", "model.hidden_size=4", "--set", "model.embedding_dim=4",
        "--set", "model.char_dim=2", "--set", "model.char_hidden_size=2", "--set", "train.epochs=1",
    ]  # fmt: skip
    assert main(["train", str(root / "tag.toml"), *tag, "--out", str(root / "tag"), "--quiet"]) == 0
    (root / "series.csv").write_text(
        "month,sales\n"
        + "".join(f"2000-{m:02d},{100 + m}\n" for m in range(1, 13))
        + "".join(f"2001-{m:02d},{110 + m}\n" for m in range(1, 13))
    )
    forecast = [
        "forecast",
        "train",
        "--data",
        root / "series.csv",
        "--horizon",
        2,
        "--model",
        "naive",
    ]
    assert main([str(a) for a in [*forecast, "--out", root / "forecast", "--quiet"]]) == 0
    return root


def copy_of(folder: Path, name: str, tmp_path: Path) -> Path:
    """A fresh copy of run ``name`` to break."""
    run = tmp_path / name
    shutil.copytree(folder / name, run)
    return run


# ---- broken run folders: one line, exit 2, from every command that reads a run --------------
@pytest.mark.parametrize(
    "command",
    [
        ["evaluate", "--json"],
        ["predict", "--input", "-"],
        ["report"],
        ["export"],
        ["generate"],
        ["forecast", "predict"],
    ],
)
def test_every_reader_names_a_broken_checkpoint(capsys, folder, tmp_path, command):
    run = copy_of(folder, "run", tmp_path)
    best = run / "checkpoints" / "best.safetensors"
    best.write_bytes(best.read_bytes()[:-10])
    need = len(folder.joinpath("run/checkpoints/best.safetensors").read_bytes())
    length = int.from_bytes(best.read_bytes()[:8], "little")
    args = [*command[:2], run, *command[2:]] if command[0] == "forecast" else [command[0], run]
    code, out, err = rnnkit(capsys, *args, *([] if command[0] == "forecast" else command[1:]))
    assert (code, out) == (2, "")
    assert err == (
        f"rnnkit {command[0]}: error: {best} is truncated: its tensors need "
        f"{need - 8 - length} bytes after the header, the file has {need - 18 - length}\n"
    )


def _tensors(path: Path, edit) -> None:
    """Rewrite the checkpoint ``path`` after ``edit(tensors)`` (metadata kept)."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    tensors = load_file(str(path))
    edit(tensors)
    save_file(tensors, str(path), metadata=meta)


def _nan(tensors) -> None:
    tensors["model.head.bias"] = tensors["model.head.bias"] * float("nan")


CHECKPOINT_CASES = {
    "empty": (lambda p: p.write_bytes(b""), "{p} is empty; expected a safetensors checkpoint"),
    "pickle": (
        lambda p: __import__("torch").save({"w": 1}, p),
        "{p} is a pickle (torch.save) file, not a safetensors checkpoint; rnnkit never unpickles",
    ),
    "random": (
        lambda p: p.write_bytes(b"\xff" * 64),
        "{p} is not a safetensors checkpoint (or is truncated): its first 8 bytes announce a "
        "header of 18446744073709551615 bytes, the file has 56 after them",
    ),
    "forged header": (
        lambda p: p.write_bytes((16).to_bytes(8, "little") + b"{not json at all"),
        "{p} is not a safetensors checkpoint: its header is not JSON",
    ),
    "broken metadata": (
        lambda p: _tensors(p, lambda t: None) or _metadata(p, "{step: 1"),
        "{p} has broken metadata: not valid JSON: Expecting property name enclosed in double "
        "quotes (line 1, column 2)",
    ),
    "wrong shape": (
        lambda p: _tensors(p, lambda t: t.update({"model.head.bias": __import__("torch").ones(3)})),
        "{p} does not fit the model that the run's config and artifacts describe: 'head.bias' "
        "has shape (3,), the model expects (1,)",
    ),
    "missing key": (
        lambda p: _tensors(p, lambda t: t.pop("model.head.weight")),
        "{p} does not fit the model that the run's config and artifacts describe: tensor "
        "'head.weight' is missing",
    ),
    "nan weights": (
        lambda p: _tensors(p, _nan),
        "{p} holds non-finite weights ('head.bias' has 1 NaN or infinite values); it cannot be "
        "used",
    ),
}


def _metadata(path: Path, text: str) -> None:
    from safetensors.torch import load_file, save_file

    save_file(load_file(str(path)), str(path), metadata={"rnnkit": text})


@pytest.mark.parametrize("case", list(CHECKPOINT_CASES))
def test_broken_checkpoints_are_one_line_and_exit_2(capsys, folder, tmp_path, case):
    run = copy_of(folder, "run", tmp_path)
    best = run / "checkpoints" / "best.safetensors"
    write, message = CHECKPOINT_CASES[case]
    write(best)
    assert rnnkit(capsys, "evaluate", run, "--json") == (
        2,
        "",
        f"rnnkit evaluate: error: {message.format(p=best)}\n",
    )


ARTIFACT_CASES = [
    ("run", "scaler.json", b'{"mean": 12.1, "st', "is not valid JSON: Unterminated string "
     "starting at (line 1, column 16); expected the scaler"),
    ("run", "scaler.json", b"", "is empty; expected the scaler as JSON"),
    ("run", "scaler.json", b"\x00\xff\x00", "is not UTF-8 text (byte 0xff at offset 1); expected "
     "the scaler as JSON"),
    ("run", "scaler.json", b'{"mean": 1}', "is not a valid scaler: the key 'std' is missing"),
    ("classify", "vocab.json", b'{"itos": ["<pad>", "<unk>", "the"', "is not valid JSON: "
     "Expecting ',' delimiter (line 1, column 34); expected the vocabulary"),
    ("classify", "vocab.json", b'{"itos": ["<pad>", "<unk>"]}', "is not a valid vocabulary: the "
     "key 'specials' is missing"),
    ("classify", "labels.json", b'["neg", "po', "is not valid JSON: Unterminated string starting "
     "at (line 1, column 9); expected the labels"),
    ("classify", "labels.json", b'{"neg": 0}', "holds an object; expected the labels as a list"),
    ("tag", "tags.json", b'{"itos": ["<pad>", "O", ', "is not valid JSON: Expecting value (line "
     "1, column 25); expected the vocabulary"),
    ("tag", "tags.json", b"[]", "holds a list; expected the vocabulary as an object"),
    ("forecast", "forecast.json", b'{"format": 1, "ids": ["sales"], "hist', "is not valid JSON: "
     "Unterminated string starting at (line 1, column 33); expected the forecast history"),
    ("forecast", "forecast.json", b'{"format": 1}', "is not a valid forecast history: the key "
     "'ids' is missing"),
]  # fmt: skip


@pytest.mark.parametrize("name, file, content, message", ARTIFACT_CASES)
def test_broken_artifacts_are_one_line_and_exit_2(
    capsys, folder, tmp_path, name, file, content, message
):
    run = copy_of(folder, name, tmp_path)
    (run / file).write_bytes(content)
    code, out, err = rnnkit(capsys, "evaluate", run, "--json")
    assert (code, out, err) == (2, "", f"rnnkit evaluate: error: {run / file} {message}\n")


def test_broken_final_metrics_stop_a_report_rebuild(capsys, folder, tmp_path):
    run = copy_of(folder, "run", tmp_path)
    (run / "metrics.json").write_text('{"val_loss": ')
    assert rnnkit(capsys, "report", run) == (
        2,
        "",
        f"rnnkit report: error: {run / 'metrics.json'} is not valid JSON: Expecting value "
        f"(line 1, column 14); expected the final metrics of the run\n",
    )


def test_evaluate_json_is_always_valid_json(capsys, folder, monkeypatch):
    from rnnkit.tasks.regress import WindowRegressionTask

    monkeypatch.setattr(
        WindowRegressionTask,
        "evaluate",
        lambda self, model, split, state=None: {"loss": float("nan"), "rmse_next": float("inf")},
    )
    code, out, err = rnnkit(capsys, "evaluate", folder / "run", "--json")
    assert code == 0 and json.loads(out) == {"loss": None, "rmse_next": None}
    assert err == (
        "rnnkit evaluate: warning: loss = nan, rmse_next = inf; written as null in the JSON\n"
    )


# ---- refused, replaced, never mixed --------------------------------------------------------
def test_train_refuses_an_existing_run_and_overwrite_replaces_it(capsys, folder, tmp_path):
    run = copy_of(folder, "run", tmp_path)
    before = (run / "checkpoints" / "best.safetensors").read_bytes()
    code, out, err = rnnkit(capsys, "train", folder / "tiny.toml", "--out", run, "--quiet")
    assert (code, out) == (2, "")
    assert err == (
        f"rnnkit train: error: {run} already holds a run; continue it with --resume {run}, "
        f"replace it with --overwrite (overwrite=True in Python), or choose another --out\n"
    )
    assert (run / "checkpoints" / "best.safetensors").read_bytes() == before
    args = ["train", folder / "tiny.toml", "--out", run, "--set", "model.hidden_size=3"]
    assert rnnkit(capsys, *args, "--overwrite", "--quiet")[0] == 0
    assert "hidden_size = 3" in (run / "config.toml").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_resume_and_overwrite_exclude_each_other(capsys, folder):
    run = folder / "run"
    assert rnnkit(capsys, "train", "--resume", run, "--overwrite") == (
        2,
        "",
        "rnnkit train: error: --resume continues a run and --overwrite replaces it; choose one\n",
    )


def test_a_failed_overwrite_keeps_the_old_run(capsys, folder, tmp_path):
    run = copy_of(folder, "run", tmp_path)
    before = {p.name: p.read_bytes() for p in (run / "checkpoints").iterdir()}
    bad = ["--set", "data.column=nope", "--overwrite", "--quiet"]
    code, _, err = rnnkit(capsys, "train", folder / "tiny.toml", "--out", run, *bad)
    assert code == 2 and err.startswith("rnnkit train: error: ")
    assert {p.name: p.read_bytes() for p in (run / "checkpoints").iterdir()} == before
    assert not (run / "error.log").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def naive_forecast(folder: Path) -> list:
    """``forecast train`` of the naive baseline on the fixture's series (trains in no time)."""
    series = folder / "series.csv"
    return ["forecast", "train", "--data", series, "--horizon", 2, "--model", "naive"]


def test_forecast_train_refuses_an_existing_run(capsys, folder, tmp_path):
    run = copy_of(folder, "forecast", tmp_path)
    args = naive_forecast(folder)
    code, out, err = rnnkit(capsys, *args, "--out", run, "--quiet")
    assert (code, out) == (2, "")
    assert err == (
        f"rnnkit forecast: error: {run} already holds a run; continue it with --resume {run}, "
        f"replace it with --overwrite (overwrite=True in Python), or choose another --out\n"
    )
    assert rnnkit(capsys, *args, "--out", run, "--quiet", "--overwrite")[0] == 0


def test_a_forecast_run_over_a_classify_run_mixes_nothing(capsys, folder, tmp_path):
    run = copy_of(folder, "classify", tmp_path)
    args = naive_forecast(folder)
    assert rnnkit(capsys, *args, "--out", run, "--quiet", "--overwrite")[0] == 0
    names = {p.name for p in run.iterdir()}
    assert "forecast.json" in names and not names & {"vocab.json", "labels.json"}
    assert 'task = "forecast"' in (run / "config.toml").read_text()


def test_forecast_compare_refuses_before_training_anything(capsys, folder, tmp_path):
    args = ["forecast", "compare", "--data", folder / "series.csv", "--horizon", 2]
    args += ["--models", "naive,seasonal_naive", "--out", tmp_path / "cmp"]
    assert rnnkit(capsys, *args)[0] == 0
    (tmp_path / "cmp" / "compare.csv").unlink()
    code, out, err = rnnkit(capsys, *args)
    assert (code, out) == (2, "")
    assert err == (
        f"rnnkit forecast: error: {tmp_path / 'cmp' / 'naive'} already holds a run; replace the "
        f"runs in {tmp_path / 'cmp'} with --overwrite, or choose another --out\n"
    )
    assert not (tmp_path / "cmp" / "compare.csv").exists()  # nothing ran
    assert rnnkit(capsys, *args, "--overwrite")[0] == 0


# ---- one writer at a time -----------------------------------------------------------------
HOLD = """
import sys
from rnnkit.train.folder import run_lock
with run_lock(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_a_second_writer_gets_the_folder_and_the_pid(capsys, folder, tmp_path):
    run = copy_of(folder, "run", tmp_path)
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(run)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        for command in (
            ["train", folder / "tiny.toml", "--out", run, "--overwrite", "--quiet"],
            ["train", "--resume", run, "--quiet"],
            ["report", run],
            ["export", run],
        ):
            assert rnnkit(capsys, *command) == (
                2,
                "",
                f"rnnkit {command[0]}: error: {run} is being written by process {holder.pid}; "
                f"try again when it has finished\n",
            )
    finally:
        holder.communicate("\n", timeout=60)
    after = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    assert after == {k: v for k, v in before.items() if k != ".lock.pid"}
    assert rnnkit(capsys, "report", run)[0] == 0  # free once the holder has finished


def test_two_trainings_into_one_folder_at_once(cli, folder, tmp_path):
    run = tmp_path / "run"
    args = [sys.executable, "-m", "rnnkit.cli.main", "train", str(folder / "tiny.toml")]
    procs = [
        subprocess.Popen([*args, "--out", str(run), "--quiet"], stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    done = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in done) == [0, 2]
    loser_pid, loser_err = next((p.pid, err) for p, (code, err) in zip(procs, done) if code)
    winner_pid = next(p.pid for p, (code, _) in zip(procs, done) if code == 0)
    assert loser_err in (
        f"rnnkit train: error: {run} is being written by process {winner_pid}; try again when "
        f"it has finished\n",
        # the lock taken a moment before the holder wrote its PID beside it
        f"rnnkit train: error: {run} is being written by another process; try again when it "
        f"has finished\n",
        f"rnnkit train: error: {run} already holds a run; continue it with --resume {run}, "
        f"replace it with --overwrite (overwrite=True in Python), or choose another --out\n",
    )
    assert loser_pid != winner_pid
    events = [f.name for f in (run / "tb").rglob("events.out.tfevents.*")]
    assert events and all(f".{winner_pid}." in name for name in events)  # one run's events
