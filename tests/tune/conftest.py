"""A toy study: seed 000's sin -> cos stream, 40 SGD steps of an 8-unit RNN (a second per
trial). Measured once on a grid of 13 learning rates from 1e-3 to 10: the validation loss
is below 0.33 only for lr in [0.1, 0.46] (0.15 at 0.22), and 0.53 or more everywhere else
(it diverges from 2 up)."""

from __future__ import annotations

import pytest

TOY = """
task = "sincos"
name = "toy"

[data]
segments = 40
points = 10

[model]
hidden_size = 8

[train]
optimizer = "sgd"
lr = 0.01
eval_every = 10

[tune]
startup_trials = 4
"train.lr" = {float = [1e-3, 10.0], log = true}
"""


@pytest.fixture
def toy(tmp_path):
    """toy(extra_tune_lines="") -> the path of the toy config."""

    def write(extra: str = "", name: str = "toy.toml"):
        path = tmp_path / name
        path.write_text(TOY + extra)
        return path

    return write
