"""Inference latency of a one-layer LSTM forecaster (issue 8): one series, one core.

The network is the ``direct`` forecaster of :mod:`rnnkit.forecast` with an LSTM of 64 units
reading L = 96 values and emitting H = 48 (RevIN, Linear head), trained briefly on a
synthetic hourly series so that the scaler and the weights are real. Each path is timed as
the median time of one call over batches of calls, repeated, on one thread:

- ``network (native)``: ``model(x)`` under ``torch.inference_mode`` (``torch.nn.LSTM``);
- ``network (scratch)``: the same weights in rnnkit's scratch layer (the fast path);
- ``TorchScript``: the run exported by ``rnnkit.export`` (``torch.jit.trace``), then loaded;
- ``ONNX Runtime``: the same exported to ONNX, one intra-op thread (when installed);
- ``forecast_array``: ``Forecaster.forecast_array()``, the numbers of ``predict`` without the
  DataFrame (last window taken from the prepared tensors, inverse scaling included);
- ``predict``: ``Forecaster.predict()``, the long DataFrame with timestamps;
- ``stateful update``: ``Forecaster("stateful").update({id: [one value]})`` advances the
  carried state over the new point only and returns the next forecast frame; its ``_advance``
  row is the network step alone.

    python benchmarks/latency.py [--repeats 7] [--calls 200] [--write]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from _common import emit, machine, write_section

L, H, HIDDEN = 96, 48, 64


def per_call(fn, calls: int, repeats: int) -> dict:
    """Median/min/max over ``repeats`` of the mean time of one call in a batch of ``calls``."""
    for _ in range(max(3, calls // 10)):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) * 1e3 / calls)
    return {
        "median_ms": round(statistics.median(times), 4),
        "min_ms": round(min(times), 4),
        "max_ms": round(max(times), 4),
    }


def series(n: int = 2000) -> pd.DataFrame:
    t = np.arange(n)
    rng = np.random.default_rng(0)
    values = 10 + np.sin(2 * np.pi * t / 24) + 0.3 * np.sin(2 * np.pi * t / 168)
    values += 0.1 * rng.standard_normal(n)
    stamps = pd.date_range("2024-01-01", periods=n, freq="h")
    return pd.DataFrame({"id": "s0", "timestamp": stamps, "value": values})


def forecaster(kind: str):
    from rnnkit.forecast import Forecaster, ForecastTrain

    fc = Forecaster(
        kind,
        horizon=H,
        input_length=L,
        cell="lstm",
        hidden_size=HIDDEN,
        train=ForecastTrain(epochs=1, max_steps=30, batch_size=64),
    )
    return fc.fit(series())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    torch.set_num_threads(1)

    from rnnkit.export import export_onnx, export_torchscript

    fc = forecaster("direct")
    model = fc.model.eval()
    x = fc.predictor.prepared.last_windows(None)["x"][:1].clone()  # (1, L), scaled
    rows: dict[str, dict] = {}

    def network():
        with torch.inference_mode():
            return model(x)[0]

    rows["network (native torch.nn.LSTM)"] = per_call(network, args.calls, args.repeats)
    reference = network()

    layer = model.rnn
    layer.backend = "scratch"
    scratch_out = network()
    rows["network (rnnkit scratch backend)"] = per_call(network, args.calls, args.repeats)
    layer.backend = "native"
    scratch_diff = float((scratch_out - reference).abs().max())

    from rnnkit.export import ExportSpec, FirstOutput

    axes = {"x": {0: "N"}, "y": {0: "N"}}
    spec = ExportSpec(FirstOutput(model, ("x",)), (x,), ["x"], ["y"], axes)
    diffs = {"scratch": scratch_diff}
    with tempfile.TemporaryDirectory() as tmp:
        ts = torch.jit.load(str(export_torchscript(spec, Path(tmp) / "m.pt"))).eval()

        def torchscript():
            with torch.inference_mode():
                return ts(x)

        rows["TorchScript (rnnkit export)"] = per_call(torchscript, args.calls, args.repeats)
        diffs["torchscript"] = float((torchscript() - reference).abs().max())
        try:
            import onnxruntime as ort

            path = export_onnx(spec, Path(tmp) / "m.onnx")
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            feed = {"x": x.numpy()}

            def onnx():
                return session.run(None, feed)[0]

            rows["ONNX Runtime (rnnkit export)"] = per_call(onnx, args.calls, args.repeats)
            diffs["onnx"] = float(np.abs(onnx() - reference.numpy()).max())
        except ImportError:
            pass

    rows["Forecaster.forecast_array() (numbers, data units)"] = per_call(
        fc.forecast_array, args.calls, args.repeats
    )
    rows["Forecaster.predict() (DataFrame with timestamps)"] = per_call(
        fc.predict, max(20, args.calls // 4), args.repeats
    )

    st = forecaster("stateful")
    ids = torch.tensor([0])
    one = torch.zeros(1, 1)

    def advance():
        st.predictor.advance(one, st.predictor.stream_state[0], ids, None)

    rows["stateful: network step over one new value"] = per_call(advance, args.calls, args.repeats)
    value = float(series()["value"].iloc[-1])
    rows["stateful: Forecaster.update({id: [value]}) (DataFrame)"] = per_call(
        lambda: st.update({"s0": [value]}), max(20, args.calls // 4), args.repeats
    )

    info = machine()
    result = {
        "benchmark": "latency",
        "machine": info,
        "model": {"kind": "direct", "cell": "lstm", "L": L, "H": H, "hidden_size": HIDDEN},
        "calls": args.calls,
        "repeats": args.repeats,
        "max_abs_diff_vs_eager": diffs,
        "load_average": round(os.getloadavg()[0], 1),
        "results": rows,
    }
    emit(result)
    if args.write:
        write_section("latency", markdown(result, " ".join(["python"] + sys.argv)))
    return 0


def markdown(result: dict, command: str) -> str:
    m = result["machine"]
    lines = [
        "## Inference latency: one-layer LSTM forecaster, one series, one thread (issue 8)",
        "",
        f"Command: `{command}`. Machine: {m['cpu']}, torch {m['torch']}, 1 thread, "
        f"{m['date']} (commit {m['commit']}). Model: `direct` forecaster, LSTM "
        f"H_out={HIDDEN}, L={L}, H={H}; each figure is the mean time of one call over "
        f"{result['calls']} calls (fewer for the DataFrame rows), median (min-max) over "
        f"{result['repeats']} repetitions; load average {result['load_average']} on the "
        f"{result['machine']['cores']} cores.",
        "",
        "| path | ms per call |",
        "|---|---|",
    ]
    for name, r in result["results"].items():
        lines.append(f"| {name} | {r['median_ms']:.3f} ({r['min_ms']:.3f}-{r['max_ms']:.3f}) |")
    d = result["max_abs_diff_vs_eager"]
    lines += [
        "",
        "Largest difference from the eager native forecast: "
        + ", ".join(f"{k} {v:.1e}" for k, v in d.items())
        + ".",
        "",
        "Target: median <= 1 ms for the network on one core.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
