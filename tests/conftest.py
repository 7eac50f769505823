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


def missing_references(report: Path) -> list[str]:
    """The ``src``/``href`` targets of an HTML report that do not exist (data: URIs, web
    addresses and in-page anchors aside), relative to the report's folder."""
    import re

    text = Path(report).read_text(encoding="utf-8")
    targets = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text)
    skip = ("data:", "http://", "https://", "mailto:", "#")
    return [t for t in targets if not t.startswith(skip) and not (Path(report).parent / t).exists()]


@pytest.fixture
def report_ok():
    """report_ok(path): the report exists, and every file it references exists."""

    def check(report: Path) -> bool:
        assert Path(report).is_file(), report
        assert missing_references(report) == [], report
        return True

    return check
