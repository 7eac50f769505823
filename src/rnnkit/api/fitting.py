"""``rnnkit.fit``: train any task on files or Python objects, and get its predictor back.

>>> import rnnkit                                                         # doctest: +SKIP
>>> pairs = [("Dostoevsky", "Russian"), ("Nakamura", "Japanese"), ...]
>>> clf = rnnkit.fit("classify", train=pairs, out="runs/mine", train__epochs=5)
>>> clf.predict("Tolstoy")[0].label

It builds the config the CLI would read (``rnnkit init TASK`` shows one per task), trains it
with the same engine (:func:`rnnkit.api.runs.train_run`) into the same run folder with the
same report, so the same data and settings give the same numbers whichever door is used.
A split given as a Python object is recorded in ``config.toml`` as ``"<in-memory data>"``
(what each task takes is listed in :mod:`rnnkit.tasks.memory`).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from rnnkit.api.predictors import RunPredictor, load
from rnnkit.api.runs import train_run
from rnnkit.config import IN_MEMORY, SECTIONS, Config, config_from_dict, load_config
from rnnkit.errors import ConfigError
from rnnkit.tasks import get_task_class

SPLITS = ("train", "validation", "test")


def _base(task: str, config) -> dict[str, Any]:
    """The raw config to start from: ``config`` (a TOML path, a dict or a Config) or none."""
    if config is None:
        return {"task": task}
    if isinstance(config, (str, Path)):
        config = load_config(config)
    raw = config.to_dict() if isinstance(config, Config) else copy.deepcopy(dict(config))
    if raw.get("task", task) != task:
        raise ConfigError(f"config is for task {raw['task']!r}, but fit was given task {task!r}")
    return {**raw, "task": task}


def apply_keywords(raw: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``section__key=value`` keywords (and ``name=...``) set on a raw config dict."""
    for key, value in overrides.items():
        section, _, field = key.partition("__")
        if key == "name":
            raw["name"] = value
        elif section in SECTIONS and field:
            raw.setdefault(section, {})[field] = value
        else:
            raise ConfigError(
                f"fit() settings are SECTION__KEY=value with SECTION one of "
                f"{', '.join(SECTIONS)} (e.g. model__hidden_size=64), received {key}={value!r}"
            )
    return raw


def fit(
    task: str,
    train: Any = None,
    validation: Any = None,
    test: Any = None,
    *,
    out: str | Path | None = None,
    config: str | Path | dict | Config | None = None,
    overwrite: bool = False,
    quiet: bool = False,
    **settings: Any,
) -> RunPredictor:
    """Train ``task`` and return the predictor of its run folder (see :func:`rnnkit.load`).

    Args:
        task: ``classify``, ``tag``, ``lm``, ``seq2seq``, ``forecast``, ``regress``,
            ``sincos`` or ``recall``.
        train, validation, test: each a data path (``str``/``Path``, or ``"rnnkit:NAME"``
            for shipped data), a Python object (pairs, lists, DataFrames, Series: see
            :mod:`rnnkit.tasks.memory`), or None for the task's default (e.g. a seeded share
            of ``train`` for validation).
        out: the run folder (default ``runs/<name or timestamp>``); an existing run there is
            refused unless ``overwrite``.
        config: a config to start from: a TOML path, a dict shaped like one, or a Config.
        quiet: no progress bar and no printed summary.
        **settings: config values as ``SECTION__KEY=value`` (``model__hidden_size=64``,
            ``train__epochs=3``, ``data__level="word"``) and ``name="my-run"``; an unknown
            key is an error with a "did you mean".
    """
    raw = apply_keywords(_base(task, config), settings)
    memory = {}
    for split, data in zip(SPLITS, (train, validation, test)):
        if data is None:
            continue
        in_memory = not isinstance(data, (str, Path))
        raw.setdefault("data", {})[split] = IN_MEMORY if in_memory else str(data)
        if in_memory:
            memory[split] = data
    resolved = config_from_dict(raw)
    task_object = get_task_class(task)(resolved, memory=memory)
    result = train_run(resolved, out, task=task_object, overwrite=overwrite, quiet=quiet)
    return load(result.run_dir)


__all__ = ["apply_keywords", "fit"]
