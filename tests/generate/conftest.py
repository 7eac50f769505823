from __future__ import annotations

import pytest

from rnnkit.config import config_from_dict
from rnnkit.tasks import get_task_class

TEXT = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
    "All:\nSpeak, speak.\n\nFirst Citizen:\nYou are all resolved rather to die than to famish?\n"
) * 4

NAMES = {
    "Russian": ["Ivanov", "Petrov", "Sidorov", "Smirnov", "Popov", "Volkov"],
    "Italian": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano"],
    "Japanese": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito"],
}


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


@pytest.fixture
def names_folder(tmp_path):
    folder = tmp_path / "names"
    folder.mkdir()
    for language, names in NAMES.items():
        (folder / f"{language}.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    return folder


def lm_raw(train: str, fmt: str = "text", **model) -> dict:
    """A seconds-long lm config: an LSTM of 16 units."""
    return {
        "task": "lm",
        "data": {
            "format": fmt,
            "train": train,
            "bptt": 16,
            "eval_rows": 4,
            "validation_fraction": 0.1,
        },
        "model": {
            "hidden_size": 16,
            "num_layers": 1,
            "embedding_dim": 8,
            "dropout": 0.0,
            **model,
        },
        "train": {  # the defaults before issue 16, which these tests were written for
            "epochs": 2,
            "max_steps": 0,
            "batch_size": 4,
            "lr": 0.01,
            "log_every": 5,
            "schedule": "constant",
            "warmup_steps": 0,
            "early_stopping": 0,
            "time_budget": 0.0,
        },
    }


@pytest.fixture
def lm_config():
    return lm_raw


@pytest.fixture
def make():
    """make(raw) -> (config, task)."""

    def build(raw):
        config = config_from_dict(raw)
        return config, get_task_class(config.task)(config)

    return build
