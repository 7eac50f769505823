"""The seed experiments' figures: sincos over seeds 0-9, and the fc-vs-rnn, gradients and
elman-vs-jordan demos as printed.

    python benchmarks/seed_experiments.py [--seeds 10] [--write]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import tempfile
import time
from pathlib import Path

from _common import command_line, emit, machine, write_section
from rnnkit.cli.main import main as rnnkit
from rnnkit.demos.sincos import bound_met
from rnnkit.train import read_metrics


def run_demo(args: list[str]) -> tuple[list[str], float]:
    buf = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(buf):
        assert rnnkit(["demo", *args]) == 0
    return buf.getvalue().strip().splitlines(), time.perf_counter() - start


def sincos_seeds(n: int, tmp: Path) -> list[dict]:
    rows = []
    for seed in range(n):
        out = tmp / f"sincos-{seed}"
        _, seconds = run_demo(["sincos", "--seed", str(seed), "--out", str(out), "--quiet"])
        ok, worst = bound_met(out)
        steps, losses = read_metrics(out / "metrics.csv").series("train_loss")
        at = dict(zip(steps, losses))
        rows.append(
            {
                "seed": seed,
                "meets_bound": ok,
                "worst_from_300": worst,
                "loss_step_101": at[101],
                "loss_step_201": at[201],
                "loss_step_1000": at[1000],
                "seconds": round(seconds, 2),
            }
        )
    return rows


def to_markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        "## Seed experiments (issue 3)",
        "",
        f"Command: `{result['command']}`. Machine: {m['cpu']}, torch {m['torch']}, "
        f"{m['date']} (commit {m['commit']}).",
        "",
        "### sincos (seed 000): RNN 32, SGD 0.01, 1000 steps, state carried",
        "",
        "Bound: every training loss from step 300 to 1000 at most 1e-3. The seed article "
        "printed 0.119 at step 100 and about 4.5e-4 from step 200 on (one random draw).",
        "",
        "| seed | loss at 101 | at 201 | at 1000 | worst from 300 | bound met | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["sincos"]:
        lines.append(
            f"| {r['seed']} | {r['loss_step_101']:.3g} | {r['loss_step_201']:.3g} | "
            f"{r['loss_step_1000']:.3g} | {r['worst_from_300']:.3g} | "
            f"{'yes' if r['meets_bound'] else 'no'} | {r['seconds']} |"
        )
    met = sum(r["meets_bound"] for r in result["sincos"])
    lines += [
        "",
        f"{met} of {len(result['sincos'])} seeds meet the bound; median worst loss "
        f"{result['sincos_median_worst']:.3g}. `rnnkit demo sincos` uses seed 2.",
        "",
    ]
    for name in ("fc-vs-rnn", "gradients", "elman-vs-jordan"):
        lines += [f"### `rnnkit demo {name}` ({result[name]['seconds']:.0f} s)", "", "```"]
        lines += [x for x in result[name]["stdout"] if not x.startswith("report:")]
        lines += ["```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        result = {
            "benchmark": "seed_experiments",
            "command": command_line(),
            "machine": machine(),
            "sincos": sincos_seeds(args.seeds, tmp),
        }
        result["sincos_median_worst"] = statistics.median(
            r["worst_from_300"] for r in result["sincos"]
        )
        for name in ("fc-vs-rnn", "gradients", "elman-vs-jordan"):
            out, seconds = run_demo([name, "--out", str(tmp / name)])
            result[name] = {"stdout": out, "seconds": round(seconds, 1)}
    emit(result)
    if args.write:
        write_section("seed_experiments", to_markdown(result))


if __name__ == "__main__":
    main()
