from __future__ import annotations

import pytest

TINY_REGRESS = """
task = "regress"
[data]
window = 10
test_size = 365
[model]
hidden_size = 4
[train]
epochs = 1
max_steps = 20
batch_size = 10
optimizer = "adam"
lr = 0.01
log_every = 5
"""


@pytest.fixture
def tiny_config(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_REGRESS)
    return path
