from __future__ import annotations

import pytest

from rnnkit.config import config_from_dict
from rnnkit.tasks import get_task_class


def tiny_recall(**train) -> dict:
    """A seconds-long problem: recall the first of 4 inputs, 64 sequences, GRU of 8."""
    return {
        "task": "recall",
        "data": {"delay": 4, "noise": 0.1, "examples": 64},
        "model": {"cell": "gru", "hidden_size": 8},
        "train": {
            "epochs": 4,
            "batch_size": 16,
            "optimizer": "adam",
            "lr": 0.01,
            "log_every": 1,
            **train,
        },
    }


@pytest.fixture
def tiny():
    return tiny_recall


@pytest.fixture
def make():
    """make(raw) -> (config, task)."""

    def build(raw):
        config = config_from_dict(raw)
        return config, get_task_class(config.task)(config)

    return build
