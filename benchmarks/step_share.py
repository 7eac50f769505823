"""Share of a training step spent inside the recurrent layers, M4 Hourly forecasters (issue 8).

A training step is what the engine (`rnnkit.train`) does for one batch of forecast windows:
gather the windows from the prepared tensors, forward, loss, backward, clip, Adam. The
recurrent layer's calls in that step are recorded (inputs and states); each is then replayed
alone, forward and backward with the same-shaped gradient, and timed. Share = recurrent time /
step time, in CPU seconds of this process (robust to other jobs on the machine), one thread,
summed over a number of batches after a warm-up. The IMDB figure is in the ``classify_imdb``
section (same method, by ``benchmarks/_classify.py``).

    python benchmarks/step_share.py [--batches 30] [--write]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from torch import nn

from _common import DATASETS, command_line, emit, machine, write_section
from rnnkit.forecast import ForecastData, Forecaster, ForecastModel, ForecastTrain, read

SETUPS = {
    "segrnn GRU d=256, L=168 (the M4 benchmark's model)": (
        ForecastModel(kind="segrnn", cell="gru", hidden_size=256, segment_length=24),
        168,
    ),
    "direct LSTM 64, L=96": (ForecastModel(kind="direct", cell="lstm", hidden_size=64), 96),
    "direct LSTM 256, L=168": (ForecastModel(kind="direct", cell="lstm", hidden_size=256), 168),
}


def replay(rnn: nn.Module, calls: list) -> float:
    """CPU seconds of the recorded calls of ``rnn``, forward and backward, alone."""
    start = time.process_time()
    for args in calls:
        x = args[0].detach().requires_grad_(True)
        rest = [a.detach() if isinstance(a, torch.Tensor) else a for a in args[1:]]
        out, _ = rnn(x, *rest)
        out.backward(torch.ones_like(out))
    return time.process_time() - start


def share(fc: Forecaster, batches: int, batch_size: int, backend: str) -> dict:
    prepared = fc.predictor.prepared
    model, flat, train = fc.model, prepared.flat, prepared.windows["train"]
    rnn = model.rnn
    rnn.backend = backend
    L, H = fc.config.data.input_length, fc.config.data.horizon
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    rng = np.random.default_rng(0)
    calls: list = []
    hook = rnn.register_forward_pre_hook(lambda m, args: calls.append(args))
    model.train()
    step_s = rnn_s = 0.0
    for b in range(batches + 3):
        rows = rng.choice(len(train), batch_size, replace=False)
        calls.clear()
        start = time.process_time()
        batch = flat.gather(train, rows, L, H)
        _, loss = model(batch["x"], batch["y"], batch["ids"])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        spent = time.process_time() - start
        alone = replay(rnn, list(calls))
        if b >= 3:  # warm-up
            step_s, rnn_s = step_s + spent, rnn_s + alone
    hook.remove()
    return {
        "step_cpu_ms": round(1e3 * step_s / batches, 2),
        "recurrent_cpu_ms": round(1e3 * rnn_s / batches, 2),
        "share": round(rnn_s / step_s, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train = read(DATASETS / "forecast" / "M4-Hourly-train.csv")
    rows = []
    for label, (net, L) in SETUPS.items():
        fc = Forecaster(
            net.kind,
            horizon=48,
            season=24,
            net=net,
            data=ForecastData(input_length=L, test_size=0),
            train=ForecastTrain(epochs=1, max_steps=1),
        ).fit(train)
        for backend in ("native", "scratch"):
            r = share(fc, args.batches, args.batch_size, backend)
            rows.append({"model": label, "backend": backend, **r})
            print(rows[-1], file=sys.stderr, flush=True)
    out = {"benchmark": "step_share", "command": command_line(), "machine": machine(),
           "batch_size": args.batch_size, "batches": args.batches, "results": rows}  # fmt: skip
    emit(out)
    if args.write:
        write_section("step_share", markdown(out))
    return 0


def markdown(out: dict) -> str:
    m = out["machine"]
    lines = [
        "## Share of the training step inside the recurrent layers: M4 Hourly (issue 8)",
        "",
        f"Command: `{out['command']}`. Machine: {m['cpu']}, torch {m['torch']}, 1 thread, "
        f"{m['date']} (commit {m['commit']}). Batches of {out['batch_size']} windows, CPU "
        f"time summed over {out['batches']} steps after 3 of warm-up; the recurrent layer's "
        "calls of each step replayed alone (forward + backward). IMDB: see the "
        "`classify_imdb` section.",
        "",
        "| model | backend | step ms (CPU) | recurrent ms | share |",
        "|---|---|---|---|---|",
    ]
    for r in out["results"]:
        lines.append(
            f"| {r['model']} | {r['backend']} | {r['step_cpu_ms']:.1f} | "
            f"{r['recurrent_cpu_ms']:.1f} | {r['share']:.0%} |"
        )
    lines += ["", "Target: >= 70% of the step inside the recurrent layers."]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
