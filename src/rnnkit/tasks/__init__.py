"""Tasks: what a run learns. ``task = "..."`` in a config picks one of these.

Each task is a :class:`~rnnkit.tasks.base.Task` subclass in its own module, loaded on demand.
Importing this package registers every task's config sections with :mod:`rnnkit.config`
(which never imports the tasks itself).
"""

from __future__ import annotations

import importlib

from rnnkit.config import TaskSections, register_task, task_sections

# name -> "module:Class"
TASKS: dict[str, str] = {
    "sincos": "rnnkit.tasks.sincos:SinCosTask",
    "regress": "rnnkit.tasks.regress:WindowRegressionTask",
    "recall": "rnnkit.tasks.recall:RecallTask",
    "forecast": "rnnkit.tasks.forecast:ForecastTask",
    "classify": "rnnkit.tasks.classify:ClassifyTask",
    "tag": "rnnkit.tasks.tag:TagTask",
    "lm": "rnnkit.tasks.lm:LanguageModelTask",
    "seq2seq": "rnnkit.tasks.seq2seq:Seq2SeqTask",
}


def _load(name: str):
    module, cls = TASKS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def _sections(name: str) -> TaskSections:
    cls = _load(name)
    return TaskSections(cls.data_config, cls.model_config, cls.train_config)


for _name in TASKS:
    register_task(_name, lambda name=_name: _sections(name))


def get_task_class(name: str):
    """The Task class registered as ``name``; a ConfigError lists the known tasks."""
    task_sections(name)  # the one check of the name, with its "did you mean"
    return _load(name)


def __getattr__(name: str):  # load_run lives in rnnkit.tasks.runs; imported lazily
    if name in ("load_run", "LoadedRun"):
        from rnnkit.tasks import runs

        return getattr(runs, name)
    raise AttributeError(f"module 'rnnkit.tasks' has no attribute {name!r}")


__all__ = ["TASKS", "get_task_class", "load_run", "LoadedRun"]
