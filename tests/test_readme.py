"""Every shell and Python block of README.md runs, in order, in one scratch folder.

A block right after ``<!-- readme-test: skip (the reason) -->`` is skipped (it installs
something or needs data that is not in the package). Training is capped at a few steps
and generated data sets are shrunk (``Trainer`` is patched, in this process for the Python
blocks and in the ``rnnkit`` on the PATH of the shell blocks), so the README's commands run
as written, only shorter. TOML blocks
must hold a valid config.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from rnnkit.config import config_from_dict, tomllib

README = Path(__file__).resolve().parents[1] / "README.md"
MAX_STEPS = 12
SKIP = re.compile(r"<!-- readme-test: skip \((.+)\) -->")

# the patch: every training stops after MAX_STEPS optimizer steps (or sooner)
TINY_DATA = {"examples": 512, "validation_examples": 64, "test_examples": 64}  # generated sets

CAP = f"""
from rnnkit.train.loop import Trainer

_original = Trainer.__init__


def capped(self, task, config, *args, **kwargs):
    config.train.max_steps = min(config.train.max_steps or {MAX_STEPS}, {MAX_STEPS})
    for key, size in {TINY_DATA!r}.items():
        if hasattr(config.data, key):
            setattr(config.data, key, min(getattr(config.data, key), size))
    _original(self, task, config, *args, **kwargs)
"""

SHIM = f"""#!{sys.executable}
import sys

if sys.argv[1:2] in (["train"], ["forecast"], ["demo"]):  # the commands that train
{textwrap.indent(CAP, "    ")}
    Trainer.__init__ = capped
from rnnkit.cli.main import main

sys.exit(main())
"""


@dataclass
class Block:
    language: str
    code: str
    line: int  # of the opening fence
    skip: str  # the reason, or ""


def blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text, with their skip markers."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        start, body = i, []
        i += 1
        while not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        before = [line for line in lines[:start] if line.strip()][-1:]
        reason = SKIP.match(before[0]) if before else None
        out.append(
            Block(
                fence.group(1), "\n".join(body) + "\n", start + 1, reason.group(1) if reason else ""
            )
        )
        i += 1
    return out


ALL = blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_runnable_blocks_and_every_skip_says_why():
    runnable = [b for b in ALL if not b.skip and b.language in ("bash", "python")]
    assert len(runnable) >= 8
    assert all(b.language in ("bash", "python", "toml", "") for b in ALL)
    unmarked = [b.line for b in ALL if b.language == "" and not b.skip]
    assert unmarked == []  # a block without a language is output: it must be marked
    tour = README.read_text().split("## A five-minute tour")[1].split("\n## ")[0]
    assert "readme-test: skip" not in tour  # the tour runs, all of it


@pytest.mark.slow
def test_every_shell_and_python_block_runs(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "rnnkit").write_text(SHIM)
    (bin_dir / "rnnkit").chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.update(OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    from rnnkit.train.loop import Trainer

    patch: dict = {}
    exec(CAP, patch)
    monkeypatch.setattr(Trainer, "__init__", patch["capped"])  # the same cap in this process
    monkeypatch.chdir(work)
    for block in ALL:
        if block.skip:
            continue
        where = f"README.md, block at line {block.line}"
        if block.language == "bash":
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", block.code],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, f"{where}:\n{done.stdout}\n{done.stderr}"
        elif block.language == "python":
            exec(compile(block.code, where, "exec"), {"__name__": "__readme__"})
        elif block.language == "toml":
            config_from_dict(tomllib.loads(block.code))
