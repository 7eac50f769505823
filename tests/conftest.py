"""Shared fixtures of the whole suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


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
