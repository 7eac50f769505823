from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def run_cli(*args, stdin: str | None = None, cwd: Path | None = None, env=None):
    """Run ``python -m rnnkit.cli.main ARGS`` in a subprocess; return the completed process."""
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rnnkit.cli.main", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=300,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def tiny_config(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_REGRESS)
    return path
