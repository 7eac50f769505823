"""Exported TorchScript and ONNX models equal eager PyTorch."""

from __future__ import annotations

import json

import pytest
import torch

from rnnkit.cli.main import main
from rnnkit.config import config_from_dict
from rnnkit.export import export_model, run_exported
from rnnkit.tasks import get_task_class


def trained(raw: dict, out):
    """A short training run of ``raw`` in the folder ``out``."""
    from rnnkit.train import fit

    config = config_from_dict(raw)
    fit(get_task_class(raw["task"])(config), config, out, quiet=True)
    return out


@pytest.fixture(scope="module")
def regress_run(tmp_path_factory):
    raw = {
        "task": "regress",
        "model": {"cell": "lstm", "hidden_size": 8},
        "train": {"epochs": 1, "max_steps": 5, "batch_size": 16},
    }
    return trained(raw, tmp_path_factory.mktemp("export") / "run")


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_export_equals_eager_for_any_length(regress_run, fmt, capsys):
    pytest.importorskip("onnx") if fmt == "onnx" else None
    out = regress_run / f"m.{fmt}"
    assert main(["export", str(regress_run), "--format", fmt, "--out", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["path"] == str(out)
    from rnnkit.tasks.runs import load_run

    loaded = load_run(regress_run)
    spec = loaded.task.export_spec(loaded.model)
    x = torch.randn(3, 17, 1)  # another batch size and length than the example
    got = run_exported(out, fmt, (x,))
    if got is None:
        pytest.skip("onnxruntime is not installed")
    with torch.no_grad():
        torch.testing.assert_close(got[0], spec.module(x), atol=1e-5, rtol=1e-5)


def test_unknown_format_and_unsupported_task(tmp_path):
    from rnnkit.errors import RnnkitError, RunError
    from rnnkit.export import ExportSpec

    spec = ExportSpec(torch.nn.Identity(), (torch.zeros(1),), ["x"], ["y"])
    with pytest.raises(RnnkitError, match="^--format must be one of torchscript, onnx"):
        export_model(spec, "tflite", tmp_path / "m")
    task = get_task_class("sincos")(config_from_dict({"task": "sincos"}))
    with pytest.raises(RunError, match="task 'sincos' does not support export"):
        task.export_spec(None)


@pytest.fixture(scope="module", params=["direct", "segrnn", "autoregressive"])
def forecast_run(tmp_path_factory, request):
    raw = {
        "task": "forecast",
        "data": {"horizon": 12, "input_length": 24},
        "model": {"kind": request.param, "cell": "lstm", "hidden_size": 8, "id_embedding": 2},
        "train": {"epochs": 1, "max_steps": 3, "batch_size": 16},
    }
    return trained(raw, tmp_path_factory.mktemp("export") / "forecast")


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_forecaster_export_equals_eager(forecast_run, fmt, capsys):
    pytest.importorskip("onnx") if fmt == "onnx" else None
    out = forecast_run / f"m.{fmt}"
    assert main(["export", str(forecast_run), "--format", fmt, "--out", str(out)]) == 0
    from rnnkit.tasks.runs import load_run

    loaded = load_run(forecast_run)
    spec = loaded.task.export_spec(loaded.model)
    x, ids = torch.randn(5, 24), torch.zeros(5, dtype=torch.long)  # another batch size
    got = run_exported(out, fmt, (x, ids))
    if got is None:
        pytest.skip("onnxruntime is not installed")
    with torch.no_grad():
        want = spec.module(x, ids)
    assert want.shape == (5, 12, 1)
    torch.testing.assert_close(got[0], want, atol=1e-5, rtol=1e-5)


def test_stateful_forecaster_export_is_refused(tmp_path):
    from rnnkit.errors import RnnkitError

    config = config_from_dict(
        {"task": "forecast", "data": {"horizon": 12, "input_length": 24},
         "model": {"kind": "stateful"}}
    )  # fmt: skip
    task = get_task_class("forecast")(config)
    task.setup()
    with pytest.raises(RnnkitError, match="^export of the stateful forecaster is not supported"):
        task.export_spec(None)


@pytest.fixture(scope="module", params=[1, 2])
def classify_run(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("export-classify")
    rows = ["great film,pos", "awful plot,neg", "loved the story very much,pos", "boring,neg"]
    (folder / "train.csv").write_text("text,label\n" + "\n".join(rows * 6) + "\n")
    raw = {
        "task": "classify",
        "data": {"format": "csv", "train": str(folder / "train.csv"), "ngrams": request.param},
        "model": {"cell": "lstm", "backend": "scratch", "hidden_size": 6, "embedding_dim": 6,
                  "bidirectional": True, "pooling": "max+mean"},
        "train": {"epochs": 1, "max_steps": 2, "batch_size": 8},
    }  # fmt: skip
    return trained(raw, folder / "run")


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_classifier_export_equals_eager_on_other_lengths(classify_run, fmt):
    pytest.importorskip("onnx") if fmt == "onnx" else None
    out = classify_run / f"m.{fmt}"
    assert main(["export", str(classify_run), "--format", fmt, "--out", str(out)]) == 0
    from rnnkit.tasks.runs import load_run

    loaded = load_run(classify_run)
    x, lengths = loaded.task.encoder.encode(
        ["loved it", "a boring and awful plot with a great actor", "great"]
    ).batch(torch.arange(3))
    got = run_exported(out, fmt, (x, lengths))
    if got is None:
        pytest.skip("onnxruntime is not installed")
    with torch.no_grad():
        want, _ = loaded.model.eval()(x, lengths)  # the scratch backend of the run
    assert want.shape == (3, 2)
    torch.testing.assert_close(got[0], want, atol=1e-5, rtol=1e-5)
