"""The recurrent cells side by side on three tasks, with the same time budget (issue 18).

For each cell (``gru``, ``lstm``, ``mingru``, ``minlstm``, ``slstm``) and each data set, one
run through the command line a user has, changing only ``model.cell`` (and nothing else):

- ``m4``: M4 Hourly (414 series, H = 48), ``rnnkit forecast train --model direct`` (a
  recurrent encoder over the last L = 168 hours, a linear head to the 48 values), log scale;
  test sMAPE and MASE.
- ``shakespeare``: Tiny Shakespeare, the first 90% to train on and the last 10% to score,
  the ``lm`` task's defaults (two layers of 512, bf16 where the CPU has it); test nats/char.
- ``imdb``: IMDB train.tsv / test.tsv, the ``classify`` task's defaults (bidirectional,
  word level); test accuracy.

Every cell has the same training time budget on a data set (seconds: M4 120, Shakespeare
240, IMDB 180; ``--budget-scale`` multiplies them) and one thread; the schedule is fitted to
the budget. Minutes are wall clock for the whole run (reading, training, scoring).

    python benchmarks/cells_accuracy.py [--only m4 shakespeare imdb] [--cells gru lstm ...]
        [--budget-scale 1] [--runs DIR] [--reuse] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import DATASETS, command_line, emit, machine, write_section  # noqa: E402

CELLS = ("gru", "lstm", "mingru", "minlstm", "slstm")
SETS = ("m4", "shakespeare", "imdb")
TEXT = DATASETS / "text"
FORECAST = DATASETS / "forecast"
BUDGETS = {"m4": 120.0, "shakespeare": 240.0, "imdb": 180.0}  # training seconds a run


def command(name: str, cell: str, budget: float, out: Path, data: Path) -> list[str]:
    """The ``rnnkit`` command line of one run."""
    if name == "m4":
        return [
            "forecast", "train", "--data", str(FORECAST / "M4-Hourly-train.csv"),
            "--test", str(FORECAST / "M4-Hourly-test.csv"), "--horizon", "48",
            "--input-length", "168", "--log", "--model", "direct", "--cell", cell,
            "--epochs", "1000", "--time-budget", str(budget), "--out", str(out),
            "--overwrite", "--quiet",
        ]  # fmt: skip
    task = "lm" if name == "shakespeare" else "classify"
    if name == "shakespeare":
        text = (TEXT / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
        cut = int(len(text) * 0.9)
        train, test = data / "train.txt", data / "test.txt"
        train.write_text(text[:cut], encoding="utf-8")
        test.write_text(text[cut:], encoding="utf-8")
    else:
        train, test = TEXT / "imdb" / "train.tsv", TEXT / "imdb" / "test.tsv"
    config = data / f"{name}.toml"
    config.write_text(f'task = "{task}"\n\n[data]\ntrain = "{train}"\ntest = "{test}"\n')
    return [
        "train", str(config), "--out", str(out), "--overwrite", "--quiet",
        "--set", f"model.cell={cell}", "--set", f"train.time_budget={budget}",
        "--set", "train.max_steps=1000000", "--set", "train.num_threads=1",
    ]  # fmt: skip


def run_one(name: str, cell: str, args) -> dict:
    runs = Path(args.runs)
    path = runs / f"{name}-{cell}.json"
    if args.reuse and path.exists():
        return json.loads(path.read_text())
    out, data = runs / f"{name}-{cell}", runs / "data"
    data.mkdir(parents=True, exist_ok=True)
    budget = BUDGETS[name] * args.budget_scale
    cmd = [sys.executable, "-m", "rnnkit.cli.main", *command(name, cell, budget, out, data)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    row = {"set": name, "cell": cell, "wall_minutes": round(wall / 60, 2)}
    if done.returncode != 0:
        row["error"] = (done.stderr.strip().splitlines() or ["?"])[-1]
    else:
        metrics = json.loads((out / "metrics.json").read_text())
        keys = {"m4": ("test_smape", "test_mase"), "shakespeare": ("test_loss",)}
        for key in keys.get(name, ("test_accuracy",)):
            row[key] = round(float(metrics[key]), 4)
        row["steps"] = metrics.get("steps") or metrics.get("step")
        row["stopped_by"] = metrics.get("stopped_by")
    path.write_text(json.dumps(row, indent=2) + "\n")
    return row


def markdown(rows: dict, info: dict, scale: float) -> str:
    budgets = ", ".join(f"{n} {b * scale:g} s" for n, b in BUDGETS.items())
    lines = [
        "## The cells side by side: GRU, LSTM, MinGRU, MinLSTM, sLSTM (issue 18)",
        "",
        f"Command: `{command_line()}`. Machine: {info['cpu']}, torch {info['torch']}, one "
        f"thread, {info['date']} (commit {info['commit']}). Each run changes only "
        f"`model.cell` and trains for the same time on a data set ({budgets}); other jobs ran "
        "on the "
        "other core meanwhile (helpers' tests), so wall times are upper bounds and a budget "
        "holds fewer steps than on a quiet machine.",
        "",
        "| cell | M4 Hourly sMAPE | M4 MASE | Shakespeare nats/char | IMDB accuracy | "
        "minutes (m4 / shakespeare / imdb) |",
        "|---|---|---|---|---|---|",
    ]
    for cell in CELLS:
        got = {name: rows.get(f"{name}-{cell}", {}) for name in SETS}

        def cell_value(name: str, key: str, got: dict = got) -> str:
            row = got[name]
            if "error" in row:
                return "failed"
            return f"{row[key]:.4f}" if key in row else "—"

        minutes = " / ".join(f"{got[n]['wall_minutes']:.1f}" if got[n] else "—" for n in SETS)
        lines.append(
            f"| {cell} | {cell_value('m4', 'test_smape')} | {cell_value('m4', 'test_mase')} | "
            f"{cell_value('shakespeare', 'test_loss')} | {cell_value('imdb', 'test_accuracy')} "
            f"| {minutes} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--cells", nargs="+", choices=CELLS, default=list(CELLS))
    parser.add_argument("--budget-scale", type=float, default=1.0, help="times the budgets")
    parser.add_argument("--runs", default="runs/bench-cells", help="where the runs go")
    parser.add_argument("--reuse", action="store_true", help="reuse finished runs' figures")
    parser.add_argument("--write", action="store_true", help="write the RESULTS.md section")
    args = parser.parse_args()
    Path(args.runs).mkdir(parents=True, exist_ok=True)
    for cell in args.cells:
        for name in args.only:
            emit(run_one(name, cell, args))
    if args.write:
        rows = {p.stem: json.loads(p.read_text()) for p in Path(args.runs).glob("*.json")}
        write_section("cells_accuracy", markdown(rows, machine(), args.budget_scale))


if __name__ == "__main__":
    main()
