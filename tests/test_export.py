"""Exported TorchScript and ONNX models equal eager PyTorch."""

from __future__ import annotations

import json

import pytest
import torch

from rnnkit.cli.main import main
from rnnkit.config import config_from_dict
from rnnkit.export import export_model, run_exported
from rnnkit.tasks import get_task_class


@pytest.fixture(scope="module")
def regress_run(tmp_path_factory):
    from rnnkit.train import fit

    raw = {
        "task": "regress",
        "model": {"cell": "lstm", "hidden_size": 8},
        "train": {"epochs": 1, "max_steps": 5, "batch_size": 16},
    }
    config = config_from_dict(raw)
    out = tmp_path_factory.mktemp("export") / "run"
    fit(get_task_class("regress")(config), config, out, quiet=True, report=False)
    return out


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_export_equals_eager_for_any_length(regress_run, fmt, capsys):
    pytest.importorskip("onnx") if fmt == "onnx" else None
    out = regress_run / f"m.{fmt}"
    assert main(["export", str(regress_run), "--format", fmt, "--out", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["path"] == str(out)
    from rnnkit.train.run import load_run

    loaded = load_run(regress_run)
    spec = loaded.task.export_spec(loaded.model)
    x = torch.randn(3, 17, 1)  # another batch size and length than the example
    got = run_exported(out, fmt, (x,))
    if got is None:
        pytest.skip("onnxruntime is not installed")
    with torch.no_grad():
        torch.testing.assert_close(got[0], spec.module(x), atol=1e-5, rtol=1e-5)


def test_unknown_format_and_unsupported_task(tmp_path):
    from rnnkit.errors import RnnkitError
    from rnnkit.export import ExportSpec

    spec = ExportSpec(torch.nn.Identity(), (torch.zeros(1),), ["x"], ["y"])
    with pytest.raises(RnnkitError, match="^--format must be one of torchscript, onnx"):
        export_model(spec, "tflite", tmp_path / "m")
    task = get_task_class("sincos")(config_from_dict({"task": "sincos"}))
    with pytest.raises(NotImplementedError, match="task 'sincos' does not support export"):
        task.export_spec(None)
