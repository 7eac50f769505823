"""Task lm from a three-line config (issue 16): the budget is 1500 steps even when an epoch is
one step, the validation part is the text's tail, a ``data.test`` text is scored at the end,
and a verse repeated many times is learned and continued."""

from __future__ import annotations

import pytest

from rnnkit.config import config_from_dict
from rnnkit.tasks.lm import LanguageModelTask, LMTrain
from rnnkit.train import Trainer, fit

VERSE = "Shall I compare thee to a summer's day? Thou\n"  # 45 characters


def test_the_default_budget_is_steps_not_epochs(tmp_path, capsys):
    text = tmp_path / "verse.txt"
    text.write_text(VERSE * 400)
    config = config_from_dict({"task": "lm", "data": {"train": str(text)}})
    assert (config.train.epochs, config.train.max_steps) == (0, LMTrain.max_steps) == (0, 1500)
    trainer = Trainer(LanguageModelTask(config), config, tmp_path / "run", quiet=True)
    assert trainer.steps_per_epoch == 3 and trainer.total_steps == 1500  # not 10 epochs = 30
    assert trainer.plan == (
        "training 1500 steps at most (train.max_steps = 1500, train.epochs not set; 3 steps "
        "per epoch, or train.time_budget = 1500 s, or 3 evaluations without a better val_loss)"
    )


def test_a_test_text_is_scored_at_the_end_from_its_own_text(tmp_path, lm_config, make):
    train, test = tmp_path / "train.txt", tmp_path / "test.txt"
    train.write_text(VERSE * 40)
    test.write_text(VERSE * 4)
    raw = lm_config(str(train))
    raw["data"]["test"] = str(test)
    config, task = make(raw)
    result = fit(task, config, tmp_path / "run", quiet=True)
    assert task.has_split("test")
    assert result.metrics["test_loss"] == pytest.approx(task.evaluate(result.model, "test")["loss"])
    cut = int(len(VERSE * 40) * 0.9)  # validation: the tail of the training text
    assert "".join(task.vocab.decode(task.val_ids.tolist())) == (VERSE * 40)[cut:]


def test_a_repeated_verse_is_learned_and_continued(tmp_path):
    """The default optimizer, schedule and step budget (a smaller network, for time)."""
    text = tmp_path / "verse.txt"
    text.write_text(VERSE * 400)
    raw = {
        "task": "lm",
        "data": {"train": str(text), "bptt": 45},
        "model": {"hidden_size": 64, "num_layers": 1, "embedding_dim": 16},
        "train": {"max_steps": 300, "batch_size": 16},
    }
    config = config_from_dict(raw)
    task = LanguageModelTask(config)
    result = fit(task, config, tmp_path / "run", quiet=True)
    assert result.metrics["val_loss"] < 0.2  # each of the 32 rows starts mid-verse, from zero
    sample = task.generate(result.model, prime="Shall I", length=90, temperature=0.5)[0]
    assert sample.startswith("Shall I compare thee to a summer's day? Thou\nShall I compare")
