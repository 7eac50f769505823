"""rnnkit: recurrent neural networks from scratch and native, with a training engine and CLI.

The Python doors, loaded on first use (``import rnnkit`` itself imports neither torch nor
matplotlib):

- :func:`rnnkit.fit` trains any task on files or Python objects into a run folder;
- :func:`rnnkit.load` reads a run folder back as a predictor for its task;
- :class:`rnnkit.Forecaster` forecasts many series in a few lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and IDEs
    from rnnkit.api.fitting import fit
    from rnnkit.api.forecaster import Forecaster
    from rnnkit.api.predictors import load

# public name -> (module, attribute), imported on first access (PEP 562)
_LAZY = {
    "__version__": ("rnnkit.version", "__version__"),
    "fit": ("rnnkit.api.fitting", "fit"),
    "load": ("rnnkit.api.predictors", "load"),
    "Forecaster": ("rnnkit.api.forecaster", "Forecaster"),
    "datasets": ("rnnkit.datasets", ""),  # the shipped data: rnnkit.datasets.path(name)
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'rnnkit' has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    value = importlib.import_module(module)
    value = getattr(value, attribute) if attribute else value
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))


__all__ = ["Forecaster", "__version__", "datasets", "fit", "load"]
