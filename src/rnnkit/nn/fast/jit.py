"""How the per-step loops run: as TorchScript (the default) or as plain eager Python.

The step loops are small functions over preallocated buffers, written in the subset of Python
that ``torch.jit.script`` accepts. TorchScript runs them without the Python interpreter
between tensor operations, which is what costs at small hidden sizes. Measured with
``benchmarks/fusion.py`` on the project's machine (AMD EPYC, torch 2.13 CPU): scripted loops
are about 5-10% faster than eager at H=64 and equal at H=256 (where the matrix products
dominate); ``torch.compile`` of one cell step, called per step, is slower at H=64 (its
per-call overhead is larger than the step's elementwise work) and within noise at H=256,
forward only, and compiling the whole loop unrolls every step: minutes to compile, again
for every new length, for no gain over TorchScript. This torch build has no LLVM, so
TorchScript does not fuse the elementwise operations on CPU either; what it removes is the
interpreter between them. If scripting fails (TorchScript missing or broken in a torch
build), the loop runs eagerly, with the same results.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import contextmanager

import torch

MODES = ("script", "eager")
_mode = "script"


def rows(x: torch.Tensor, b: int) -> torch.Tensor:
    """The first ``b`` rows of ``x``; ``x`` itself when it has ``b`` rows (no slicing op)."""
    return x if x.size(0) == b else x[:b]


def per_step(*tensors: torch.Tensor) -> list[list[torch.Tensor]]:
    """Each ``(L, ...)`` tensor as its list of ``L`` step views, made once outside the loop."""
    return [t.unbind(0) for t in tensors]


class Loop:
    """A step loop that runs scripted when the mode is ``"script"`` and scripting works."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn
        self._scripted: Callable | None = None
        self._script_failed = False

    def _script(self) -> Callable | None:
        if self._scripted is None and not self._script_failed:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._scripted = torch.jit.script(self.fn)
            except Exception:  # noqa: BLE001 - any scripting failure falls back to eager
                self._script_failed = True
        return self._scripted

    def __call__(self, *args):
        scripted = self._script() if _mode == "script" else None
        return (scripted or self.fn)(*args)


def get_mode() -> str:
    return _mode


@contextmanager
def mode(name: str):
    """Run the loops ``"script"``-ed or ``"eager"`` inside the block (benchmarks, tests)."""
    global _mode
    if name not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, received {name!r}")
    previous, _mode = _mode, name
    try:
        yield
    finally:
        _mode = previous
