"""Tasks: what a run learns. ``task = "..."`` in a config picks one of these.

Each task is a :class:`~rnnkit.tasks.base.Task` subclass in its own module, loaded on demand.
"""

from __future__ import annotations

import difflib
import importlib

from rnnkit.errors import ConfigError

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


def get_task_class(name: str):
    """The Task class registered as ``name``; a ConfigError lists the known tasks."""
    if name not in TASKS:
        close = difflib.get_close_matches(name, list(TASKS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"task must be one of {', '.join(TASKS)}, received {name!r}{hint}")
    module, cls = TASKS[name].split(":")
    return getattr(importlib.import_module(module), cls)
