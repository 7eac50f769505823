"""The shape of the source tree: small files and functions, and imports that point one way.

The layers contract lives in ``pyproject.toml`` (``[tool.importlinter]``) and ``make test``
runs ``lint-imports``; the tests here prove that the contract fails on a wrong arrow.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "rnnkit"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_no_file_over_400_lines_and_no_function_over_60():
    too_long = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(SRC)
        if len(text.splitlines()) > 400:
            too_long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > 60:
                    too_long.append(f"{name}:{node.lineno} {node.name}() {length} lines")
    assert too_long == []


def lint_copy(tmp_path: Path, edit: tuple[str, str] | None = None):
    """Run lint-imports with the project's contract on a copy of the package, after adding
    the import line ``edit[1]`` to the module file ``edit[0]``."""
    shutil.copytree(SRC, tmp_path / "src" / "rnnkit", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    if edit is not None:
        module = tmp_path / "src" / "rnnkit" / edit[0]
        module.write_text(module.read_text(encoding="utf-8") + f"\n{edit[1]}\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is a dev dependency")
def test_the_layers_contract_holds_and_catches_wrong_arrows(tmp_path):
    clean = lint_copy(tmp_path / "clean")
    assert clean.returncode == 0, clean.stdout
    wrong = {
        "train": ("train/loop.py", "import rnnkit.tasks.base", "rnnkit.train", "rnnkit.tasks"),
        "report": ("train/run.py", "import rnnkit.report", "rnnkit.train", "rnnkit.report"),
        "data": ("data/text.py", "import rnnkit.train.checkpoint", "rnnkit.data", "rnnkit.train"),
        "config": ("config.py", "import rnnkit.tasks", "rnnkit.config", "rnnkit.tasks"),
    }
    for name, (module, line, low, high) in wrong.items():
        out = lint_copy(tmp_path / name, (module, line))
        assert out.returncode != 0, name
        assert f"{low} is not allowed to import {high}" in out.stdout, out.stdout
