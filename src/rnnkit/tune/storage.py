"""Where a study lives: Optuna is imported here, and a storage is opened or refused.

A study folder holds ``study.toml`` (the storage and the study name, enough for
``rnnkit tune --join STUDY_DIR`` and ``--show``), by default the study itself in
``study.journal`` (Optuna's :class:`~optuna.storages.JournalStorage` on a file: safe for
several processes of this machine, nothing to start), the trials' run folders under
``trials/`` and the results. ``--storage`` takes a journal file path, or a database URL
(``sqlite:///study.db``, ``postgresql://user@host/db``, ``mysql://...``) that workers on
several machines can share. The run config, the space and the settings are stored in the
study itself (user attribute ``rnnkit``), so a worker joining by URL needs nothing else.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rnnkit.errors import ConfigError, RunError
from rnnkit.io import atomic_write_text

JOURNAL = "study.journal"
STUDY_TOML = "study.toml"
PAYLOAD = "rnnkit"  # the study's user attribute holding config, space and settings
INSTALL = "Optuna is not installed; rnnkit tune needs it: pip install 'rnnkit[tune]'"


def require_optuna():
    """The ``optuna`` module, or a RunError saying in one line how to install it."""
    try:
        import optuna
    except ImportError:
        raise RunError(INSTALL) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def is_url(storage: str) -> bool:
    return "://" in storage


def open_storage(storage: str, study_dir: Path | None):
    """An Optuna storage for ``storage`` (a URL, a journal file path, or "" for the study
    folder's ``study.journal``); a ConfigError naming it when it cannot be reached."""
    optuna = require_optuna()
    if not storage:
        study_dir.mkdir(parents=True, exist_ok=True)
        storage = str(study_dir / JOURNAL)
    try:
        if is_url(storage):
            return optuna.storages.RDBStorage(storage)
        if not Path(storage).parent.is_dir():
            raise FileNotFoundError(f"no folder {Path(storage).parent}")
        journal = optuna.storages.journal
        return optuna.storages.JournalStorage(journal.JournalFileBackend(storage))
    except Exception as err:  # any driver's failure to connect: the user's storage
        why = " ".join(str(err).split("\n")[0].split())[:200]
        raise ConfigError(f"--storage {storage}: cannot open the study storage: {why}") from None


def create_study(storage, name: str, direction: str, payload: dict[str, Any]):
    """Create the study ``name`` (or load it, when it exists with the same config and space:
    a resume); the payload is stored with it."""
    optuna = require_optuna()
    study = optuna.create_study(
        study_name=name, storage=storage, direction=direction, load_if_exists=True
    )
    stored = study.user_attrs.get(PAYLOAD)
    if stored is None:
        study.set_user_attr(PAYLOAD, payload)
        return study
    for key in ("config", "space", "metric", "direction"):
        if stored.get(key) != payload.get(key):
            raise ConfigError(
                f"study {name!r} exists with another {key} (stored {stored.get(key)!r}, "
                f"received {payload.get(key)!r}): give another --study name or --out folder"
            )
    if stored.get("trials") != payload["trials"]:  # a resume may ask for more trials
        study.set_user_attr(PAYLOAD, {**stored, "trials": payload["trials"]})
    return study


def load_study(storage, name: str):
    """The existing study ``name`` in ``storage`` with its payload; ``name`` "" picks the only
    study of the storage."""
    optuna = require_optuna()
    names = [s.study_name for s in optuna.get_all_study_summaries(storage)]
    if not name:
        if len(names) != 1:
            listed = ", ".join(names) or "none"
            raise ConfigError(f"name the study with --study: the storage holds {listed}")
        name = names[0]
    if name not in names:
        listed = ", ".join(names) or "none"
        raise ConfigError(f"--study {name!r} is not in the storage (it holds {listed})")
    study = optuna.load_study(study_name=name, storage=storage)
    if PAYLOAD not in study.user_attrs:
        raise ConfigError(f"study {name!r} was not made by rnnkit tune (no config stored)")
    return study


def write_study_toml(study_dir: Path, storage: str, name: str) -> None:
    lines = [
        "# rnnkit tune: the study of this folder (rnnkit tune --join / --show this folder)",
        f'storage = {_quoted(storage)}  # "" = {JOURNAL} in this folder',
        f"study = {_quoted(name)}",
    ]
    atomic_write_text(study_dir / STUDY_TOML, "\n".join(lines) + "\n")


def read_study_toml(study_dir: Path) -> tuple[str, str]:
    """(storage, study name) of a study folder."""
    path = study_dir / STUDY_TOML
    if not path.is_file():
        raise ConfigError(f"{study_dir} is not a study folder (no {STUDY_TOML})")
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return str(data["storage"]), str(data["study"])
    except (tomllib.TOMLDecodeError, KeyError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path} is not a study file ({err})") from None


def locate(target: str, name: str) -> tuple[str, str, Path | None]:
    """``--join``/``--show`` TARGET (a study folder or a storage URL) as (storage, name,
    study folder or None)."""
    if is_url(target):
        return target, name, None
    storage, stored_name = read_study_toml(Path(target))
    return storage, name or stored_name, Path(target)


def _quoted(text: str) -> str:
    import tomli_w

    return tomli_w.dumps({"v": text}).split("=", 1)[1].strip()


__all__ = [
    "INSTALL",
    "create_study",
    "load_study",
    "locate",
    "open_storage",
    "read_study_toml",
    "require_optuna",
    "write_study_toml",
]
