"""Task ``tag``'s contextual string embeddings: the character language models named by
``model.contextual``, read from their run folders and carried in the tagger's own run folder.

Training reads each LM run with :func:`~rnnkit.tasks.runs.load_run` (its config, vocabulary
and the weights of its last checkpoint; a backward model is an ``lm`` run trained with
``data.reverse = true``). The tag run then keeps what it needs to rebuild them without the
LM folders: ``contextual/lm<k>/`` holds each LM's ``config.toml`` and artifacts (its
vocabulary), ``contextual.json`` where each came from, and the tagger's checkpoints hold the
LMs' weights (as trained when fine-tuned). Moving or deleting the LM run folders afterwards
does not affect ``rnnkit evaluate`` or ``rnnkit predict`` on the tag run.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from rnnkit.config import Config, load_config, to_toml
from rnnkit.errors import ConfigError, RunError
from rnnkit.io import atomic_write_text, read_json
from rnnkit.models.contextual import ContextualEmbeddings, Reading

FOLDER = "contextual"  # under the tag run: contextual/lm0, contextual/lm1, ...
SOURCES = "contextual.json"


@dataclass
class LanguageModel:
    """One character LM: its run's config, its task (vocabulary read) and its model."""

    config: Config
    task: object
    model: nn.Module
    source: str  # the run folder it was read from at training time

    @property
    def reading(self) -> Reading:
        data = self.config.data
        return Reading(self.task.vocab, getattr(data, "reverse", False), data.lower)

    def describe(self) -> str:
        direction = "backward" if self.reading.reverse else "forward"
        return f"{self.source} ({direction}, {self.model.rnn.out_features} values)"


def check_language_model(config: Config, key: str, path: str) -> None:
    """Refuse a run that is not a character LM of one text, naming the key and the run."""
    if config.task != "lm":
        raise ConfigError(
            f"{key} must be a run of task lm (a character language model), received a run of "
            f"task {config.task!r}: {path}"
        )
    if config.data.format != "text":
        raise ConfigError(
            f"{key} must be a language model of one text (data.format = text), received "
            f"data.format = {config.data.format!r}: {path}"
        )
    level = getattr(config.data, "level", "char")
    if level != "char":
        raise ConfigError(
            f"{key} must be a character language model (data.level = char), received "
            f"data.level = {level!r}: {path}"
        )


def load_language_models(paths: list[str]) -> list[LanguageModel]:
    """The LM runs of ``model.contextual``, each checked and read with its weights."""
    from rnnkit.tasks.runs import load_run

    models = []
    for k, path in enumerate(paths):
        key, folder = f"model.contextual[{k}]", Path(path).expanduser()
        if not (folder / "config.toml").is_file():
            raise ConfigError(
                f"{key} must name a language-model run folder, received {path!r}: "
                f"{'it has no config.toml' if folder.is_dir() else 'no such folder'}"
            )
        check_language_model(load_config(folder / "config.toml"), key, path)
        run = load_run(folder)
        models.append(LanguageModel(run.config, run.task, run.model, str(folder.resolve())))
    print("tag: contextual embeddings from " + ", ".join(m.describe() for m in models), flush=True)
    return models


def save_language_models(models: list[LanguageModel], run_dir: Path) -> None:
    """``contextual/lm<k>/`` (config and artifacts of each LM) and ``contextual.json``."""
    sources = []
    for k, lm in enumerate(models):
        folder = run_dir / FOLDER / f"lm{k}"
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / "config.toml", to_toml(lm.config))
        lm.task.save_artifacts(folder)
        sources.append(
            {"folder": f"{FOLDER}/lm{k}", "source": lm.source, "reverse": lm.reading.reverse}
        )
    text = json.dumps({"language_models": sources}, indent=2) + "\n"
    atomic_write_text(run_dir / SOURCES, text)


def read_language_models(run_dir: Path, count: int) -> list[LanguageModel]:
    """The LMs of a finished tag run, rebuilt from its own folder (weights: the checkpoint's)."""
    from rnnkit.tasks import get_task_class

    entries = read_json(run_dir / SOURCES, "contextual language models", {"language_models": list})[
        "language_models"
    ]
    if len(entries) != count:
        raise RunError(
            f"{run_dir / SOURCES} lists {len(entries)} language model(s), but model.contextual "
            f"names {count}"
        )
    models = []
    for k, entry in enumerate(entries):
        folder = run_dir / FOLDER / f"lm{k}"
        if not (folder / "config.toml").is_file():
            raise RunError(f"{run_dir} is incomplete: {folder / 'config.toml'} is missing")
        config = load_config(folder / "config.toml")
        task = get_task_class(config.task)(config)
        task.load_artifacts(folder)
        source = entry.get("source", str(folder)) if isinstance(entry, dict) else str(folder)
        models.append(LanguageModel(config, task, task.build_model(), source))
    return models


def contextual_embeddings(
    models: list[LanguageModel], finetune: bool, context: str = "sentence", precision: str = "fp32"
) -> ContextualEmbeddings:
    """The tagger's module over copies of the LMs (a second model built by the same task,
    as by ``rnnkit lr-find``, does not share their weights)."""
    lms = [copy.deepcopy(m.model) for m in models]
    readings = [m.reading for m in models]
    return ContextualEmbeddings(lms, readings, finetune, context, precision)


__all__ = [
    "LanguageModel",
    "check_language_model",
    "contextual_embeddings",
    "load_language_models",
    "read_language_models",
    "save_language_models",
]
