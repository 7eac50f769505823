"""Task lm: the splits, clear errors, metrics, save/load identity, conditional names."""

from __future__ import annotations

import math

import pytest
import torch

from rnnkit.errors import ConfigError, DataError
from rnnkit.tasks.lm import nats_metrics
from rnnkit.tasks.runs import load_run
from rnnkit.train import fit


def test_validation_is_the_end_of_the_text(text_file, lm_config, make):
    config, task = make(lm_config(str(text_file)))
    task.setup()
    text = text_file.read_text()
    cut = int(len(text) * 0.9)
    assert "".join(task.vocab.decode(task.val_ids.tolist())) == text[cut:]
    assert "".join(task.vocab.decode(task.train_ids.tolist())) == text[:cut]
    assert task.vocab.itos[0] == "<unk>" and len(task.vocab) == 1 + len(set(text[:cut]))
    assert task.steps_per_epoch() == math.ceil(((cut - 1) // 4) / 16)


def test_metrics_in_nats_bits_and_perplexity():
    m = nats_metrics(total_nats=2 * math.log(2) * 10, count=10)
    assert m["loss"] == m["loss_nats"] == pytest.approx(2 * math.log(2))
    assert m["bpc"] == pytest.approx(2.0) and m["perplexity"] == pytest.approx(4.0)


def test_an_empty_text_is_a_clear_error(tmp_path, lm_config, make):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    _, task = make(lm_config(str(empty)))
    with pytest.raises(DataError) as err:
        task.setup()
    assert str(err.value) == (
        f"data.train text {empty} is empty: a language model needs characters"
    )


def test_text_run_saves_loads_and_generates_the_same(tmp_path, text_file, lm_config, make):
    config, task = make(lm_config(str(text_file), tie_weights=True))
    result = fit(task, config, tmp_path / "run", quiet=True)
    assert result.metrics["val_bpc"] == pytest.approx(result.metrics["val_loss"] / math.log(2))
    loaded = load_run(tmp_path / "run", setup=True)
    for a, b in zip(result.model.state_dict().values(), loaded.model.state_dict().values()):
        assert torch.equal(a, b)
    assert loaded.task.evaluate(loaded.model)["loss"] == pytest.approx(
        task.evaluate(result.model.eval())["loss"], abs=1e-6
    )
    kwargs = dict(prime="First", length=80, temperature=0.8, seed=3)
    text = loaded.task.generate(loaded.model, **kwargs)[0]
    assert text == task.generate(result.model, **kwargs)[0] and text.startswith("First")
    assert len(text) == len("First") + 80

    with pytest.raises(DataError) as err:
        loaded.task.generate(loaded.model, prime="ROMEO: Zß?")
    assert str(err.value) == (
        f"prime has characters outside the vocabulary: 'R', 'O', 'M', 'E', 'Z', 'ß' "
        f"(the model knows {len(loaded.task.vocab) - 1} characters)"
    )
    with pytest.raises(ConfigError, match="this model is not conditional"):
        loaded.task.generate(loaded.model, condition="Russian")


def test_conditional_names(tmp_path, names_folder, lm_config, make):
    raw = lm_config(str(names_folder), fmt="folder")
    raw["data"]["validation_fraction"] = 0.2
    config, task = make(raw)
    result = fit(task, config, tmp_path / "run", quiet=True)
    assert not task.stateful and task.categories == ["Italian", "Japanese", "Russian"]
    assert len(task.splits["validation"]["lengths"]) == 3  # 20% of 18 unique names
    assert result.metrics["val_loss"] > 0
    loaded = load_run(tmp_path / "run")
    names = loaded.task.generate(
        loaded.model, condition="Russian", n=4, length=12, temperature=1.0, seed=0
    )
    assert len(names) == 4 and all(0 <= len(n) <= 12 for n in names)
    assert all("<eos>" not in n and "\n" not in n for n in names)
    started = loaded.task.generate(loaded.model, condition="Italian", prime="Ro", n=2, seed=1)
    assert all(n.startswith("Ro") for n in started)
    with pytest.raises(ConfigError) as err:
        loaded.task.generate(loaded.model, condition="Rusian")
    assert str(err.value) == (
        "unknown condition 'Rusian' (did you mean 'Russian'?); known: Italian, Japanese, Russian"
    )
    with pytest.raises(
        ConfigError, match=r"this model is conditional: pass a condition \(--condition\), one of"
    ):
        loaded.task.generate(loaded.model)
