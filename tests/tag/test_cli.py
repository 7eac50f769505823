"""``rnnkit train / evaluate / predict`` with task ``tag``, end to end in subprocesses."""

from __future__ import annotations

import json


def write_config(tmp_path, ner_file, extra: str = "") -> str:
    path = tmp_path / "tag.toml"
    path.write_text(
        f"""task = "tag"
[data]
train = "{ner_file}"
validation = "{ner_file}"
lower = true
{extra}
[model]
hidden_size = 16
embedding_dim = 16
char_dim = 8
char_hidden_size = 8
dropout = 0.0
[train]
epochs = 25
batch_size = 8
lr = 0.02
"""
    )
    return str(path)


def test_train_evaluate_predict(cli, tmp_path, ner_file):
    run = tmp_path / "run"
    done = cli("train", write_config(tmp_path, ner_file), "--out", run, "--quiet")
    assert done.returncode == 0, done.stderr

    ev = cli("evaluate", run, "--data", ner_file, "--json")
    assert ev.returncode == 0, ev.stderr
    metrics = json.loads(ev.stdout)
    assert metrics == {"f1": 1.0, "precision": 1.0, "recall": 1.0, "accuracy": 1.0}

    pred = cli("predict", run, "--input", "-", stdin="Bob visited Paris.\n\nAnn Lee met Fred\n")
    assert pred.returncode == 0, pred.stderr
    blocks = pred.stdout.rstrip("\n").split("\n\n")
    assert blocks[0].splitlines() == ["Bob\tI-PER", "visited\tO", "Paris\tI-LOC", ".\tO"]
    assert blocks[1].splitlines()[0] == "Ann\tI-PER"

    # the output format is a data option; switch it in the run's config.toml
    config_toml = run / "config.toml"
    text = config_toml.read_text()
    config_toml.write_text(text.replace('predict_output = "conll"', 'predict_output = "json"'))
    pred = cli("predict", run, "--input", "-", stdin="Carl Marx visited New York.\n")
    assert pred.returncode == 0, pred.stderr
    record = json.loads(pred.stdout)
    assert record["tokens"] == ["Carl", "Marx", "visited", "New", "York", "."]
    assert record["tags"] == ["I-PER", "I-PER", "O", "I-LOC", "I-LOC", "O"]
    assert record["spans"] == [
        {"type": "PER", "start": 0, "end": 2, "start_char": 0, "end_char": 9, "text": "Carl Marx"},
        {"type": "LOC", "start": 3, "end": 5, "start_char": 18, "end_char": 26, "text": "New York"},
    ]


def test_bad_input_is_one_line_and_exit_2(tmp_path, ner_file, capsys):
    from rnnkit.cli.main import main

    config = write_config(tmp_path, ner_file, 'scheme = "spans"')
    assert main(["train", config, "--out", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err == (
        "rnnkit train: error: data.scheme must be one of auto, iob1, bio, bioes, none, "
        "received 'spans'\n"
    )
    broken = tmp_path / "broken.conll"
    broken.write_text("EU NNP I-ORG\nrejects VBZ\n")
    assert main(["train", write_config(tmp_path, broken), "--out", str(tmp_path / "run2")]) == 2
    assert capsys.readouterr().err == (
        f"rnnkit train: error: {broken}, line 2: expected 3 columns like the first token "
        "line, found 2: 'rejects VBZ'\n"
    )


def test_missing_vectors_leave_no_run_behind(tmp_path, ner_file, capsys):
    """The vectors are read while the model is built, after the vocabularies were written:
    the refused run's folder is removed, and the same --out takes the fixed config."""
    from rnnkit.cli.main import main

    config, run = write_config(tmp_path, ner_file), tmp_path / "run"
    missing = tmp_path / "glove.txt"
    assert main(["train", config, "--out", str(run), "--set", f"model.vectors={missing}"]) == 2
    assert capsys.readouterr().err == (
        "rnnkit train: error: model.vectors must name a vectors file or a language-model run "
        f"folder, received '{missing}': no such file or folder\n"
    )
    assert not run.exists()
    done = main(["train", config, "--out", str(run), "--quiet", "--set", "train.epochs=1"])
    assert done == 0 and (run / "checkpoints" / "last.safetensors").exists()
