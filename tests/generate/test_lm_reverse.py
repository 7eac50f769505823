"""``data.reverse``: a backward language model reads every text last character first."""

from __future__ import annotations

import pytest

from rnnkit.data.text import char_tokenize
from rnnkit.tasks.runs import load_run
from rnnkit.train import fit


def test_char_tokenize_reverse():
    assert char_tokenize("Ana b", reverse=True) == ["b", " ", "a", "n", "A"]
    assert char_tokenize("Ana", lower=True, reverse=True) == ["a", "n", "a"]


def test_a_backward_model_reads_the_splits_reversed(text_file, lm_config, make):
    _, forward = make(lm_config(str(text_file)))
    raw = lm_config(str(text_file))
    raw["data"]["reverse"] = True
    _, backward = make(raw)
    forward.setup()
    backward.setup()
    text = text_file.read_text()
    cut = int(len(text) * 0.9)  # the same cut: validation is still the text's end
    assert "".join(backward.vocab.decode(backward.train_ids.tolist())) == text[:cut][::-1]
    assert "".join(backward.vocab.decode(backward.val_ids.tolist())) == text[cut:][::-1]
    assert backward.vocab.itos == forward.vocab.itos


def test_a_backward_model_scores_a_text_as_a_forward_one_scores_it_reversed(
    tmp_path, text_file, lm_config, make
):
    raw = lm_config(str(text_file))
    raw["data"]["reverse"] = True
    config, backward = make(raw)
    result = fit(backward, config, tmp_path / "run", quiet=True)
    assert "reverse = true" in (tmp_path / "run" / "config.toml").read_text()
    loaded = load_run(tmp_path / "run")
    _, forward = make(lm_config(str(text_file)))
    forward.setup()
    reversed_file = tmp_path / "reversed.txt"
    reversed_file.write_text(text_file.read_text()[::-1])
    model = result.model.eval()
    backward_loss = loaded.task.evaluate_path(loaded.model, str(text_file))["loss"]
    forward_loss = forward.evaluate_path(model, str(reversed_file))["loss"]
    assert backward_loss == pytest.approx(forward_loss, abs=1e-6)
    assert forward.evaluate_path(model, str(text_file))["loss"] != pytest.approx(backward_loss)
