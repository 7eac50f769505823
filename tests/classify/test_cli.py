"""``rnnkit train / evaluate / predict`` on tiny classification files, in a subprocess."""

from __future__ import annotations

import json

import tomli_w


def test_train_evaluate_predict_end_to_end(cli, sentiment_files, sentiment, tmp_path):
    train, test = sentiment_files
    config = tmp_path / "sentiment.toml"
    config.write_text(tomli_w.dumps(sentiment(train, test)))
    run = tmp_path / "run"
    done = cli("train", config, "--out", run, "--quiet")
    assert done.returncode == 0, done.stderr

    ev = cli("evaluate", run, "--data", test, "--json")
    assert ev.returncode == 0, ev.stderr
    metrics = json.loads(ev.stdout)
    assert metrics["accuracy"] == 1.0 and metrics["macro_f1"] == 1.0

    pred = cli("predict", run, "--input", "-", stdin="a great plot\nboring and awful\n")
    assert pred.returncode == 0, pred.stderr
    first, second = pred.stdout.splitlines()
    assert first.startswith("a great plot  pos ") and ", neg 0." in first
    assert second.startswith("boring and awful  neg ")

    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\ngreat,pos\nfine,neutral\n")
    ev = cli("evaluate", run, "--data", bad, "--json")
    assert ev.returncode == 2 and ev.stdout == ""
    assert ev.stderr == (
        f"rnnkit evaluate: error: {bad}, line 3: label 'neutral' was not seen in the "
        "training data (known: neg, pos)\n"
    )
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(b"fine\ncaf\xe9\n")
    pred = cli("predict", run, "--input", latin1)
    assert pred.returncode == 2
    assert pred.stderr == (
        f"rnnkit predict: error: {latin1}, line 2, column 4: expected UTF-8 text, "
        "found the byte 0xe9\n"
    )
