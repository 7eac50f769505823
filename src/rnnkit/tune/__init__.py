"""``rnnkit tune``: hyperparameter search with Optuna over any config key of any task.

Each trial is an ordinary run (``STUDY/trials/NNNN/`` with its resolved ``config.toml``,
metrics and report) trained by the engine; the engine hands each validation evaluation to
the trial, so Optuna's median or Hyperband pruner can stop a bad one (its ``metrics.json``
then says ``stopped_by = "pruned"``). The study lives in a journal file in the study folder
(several worker processes may share it), or in a database that workers on several machines
join. Optuna is an optional extra: ``pip install 'rnnkit[tune]'``.

Modules: :mod:`~rnnkit.tune.space` (the ``[tune]`` section), :mod:`~rnnkit.tune.storage`,
:mod:`~rnnkit.tune.worker` (the trial loop), :mod:`~rnnkit.tune.results` and
:mod:`~rnnkit.tune.study` (start, join, show).
"""

from rnnkit.tune.study import Launch, join, show, start

__all__ = ["Launch", "join", "show", "start"]
