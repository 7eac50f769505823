"""The ``[tune]`` section: what to search and how to score a trial.

In a config file, keys of ``[tune]`` that name a config value (``"SECTION.KEY"``, quoted since
they hold a dot) are the search space; the other keys are :class:`TuneConfig` settings::

    [tune]
    metric = "val_loss"                                  # "" = the task's
    "model.hidden_size" = {int = [32, 512], log = true}
    "train.lr" = {float = [1e-4, 1e-2], log = true}
    "model.cell" = {choice = ["lstm", "gru"]}

``rnnkit tune --space KEY=SPEC`` adds or replaces one entry (SPEC is the same inline table).
A run (``rnnkit train``) of the same file ignores ``[tune]``. Each spec is checked before any
trial starts: the key must be a config key of the task, the range must not be empty, and both
ends (or every choice) must make a valid config.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
from dataclasses import dataclass
from typing import Any, ClassVar

from rnnkit.config import (
    NON_NEGATIVE,
    POSITIVE,
    SECTIONS,
    Range,
    _check_section,
    build_section,
    config_from_dict,
    parse_value,
    task_sections,
)
from rnnkit.errors import ConfigError

SPEC_FORMS = (
    "{int = [LOW, HIGH]}, {float = [LOW, HIGH]} (either with log = true) or {choice = [...]}"
)


@dataclass(frozen=True)
class Dimension:
    """One searched config value: ``kind`` int | float | choice over ``values`` (the two ends
    of a range, or the choices)."""

    key: str  # SECTION.KEY
    kind: str  # int | float | choice
    values: tuple  # (low, high) or the choices
    log: bool = False  # sample a range on a log scale

    def suggest(self, trial) -> Any:
        """The value of this dimension for an Optuna ``trial``."""
        if self.kind == "int":
            return trial.suggest_int(self.key, *self.values, log=self.log)
        if self.kind == "float":
            return trial.suggest_float(self.key, *self.values, log=self.log)
        return trial.suggest_categorical(self.key, list(self.values))

    def describe(self) -> dict:
        """The spec as written in ``[tune]`` (stored with the study)."""
        spec: dict[str, Any] = {self.kind: list(self.values)}
        return {**spec, "log": True} if self.log else spec


@dataclass
class TuneConfig:
    """How a study scores and prunes trials (the non-space keys of ``[tune]``)."""

    metric: str = ""  # validation metric to optimise ("" = the task's, e.g. val_loss)
    direction: str = ""  # minimize | maximize ("" = the metric's own direction)
    pruner: str = "median"  # median | hyperband | none: stops trials worse than the others
    startup_trials: int = 5  # trials finished before the pruner and TPE use the history
    warmup_evaluations: int = 1  # evaluations of a trial before the pruner may stop it
    seed: int = 0  # the sampler's seed (each trial trains with the config's train.seed)
    stale_after: float = 3600.0  # seconds without an evaluation after which a RUNNING trial
    # of another machine counts as dead and is retried (this machine's: as soon as its
    # process is gone)

    choices: ClassVar[dict[str, tuple]] = {
        "direction": ("", "minimize", "maximize"),
        "pruner": ("median", "hyperband", "none"),
    }
    ranges: ClassVar[dict[str, Range]] = {
        "startup_trials": NON_NEGATIVE,
        "warmup_evaluations": NON_NEGATIVE,
        "seed": NON_NEGATIVE,
        "stale_after": POSITIVE,
    }


def split_tune(raw: dict[str, Any]) -> tuple[dict, dict, dict]:
    """(the run's raw config without ``[tune]``, the settings, the raw space entries)."""
    base = copy.deepcopy({k: v for k, v in raw.items() if k != "tune"})
    section = raw.get("tune", {})
    if not isinstance(section, dict):
        raise ConfigError(f"tune must be a table [tune], received {section!r}")
    space = {k: v for k, v in section.items() if "." in k}
    settings = {k: v for k, v in section.items() if "." not in k}
    return base, settings, space


def tune_config(settings: dict[str, Any]) -> TuneConfig:
    """The settings of ``[tune]``, checked like any config section."""
    config = build_section(TuneConfig, settings, "tune")
    _check_section("tune", config)
    return config


def parse_space_flags(flags: list[str]) -> dict[str, Any]:
    """``--space KEY=SPEC`` flags as raw space entries."""
    entries = {}
    for item in flags:
        key, sep, text = item.partition("=")
        if not sep or "." not in key:
            raise ConfigError(
                f"--space expects SECTION.KEY=SPEC (e.g. --space 'train.lr={{float = [1e-4, "
                f"1e-2], log = true}}'), received {item!r}"
            )
        entries[key.strip()] = parse_value(text)
    return entries


def build_space(base: dict[str, Any], entries: dict[str, Any]) -> list[Dimension]:
    """The checked dimensions of the raw ``entries`` for the run config ``base``."""
    if not entries:
        raise ConfigError(
            'the tune space is empty: add keys to [tune] (e.g. "train.lr" = {float = [1e-4, '
            "1e-2], log = true}) or --space flags"
        )
    sections = task_sections(base.get("task"))
    dims = []
    for key, spec in entries.items():
        _check_key(key, sections)
        dim = _dimension(key, spec)
        for value in dim.values:  # both ends of a range, every choice
            _check_value(base, key, value)
        dims.append(dim)
    return dims


def _check_key(key: str, sections) -> None:
    section, _, name = key.partition(".")
    known = [f"{s}.{f.name}" for s in SECTIONS for f in dataclasses.fields(getattr(sections, s))]
    if section not in SECTIONS or key not in known:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"unknown key {key} in the tune space{hint}")


def _dimension(key: str, spec: Any) -> Dimension:
    where = f"tune space {key}"
    kinds = [k for k in ("int", "float", "choice") if isinstance(spec, dict) and k in spec]
    extra = set(spec) - {"int", "float", "choice", "log"} if isinstance(spec, dict) else set()
    if len(kinds) != 1 or extra:
        raise ConfigError(f"{where} must be {SPEC_FORMS}, received {spec!r}")
    kind, values, log = kinds[0], spec[kinds[0]], spec.get("log", False)
    if not isinstance(log, bool) or (log and kind == "choice"):
        raise ConfigError(f"{where}: log must be true or false on a range, received {spec!r}")
    if kind == "choice":
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}: choice must be a non-empty list, received {values!r}")
        return Dimension(key, kind, tuple(values))
    number = int if kind == "int" else (int, float)
    if (
        not isinstance(values, list)
        or len(values) != 2
        or not all(isinstance(v, number) and not isinstance(v, bool) for v in values)
    ):
        raise ConfigError(f"{where}: {kind} must be [LOW, HIGH] of {kind}s, received {values!r}")
    low, high = values
    if low >= high:
        raise ConfigError(f"{where}: the range [{low}, {high}] is empty (LOW must be below HIGH)")
    if log and low <= 0:
        raise ConfigError(f"{where}: log = true needs LOW > 0, received [{low}, {high}]")
    return Dimension(key, kind, (float(low), float(high)) if kind == "float" else (low, high), log)


def _check_value(base: dict[str, Any], key: str, value: Any) -> None:
    """The config ``base`` with ``key = value`` must be valid (a type or range error of the
    config is prefixed with the space key)."""
    try:
        config_from_dict(with_values(base, {key: value}))
    except ConfigError as err:
        raise ConfigError(f"tune space {key}: {err}") from None


def with_values(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of the raw config ``base`` with ``SECTION.KEY`` values set."""
    raw = copy.deepcopy(base)
    for key, value in values.items():
        section, _, name = key.partition(".")
        raw.setdefault(section, {})[name] = value
    return raw


__all__ = [
    "Dimension",
    "TuneConfig",
    "build_space",
    "parse_space_flags",
    "split_tune",
    "tune_config",
    "with_values",
]
