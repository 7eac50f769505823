"""Who may write a run folder, and how a run is replaced without ever being lost.

- :func:`run_lock`: a process that writes a run folder (training, resuming, rebuilding its
  report, exporting into it) holds ``RUN/.lock`` (:mod:`filelock`) for as long as it writes,
  and leaves its PID in ``RUN/.lock.pid``. A second writer is refused at once: a
  :class:`~rnnkit.errors.RunError` naming the folder and the PID. The operating system drops
  the lock when the process ends, even when it is killed; the next holder deletes the
  temporary files of writes that a killed holder left halfway.
- :func:`open_run`: the folder a new run (or a resume) writes into, locked. A folder that
  already holds a run is refused unless ``overwrite``; then the new run is built in a sibling
  temporary folder ``.NAME.new-PID/NAME`` and swapped in (two renames) only when everything
  inside the ``with`` block succeeded. Until then the old run is untouched, and it stays if
  the new one fails (the temporary folder is removed). A folder that holds files but no run
  is never used nor replaced. A new run stopped before its first checkpoint by the user's
  input (an :class:`~rnnkit.errors.RnnkitError`, such as a missing vectors file found while
  the model is built) or by an interrupt leaves nothing behind: what it wrote is removed (and
  the folder, when the run created it), so the same ``--out`` works once the input is fixed.
  Other failures keep what was written (the traceback's ``error.log``, a diverged curve).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from rnnkit.errors import RnnkitError, RunError
from rnnkit.io import atomic_write_text, fsync_folder, remove_partial_writes
from rnnkit.train.run import RunDir

LOCK, PID = ".lock", ".lock.pid"
LEFTOVERS = {LOCK, PID, "error.log"}  # what a folder that holds no run may contain
RUN_MARKS = ("config.toml", "checkpoints", "metrics.csv")  # any of them: a run lives here


def holds_run(path: Path) -> bool:
    """True when ``path`` holds a run (finished, failed or interrupted)."""
    return any((Path(path) / name).exists() for name in RUN_MARKS)


def _holder(path: Path) -> str:
    try:
        return f"process {int((path / PID).read_text().strip())}"
    except (OSError, ValueError):
        return "another process"


@contextmanager
def run_lock(path: str | Path) -> Iterator[Path]:
    """Hold the write lock of run folder ``path`` (created if missing) inside the block."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RunError(f"cannot create the run folder {path}: {err.strerror or err}") from None
    lock = FileLock(path / LOCK, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise RunError(
            f"{path} is being written by {_holder(path)}; try again when it has finished"
        ) from None
    except OSError as err:  # e.g. a read-only folder
        raise RunError(f"cannot lock the run folder {path}: {err.strerror or err}") from None
    try:
        atomic_write_text(path / PID, f"{os.getpid()}\n")
        for folder in (path, path / "checkpoints", path / "plots"):
            remove_partial_writes(folder)  # of a writer that was killed halfway
        yield path
    finally:
        (path / PID).unlink(missing_ok=True)
        lock.release()


@contextmanager
def open_run(
    path: str | Path | RunDir, *, resume: bool = False, overwrite: bool = False, lock: bool = True
) -> Iterator[RunDir]:
    """The :class:`RunDir` to write a run into, locked for the duration of the block.

    ``resume`` writes into ``path`` itself. A new run writes into ``path`` when it is missing
    or empty, into a replacement folder when ``path`` holds a run and ``overwrite`` is set
    (swapped in at the end of a successful block), and is refused otherwise. A
    :class:`RunDir` that an outer ``open_run`` yielded is passed through as it is. Without
    ``lock`` (the other ranks of a distributed run) nothing is checked nor locked.
    """
    if isinstance(path, RunDir) and path.held:
        yield path
        return
    target = Path(path.path if isinstance(path, RunDir) else path)
    if not lock:
        yield RunDir(target)
        return
    created = not target.exists()
    with run_lock(target):
        if resume or not holds_run(target):
            if not resume:
                _check_empty(target)
            try:
                yield RunDir(target, held=True)
            except BaseException as err:
                if not resume and _nothing_to_keep(target, err):
                    _remove_written(target, created)
                raise
            return
        if not overwrite:
            raise RunError(
                f"{target} already holds a run; continue it with --resume {target}, replace it "
                f"with --overwrite (overwrite=True in Python), or choose another --out"
            )
        with _replacement(target) as run:
            yield run


def _nothing_to_keep(target: Path, err: BaseException) -> bool:
    """True when a new run that failed with ``err`` left nothing worth keeping: nothing was
    written, or it stopped before its first checkpoint because of the user's input or an
    interrupt (it cannot be resumed, and its folder would refuse the next attempt)."""
    written = {p.name for p in target.iterdir()} - {LOCK, PID}
    if not written:
        return True
    if any((target / "checkpoints").glob("*.safetensors")):
        return False
    return isinstance(err, (RnnkitError, KeyboardInterrupt))


def _remove_written(target: Path, created: bool) -> None:
    """Remove what a failed new run wrote into ``target`` (the folder too if it made it)."""
    if created:
        shutil.rmtree(target, ignore_errors=True)
        return
    for entry in target.iterdir():
        if entry.name in (LOCK, PID):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _check_empty(path: Path) -> None:
    others = sorted(p.name for p in path.iterdir() if p.name not in LEFTOVERS)
    if others:
        more = f" and {len(others) - 1} more" if len(others) > 1 else ""
        raise RunError(
            f"{path} holds files but no run ({others[0]}{more}); choose an empty or new folder"
        )
    (path / "error.log").unlink(missing_ok=True)  # of an attempt that failed before starting


@contextmanager
def _replacement(target: Path) -> Iterator[RunDir]:
    """A locked temporary folder for the run that replaces ``target``; swapped in at the end
    of a successful block, removed when the block fails."""
    _remove_abandoned(target)
    root = target.with_name(f".{target.name}.new-{os.getpid()}")
    shutil.rmtree(root, ignore_errors=True)
    staging = root / target.name  # the same name, so that the run never sees the difference
    try:
        with run_lock(staging):
            yield RunDir(staging, held=True, replaces=target)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    swap_in(staging, target)
    shutil.rmtree(root, ignore_errors=True)


def swap_in(new: Path, target: Path) -> None:
    """Put folder ``new`` in place of folder ``target``: rename ``target`` aside, rename
    ``new`` in, then delete the old one. If the second rename fails the old folder is put
    back and ``new`` is kept where it is. (A power cut between the two renames loses nothing
    either: the old run is then in ``.NAME.old-PID``, the new one in ``new``.)"""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    try:
        os.rename(target, old)
        try:
            os.rename(new, target)
        except OSError:
            os.rename(old, target)
            raise
    except OSError as err:
        raise RunError(
            f"cannot replace {target} with the new run ({err.strerror or err}); the new run "
            f"is in {new}"
        ) from None
    fsync_folder(target.parent)
    shutil.rmtree(old, ignore_errors=True)


def _remove_abandoned(target: Path) -> None:
    """Remove the replacement folders of killed processes (their lock is free)."""
    prefix = f".{target.name}.new-"
    for root in [p for p in target.parent.iterdir() if p.name.startswith(prefix)]:
        staging = root / target.name
        try:
            with run_lock(staging):
                shutil.rmtree(root, ignore_errors=True)
        except RunError:  # another process is building a replacement right now
            continue


__all__ = ["open_run", "run_lock", "holds_run", "swap_in", "LOCK", "PID"]
