"""The commands end to end on tiny data: train, generate, evaluate, predict, report, demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rnnkit.cli.main import main
from rnnkit.data.dates import corpus, write_tsv

LM = """
task = "lm"
[data]
format = "{fmt}"
train = "{train}"
bptt = 16
eval_rows = 4
[model]
hidden_size = 16
num_layers = 1
embedding_dim = 8
[train]
epochs = 2
batch_size = 4
lr = 0.01
"""

SEQ2SEQ = """
task = "seq2seq"
[data]
format = "tsv"
train = "{train}"
validation = "{validation}"
[model]
cell = "gru"
hidden_size = 16
embedding_dim = 8
attention = "multiplicative"
[train]
epochs = 1
batch_size = 32
lr = 0.01
"""


def rnnkit(capsys, *args) -> tuple[int, str, str]:
    """Run the command line in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def lm_run(tmp_path, text_file, capsys):
    config = tmp_path / "lm.toml"
    config.write_text(LM.format(fmt="text", train=text_file))
    code, _, err = rnnkit(capsys, "train", config, "--out", tmp_path / "lm", "--quiet")
    assert code == 0, err
    return tmp_path / "lm"


def test_text_model_generate_and_evaluate(lm_run, text_file, capsys):
    assert (lm_run / "vocab.json").exists() and (lm_run / "plots" / "val_loss_time.png").exists()
    assert "Samples (temperature 0.8)" in (lm_run / "report.html").read_text()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(  # once as a real process, as a user types it
        [sys.executable, "-m", "rnnkit.cli.main", "generate", str(lm_run), "--prime", "First",
         "--length", "50", "--temperature", "0.8", "--top-k", "5", "--top-p", "0.9", "--seed", "1"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("First") and len(done.stdout) == len("First") + 50 + 1
    code, again, _ = rnnkit(capsys, "generate", lm_run, "--prime", "First", "--length", "50",
                            "--top-k", "5", "--top-p", "0.9", "--seed", "1")  # fmt: skip
    assert code == 0 and again == done.stdout  # the seed fixes the sample

    code, out, _ = rnnkit(capsys, "evaluate", lm_run, "--data", text_file, "--json")
    metrics = json.loads(out)
    assert code == 0 and {"loss_nats", "bpc", "perplexity"} <= set(metrics)
    assert metrics["bpc"] == pytest.approx(metrics["loss_nats"] / 0.6931471805599453)

    code, _, err = rnnkit(capsys, "generate", lm_run, "--prime", "Zoë")
    assert code == 2 and err == (
        "rnnkit generate: error: prime has characters outside the vocabulary: 'Z', 'ë' "
        "(the model knows 33 characters)\n"
    )
    code, _, err = rnnkit(capsys, "predict", lm_run, "--input", text_file)
    assert code == 2 and "use `rnnkit generate RUN`" in err


def test_conditional_names_from_the_command_line(tmp_path, names_folder, capsys):
    config = tmp_path / "names.toml"
    config.write_text(LM.format(fmt="folder", train=names_folder))
    run = tmp_path / "names-run"  # not the data folder: a run never mixes with other files
    code, _, err = rnnkit(capsys, "train", config, "--out", run, "--quiet")
    assert code == 0, err
    code, out, _ = rnnkit(capsys, "generate", run, "--condition", "Russian",
                          "-n", "5")  # fmt: skip
    assert code == 0 and len(out.splitlines()) == 5
    code, _, err = rnnkit(capsys, "generate", run, "--condition", "Klingon")
    assert code == 2 and err == (
        "rnnkit generate: error: unknown condition 'Klingon'; known: Italian, Japanese, Russian\n"
    )


def test_seq2seq_train_predict_evaluate(tmp_path, capsys):
    splits = corpus({"train": 200, "validation": 20}, seed=3)
    paths = {name: write_tsv(tmp_path / f"{name}.tsv", pairs) for name, pairs in splits.items()}
    config = tmp_path / "s2s.toml"
    config.write_text(SEQ2SEQ.format(train=paths["train"], validation=paths["validation"]))
    run = tmp_path / "s2s"
    code, _, err = rnnkit(capsys, "train", config, "--out", run, "--quiet")
    assert code == 0, err
    assert (run / "plots" / "attention.png").exists() and (run / "tgt_vocab.json").exists()
    assert "Decoded validation examples" in (run / "report.html").read_text()
    sources = tmp_path / "sources.txt"
    sources.write_text("3 March 1987\n12/25/01\n")
    code, out, _ = rnnkit(capsys, "predict", run, "--input", sources)
    assert code == 0 and len(out.splitlines()) == 2
    code, out, _ = rnnkit(capsys, "evaluate", run, "--data", paths["validation"], "--json")
    metrics = json.loads(out)
    assert code == 0 and {"exact_match", "char_accuracy", "bleu", "loss"} == set(metrics)
    assert 0 <= metrics["exact_match"] <= metrics["char_accuracy"] <= 1

    code, _, err = rnnkit(capsys, "generate", run)
    assert code == 2 and "rnnkit generate samples from task 'lm' runs" in err


def test_demo_dates_writes_the_corpus(tmp_path, capsys):
    code, out, _ = rnnkit(capsys, "demo", "dates", "--tsv", tmp_path, "--examples", "40")
    assert code == 0 and "train.tsv: 40 pairs" in out
    lines = (tmp_path / "test.tsv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1000 and all(line.count("\t") == 1 for line in lines)
