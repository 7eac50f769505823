"""Export a trained run's model to TorchScript or ONNX, checked against eager PyTorch.

Each task says what to export through :meth:`~rnnkit.tasks.base.Task.export_spec`: a module
whose ``forward`` takes and returns plain tensors, example inputs, and the names and dynamic
axes of the inputs and outputs. The exported file is run once on the example and compared
with the eager model before it is kept.

Variable sequence lengths: with ``backend = "native"`` the recurrent layers are single
operators (``aten::lstm``, ONNX ``LSTM``) and any length works; the ``scratch`` backend is a
Python loop, which tracing unrolls, so its export only accepts the example's length.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from rnnkit.errors import RnnkitError
from rnnkit.io import atomic_write

FORMATS = ("torchscript", "onnx")


@dataclass
class ExportSpec:
    module: nn.Module  # forward(*tensors) -> tensor or tuple of tensors
    inputs: tuple[torch.Tensor, ...]  # example inputs
    input_names: list[str]
    output_names: list[str]
    dynamic_axes: dict[str, dict[int, str]] = field(default_factory=dict)


class FirstOutput(nn.Module):
    """``inner(**dict(zip(names, inputs)))[0]``: the first output of a task model that returns
    ``(prediction, loss)``, called with the named inputs only, for tracing and export."""

    def __init__(self, inner: nn.Module, names: tuple[str, ...]) -> None:
        super().__init__()
        self.inner, self.names = inner, names

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.inner(**dict(zip(self.names, inputs)))[0]


def _as_tuple(out) -> tuple[torch.Tensor, ...]:
    return out if isinstance(out, tuple) else (out,)


def export_torchscript(spec: ExportSpec, path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(spec.module, spec.inputs, check_trace=False)
    return atomic_write(path, lambda tmp: traced.save(str(tmp)))


def export_onnx(spec: ExportSpec, path: Path) -> Path:
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise RnnkitError("--format onnx needs the onnx package: pip install onnx") from None

    def write(tmp: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                spec.module,
                spec.inputs,
                str(tmp),
                dynamo=False,
                input_names=spec.input_names,
                output_names=spec.output_names,
                dynamic_axes=spec.dynamic_axes,
                opset_version=17,
            )

    return atomic_write(path, write)


def run_exported(path: Path, fmt: str, inputs: tuple[torch.Tensor, ...]):
    """Run an exported file on ``inputs``: TorchScript always, ONNX through onnxruntime
    (None when onnxruntime is not installed)."""
    if fmt == "torchscript":
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return _as_tuple(torch.jit.load(str(path))(*inputs))
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    outs = session.run(None, {n: t.numpy() for n, t in zip(names, inputs)})
    return tuple(torch.from_numpy(o) for o in outs)


def export_model(spec: ExportSpec, fmt: str, path: Path, atol: float = 1e-5) -> dict:
    """Write ``path`` in ``fmt`` and compare it with eager on the example inputs."""
    if fmt not in FORMATS:
        raise RnnkitError(f"--format must be one of {', '.join(FORMATS)}, received {fmt!r}")
    spec.module.eval()
    with torch.no_grad():
        expected = _as_tuple(spec.module(*spec.inputs))
    (export_torchscript if fmt == "torchscript" else export_onnx)(spec, path)
    got = run_exported(path, fmt, spec.inputs)
    if got is None:
        return {"path": str(path), "checked": False, "max_abs_diff": None}
    diff = max(float((g - e).abs().max()) for g, e in zip(got, expected))
    if diff > atol:
        path.unlink(missing_ok=True)
        raise RnnkitError(
            f"the exported {fmt} model differs from eager by {diff:.3g} "
            f"(> {atol}); nothing was written"
        )
    return {"path": str(path), "checked": True, "max_abs_diff": diff}
