"""Reading a run folder back: the one loader of every run, whatever door trained it.

``rnnkit evaluate``, ``rnnkit predict``, ``rnnkit report``, ``rnnkit export``, the Python API and
:meth:`rnnkit.forecast.Forecaster.load` all call :func:`load_run`: it reads ``config.toml``,
lets the task read its artifacts (vocabularies, scalers), builds the model and loads the
weights of a checkpoint. Loading never unpickles, and everything it reads is checked: a
missing, empty, truncated, corrupt or forged checkpoint or artifact, a checkpoint that does not
fit the config's model or holds non-finite weights, is a :class:`CheckpointError` naming the
file and what is wrong with it. It also sets torch's thread count for serving the model from
``train.num_threads`` (:func:`rnnkit.train.threads.inference_threads`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rnnkit.config import Config, load_config
from rnnkit.errors import CheckpointError, RunError
from rnnkit.nn.fast.memory import keep_freed_memory
from rnnkit.tasks import get_task_class
from rnnkit.train.checkpoint import carried_state, load_checkpoint, load_model_state
from rnnkit.train.run import RunDir
from rnnkit.train.threads import inference_threads


@dataclass
class LoadedRun:
    """A run rebuilt from its folder: the config, the task (artifacts read), the model with the
    checkpoint's weights in eval mode, the checkpoint's metadata and any carried state."""

    path: Path
    config: Config
    task: object
    model: object
    meta: dict
    carry: object = None  # the carried hidden state of a stateful task


def load_run(run_dir: str | Path, checkpoint: str = "best", setup: bool = False) -> LoadedRun:
    """Rebuild a finished run from its folder.

    The model gets the weights of ``checkpoints/<checkpoint>.safetensors`` (``best``, falling
    back to ``last``; stateful tasks always use ``last``, whose carried state continues the
    stream). With ``setup`` the task also re-reads its data (for reports).
    """
    run = RunDir(run_dir)
    if not run.config_toml.is_file():
        raise RunError(f"{run.path} is not a run folder (no config.toml)")
    config = load_config(run.config_toml)
    task = get_task_class(config.task)(config)
    task.load_artifacts(run.path)
    if setup:
        task.setup()
    if task.stateful:
        checkpoint = "last"
    path = run.checkpoints / f"{checkpoint}.safetensors"
    if not path.exists() and checkpoint == "best":
        path = run.last
    if not path.exists():
        raise CheckpointError(f"{run.path} has no checkpoint yet ({path} is missing)")
    if not path.is_file():
        raise CheckpointError(f"{path} is not a file; expected a safetensors checkpoint")
    tensors, meta = load_checkpoint(path)
    model = task.build_model().to(task.device)
    load_model_state(model, tensors, path)
    model.eval()
    if task.fixed_shapes:
        keep_freed_memory()  # no page faults for each batch's large tensors (glibc)
    inference_threads(config.train.num_threads, model)  # "auto": see rnnkit.train.threads
    task.on_load(meta)
    return LoadedRun(run.path, config, task, model, meta, carried_state(tensors, meta, task.device))


__all__ = ["LoadedRun", "load_run"]
