"""rnnkit.io: every file rnnkit writes goes through one atomic, fsynced write."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from rnnkit.errors import RnnkitError
from rnnkit.io import atomic_write, atomic_write_text, remove_partial_writes

SRC = Path(__file__).resolve().parents[1] / "src" / "rnnkit"
WRITERS = {"write_text", "write_bytes", "savefig", "to_csv", "save", "dump", "copyfile", "copy2"}


def _writes(path: Path) -> list[str]:
    """Calls in ``path`` that write a file by themselves: ``open(..., "w")``, ``x.write_text``,
    ``fig.savefig(path)``, ``frame.to_csv(path)``... (a call writing into a buffer, or with no
    argument, as ``to_csv(index=False)``, returns text and is fine)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        modes = [a.value for a in node.args[1:2] if isinstance(a, ast.Constant)]
        modes += [
            k.value.value
            for k in node.keywords
            if k.arg == "mode"
            if isinstance(k.value, ast.Constant)
        ]
        modes += [
            "w?" for k in node.keywords if k.arg == "mode" if not isinstance(k.value, ast.Constant)
        ]
        if name == "open" and any(isinstance(m, str) and set(m) & set("wax") for m in modes):
            found.append(f"{path.name}:{node.lineno} open(..., {modes[0]!r})")
        first = node.args[0] if node.args else None
        into_buffer = isinstance(first, ast.Name) and first.id in {"buf", "tmp"}
        if name in WRITERS and name != "save" and first is not None and not into_buffer:
            found.append(f"{path.name}:{node.lineno} {name}()")
    return found


def test_every_write_in_src_goes_through_rnnkit_io():
    found = [w for p in sorted(SRC.rglob("*.py")) if p.name != "io.py" for w in _writes(p)]
    assert found == []


def test_the_write_check_sees_direct_writes(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text(
        "open(p, 'w')\nopen(p, mode='a')\np.write_text('x')\nfig.savefig(p)\n"
        "frame.to_csv(p)\nopen(p)\nframe.to_csv(index=False)\nfig.savefig(buf)\n"
    )
    assert _writes(module) == [
        "bad.py:1 open(..., 'w')",
        "bad.py:2 open(..., 'a')",
        "bad.py:3 write_text()",
        "bad.py:4 savefig()",
        "bad.py:5 to_csv()",
    ]


def test_an_atomic_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "a" / "metrics.json"
    atomic_write_text(path, "old")

    def half_then_crash(tmp: Path) -> None:
        tmp.write_text("ne")
        raise KeyboardInterrupt  # killed halfway through the write

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, half_then_crash)
    assert path.read_text() == "old" and os.listdir(path.parent) == ["metrics.json"]


def test_a_write_that_cannot_happen_names_the_path(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(RnnkitError) as err:
        atomic_write_text(tmp_path / "file" / "x.json", "{}")
    assert str(err.value) == f"cannot write {tmp_path / 'file' / 'x.json'}: File exists"


def test_partial_writes_of_killed_writers_are_removed(tmp_path):
    for name in (".last.safetensors.4242.tmp", ".metrics.csv.17.tmp", "keep.tmp", ".keep"):
        (tmp_path / name).write_text("")
    removed = remove_partial_writes(tmp_path)
    assert sorted(p.name for p in removed) == [".last.safetensors.4242.tmp", ".metrics.csv.17.tmp"]
    assert sorted(os.listdir(tmp_path)) == [".keep", "keep.tmp"]
