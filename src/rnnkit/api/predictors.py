"""``rnnkit.load(run)``: a trained run folder as a predictor for its task, with typed results.

>>> import rnnkit                                                         # doctest: +SKIP
>>> clf = rnnkit.load("runs/names-lstm")            # a task classify run
>>> clf.predict(["Dostoevsky"])[0].label
'Russian'

===========  ====================================  ============================================
task         predictor                             what it does
===========  ====================================  ============================================
classify     :class:`ClassifyPredictor`            ``predict(texts)`` -> label and
                                                   probabilities; ``predict_frame(texts)``
tag          :class:`TagPredictor`                 ``predict(sentences)`` -> tokens, tags,
                                                   entity spans with scores
lm           :class:`LMPredictor`                  ``generate(prime=..., ...)`` -> strings;
                                                   ``score(texts)`` -> nats per character
seq2seq      :class:`Seq2SeqPredictor`             ``translate(sources, beam=...)`` -> strings
                                                   (with attention on request)
forecast     :class:`ForecastRunPredictor`         ``predict(data, horizon=...)`` -> DataFrame
regress      :class:`RegressPredictor`             ``predict(series, horizon=...)`` -> DataFrame
others       :class:`RunPredictor`                 ``evaluate``, and the model itself
===========  ====================================  ============================================

Every predictor also has ``evaluate(data=None, split="test")`` (the metrics of
``rnnkit evaluate``), ``predict_lines(lines)`` (the text ``rnnkit predict`` writes), and
``path``, ``config``, ``model`` (in eval mode), ``task`` and ``metrics`` (``metrics.json``).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import torch

from rnnkit.errors import RunError
from rnnkit.tasks.runs import LoadedRun, load_run


class RunPredictor:
    """What every task's predictor has: the loaded run, evaluation and the line interface."""

    def __init__(self, loaded: LoadedRun) -> None:
        self.loaded = loaded
        self.path: Path = loaded.path
        self.config = loaded.config
        self.task = loaded.task
        self.model = loaded.model
        self._setup_done = False

    @property
    def metrics(self) -> dict:
        """The run's final metrics (``metrics.json``; empty if the run never finished)."""
        path = self.path / "metrics.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def evaluate(self, data: str | Path | None = None, split: str = "test") -> dict:
        """Metrics on a data file in the task's format, or on one of the run's own splits
        (``test``, else ``validation``; the run's data is read again)."""
        with torch.no_grad():
            if data is not None:
                return self.task.evaluate_path(self.model, str(data))
            if not self._setup_done:
                self.task.setup()
                self._setup_done = True
            split = split if self.task.has_split(split) else "validation"
            if not self.task.has_split(split):
                raise RunError(f"task {self.task.name!r} has no {split} split; pass data")
            return self.task.evaluate(self.model, split, state=self.loaded.carry)

    def predict_lines(self, lines: list[str]) -> list[str]:
        """One output per input line, as ``rnnkit predict`` writes them."""
        raise RunError(f"task {self.task.name!r} has no line predictor")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, task={self.task.name!r})"


# task -> "module:Class" of its predictor (loaded on demand)
PREDICTORS: dict[str, str] = {
    "classify": "rnnkit.api.predict_text:ClassifyPredictor",
    "tag": "rnnkit.api.predict_text:TagPredictor",
    "lm": "rnnkit.api.predict_generate:LMPredictor",
    "seq2seq": "rnnkit.api.predict_generate:Seq2SeqPredictor",
    "forecast": "rnnkit.api.predict_series:ForecastRunPredictor",
    "regress": "rnnkit.api.predict_series:RegressPredictor",
}


def predictor_class(task: str) -> type[RunPredictor]:
    """The predictor class of a task (:class:`RunPredictor` for tasks without their own)."""
    if task not in PREDICTORS:
        return RunPredictor
    module, name = PREDICTORS[task].split(":")
    return getattr(importlib.import_module(module), name)


def load(run_dir: str | Path, checkpoint: str = "best") -> RunPredictor:
    """The predictor of a run folder, whatever trained it (``rnnkit train``, ``rnnkit.fit``,
    a demo). ``checkpoint``: ``best`` (the default; ``last`` when there is no best) or
    ``last``. A missing folder or checkpoint is a :class:`~rnnkit.errors.RunError` or
    :class:`~rnnkit.errors.CheckpointError` naming it."""
    loaded = load_run(run_dir, checkpoint=checkpoint)
    return predictor_class(loaded.config.task)(loaded)


__all__ = ["PREDICTORS", "RunPredictor", "load", "predictor_class"]
