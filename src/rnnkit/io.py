"""Durable file writes: every file rnnkit writes goes through :func:`atomic_write_bytes`.

A write goes to a temporary file in the same folder, is flushed and ``fsync``-ed, then renamed
over the target (an atomic step on POSIX), and the folder itself is ``fsync``-ed so that the
rename survives a power cut. A reader therefore sees the old file or the new one, never half
of either, and a process killed mid-write leaves the previous version in place.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from rnnkit.errors import RnnkitError


def fsync_folder(folder: Path) -> None:
    """``fsync`` a folder so that a rename inside it is durable (a no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Let ``write(tmp)`` fill a temporary sibling of ``path``, make it durable, rename it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:  # a folder that cannot be written: the user's to fix
        raise RnnkitError(f"cannot write {path}: {err.strerror or err}") from None
    finally:
        tmp.unlink(missing_ok=True)
    fsync_folder(path.parent)
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and durably."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and durably."""
    return atomic_write_bytes(path, text.encode("utf-8"))


__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "fsync_folder"]
