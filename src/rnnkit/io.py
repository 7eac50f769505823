"""Durable file writes and checked JSON reads.

Every file rnnkit writes goes through :func:`atomic_write` (TensorBoard's event files
excepted). A write goes to a temporary file in the same folder, is flushed and ``fsync``-ed,
then renamed over the target (an atomic step on POSIX), and the folder itself is
``fsync``-ed so that the rename survives a power cut. A reader therefore sees the old file or
the new one, never half of either, and a process killed mid-write leaves the previous
version in place.

Every JSON file of a run folder (vocabularies, labels, scalers, forecast history, final
metrics) is read back with :func:`read_json`, and interpreted inside :func:`malformed`: a
missing, empty, truncated, non-UTF-8 or ill-shaped file is a
:class:`~rnnkit.errors.CheckpointError` naming the file and what is wrong with it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rnnkit.errors import CheckpointError, RnnkitError

_PARTIAL = re.compile(r"\..+\.\d+\.tmp")  # the temporary file of atomic_write: .NAME.PID.tmp


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
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # its folder is not there: nothing was written
            pass
    fsync_folder(path.parent)
    return path


def remove_partial_writes(folder: str | Path) -> list[Path]:
    """Delete the temporary files that writes killed halfway left in ``folder`` (only call it
    while no other process writes there, e.g. holding a run folder's lock); return them."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    partial = [p for p in folder.iterdir() if _PARTIAL.fullmatch(p.name) and p.is_file()]
    for path in partial:
        path.unlink(missing_ok=True)
    return partial


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and durably."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and durably."""
    return atomic_write_bytes(path, text.encode("utf-8"))


_KINDS = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}


def _kind(kind: type | tuple[type, ...]) -> str:
    """'an object', 'a list', ... for a JSON type (the first of a tuple)."""
    kind = kind[0] if isinstance(kind, tuple) else kind
    return _KINDS.get(kind, "null" if kind is type(None) else "a number")


def check_shape(data: Any, shape: type | dict[str, Any], path: str | Path, what: str) -> None:
    """Raise a :class:`CheckpointError` naming ``path`` unless ``data`` has ``shape`` (a JSON
    type, or a mapping ``key -> type`` of the keys an object must have)."""
    top = dict if isinstance(shape, dict) else shape
    if not isinstance(data, top):
        raise CheckpointError(
            f"{path} holds {_kind(type(data))}; expected the {what} as {_kind(top)}"
        )
    for key, kind in shape.items() if isinstance(shape, dict) else ():
        if key not in data:
            raise CheckpointError(f"{path} is not a valid {what}: the key {key!r} is missing")
        if not isinstance(data[key], kind):
            raise CheckpointError(
                f"{path} is not a valid {what}: {key!r} is {_kind(type(data[key]))}, "
                f"expected {_kind(kind)}"
            )


def read_json(path: str | Path, what: str, shape: type | dict[str, Any] = dict) -> Any:
    """The JSON document in ``path`` (``what`` says what it holds, e.g. "vocabulary").

    ``shape`` is the type of the top-level value (``dict`` or ``list``), or for an object a
    mapping ``key -> type`` of the keys it must have. Anything else is a
    :class:`CheckpointError` naming the file: missing, empty, not UTF-8, not JSON (with
    line and column), or of another shape.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} is missing; the run needs it ({what})")
    raw = path.read_bytes()
    if not raw.strip():
        raise CheckpointError(f"{path} is empty; expected the {what} as JSON")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise CheckpointError(
            f"{path} is not UTF-8 text (byte {raw[err.start]:#04x} at offset {err.start}); "
            f"expected the {what} as JSON"
        ) from None
    except json.JSONDecodeError as err:
        raise CheckpointError(
            f"{path} is not valid JSON: {err.msg} (line {err.lineno}, column {err.colno}); "
            f"expected the {what}"
        ) from None
    except RecursionError:
        raise CheckpointError(f"{path} is nested too deeply; expected the {what}") from None
    check_shape(data, shape, path, what)
    return data


@contextmanager
def malformed(path: str | Path, what: str) -> Iterator[None]:
    """Turn an error met while interpreting the contents of ``path`` (a key that is missing
    deeper down, a value of the wrong type) into one :class:`CheckpointError` naming it."""
    try:
        yield
    except CheckpointError:
        raise
    except RnnkitError as err:  # e.g. a DataError about values read from the file
        raise CheckpointError(f"{path} is not a valid {what}: {err}") from None
    except KeyError as err:
        raise CheckpointError(
            f"{path} is not a valid {what}: the key {err.args[0]!r} is missing"
        ) from None
    except (TypeError, ValueError, IndexError, AttributeError) as err:
        detail = " ".join(str(err).split()) or type(err).__name__
        raise CheckpointError(f"{path} is not a valid {what}: {detail}") from None


__all__ = [
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "fsync_folder",
    "remove_partial_writes",
    "read_json",
    "check_shape",
    "malformed",
]
