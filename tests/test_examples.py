"""Every config under examples/ loads, validates and builds its task (no data is read)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnkit.config import load_config, validate
from rnnkit.tasks import get_task_class

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.toml"))


def test_there_are_examples_for_every_task_family():
    tasks = {load_config(p).task for p in EXAMPLES}
    assert tasks >= {"sincos", "regress", "forecast", "classify", "tag", "lm", "seq2seq"}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_config_is_valid(path):
    config = load_config(path)
    validate(config)
    get_task_class(config.task)(config)  # the task's own checks of the config
