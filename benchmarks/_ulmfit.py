"""ULMFiT on IMDB through the documented commands (issue 17): ``rnnkit train
examples/imdb_lm.toml`` (a word-level language model pretrained on the training reviews),
then ``rnnkit train examples/imdb_ulmfit.toml`` once per seed (the classifier fine-tuned from
it: ``model.encoder`` = the language model's run folder), each in its own process.

Every command gets ``--set`` overrides: the data paths of this machine (the language model
reads ``train.tsv`` only and is given no test file: it never sees a test review; the classifier
reads ``train.tsv`` and ``test.tsv``), ``train.seed``, ``model.encoder``, and whatever
``--lm-set`` / ``--set`` add (e.g. budgets: ``--lm-set train.max_steps=2000 --set
train.epochs=2``). The result is the test accuracy of each seed, their mean and standard
deviation, and the CPU seconds of each process (``resource.RUSAGE_CHILDREN``: with one
thread, what an idle machine's clock would read).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "rnnkit" / "examples"
LM_CONFIG, CLASSIFY_CONFIG = EXAMPLES / "imdb_lm.toml", EXAMPLES / "imdb_ulmfit.toml"


def check_examples() -> None:
    """Exit with one line (status 1) when the example configs are not on this branch."""
    missing = [p for p in (LM_CONFIG, CLASSIFY_CONFIG) if not p.is_file()]
    if missing:
        names = " and ".join(str(p.relative_to(EXAMPLES.parents[2])) for p in missing)
        raise SystemExit(
            f"--only ulmfit runs src/rnnkit/examples/imdb_lm.toml then imdb_ulmfit.toml, and "
            f"{names} {'do' if len(missing) > 1 else 'does'} not exist on this branch (issue 17 "
            f"item 1 writes them with the word-level language model)"
        )


def quoted(value) -> str:
    """A ``--set`` value as TOML: strings quoted (a path is not bare TOML)."""
    return json.dumps(value) if isinstance(value, str) else str(value)


def rnnkit_train(config: Path, out: Path, sets: dict, extra: list[str]) -> dict:
    """``rnnkit train CONFIG --out OUT --overwrite --quiet --set ...`` in a process of its own;
    the run's metrics.json plus the command, its wall and CPU seconds."""
    args = ["train", str(config), "--out", str(out), "--overwrite", "--quiet"]
    for key, value in sets.items():
        args += ["--set", f"{key}={quoted(value)}"]
    for item in extra:  # the caller's overrides come last and win
        args += ["--set", item]
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    cpu, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run([sys.executable, "-m", "rnnkit.cli.main", *args], check=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    metrics = json.loads((out / "metrics.json").read_text())
    return {
        "command": "rnnkit " + " ".join(args),
        "metrics": metrics,
        "wall_s": round(time.perf_counter() - wall, 1),
        "cpu_s": round(after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime, 1),
    }


def run_ulmfit(imdb: Path, out: Path, seeds: list[int], lm_sets: list[str], sets: list[str],
               lm_run: str = "") -> dict:  # fmt: skip
    """Pretrain (unless ``lm_run`` names a finished language-model run), then fine-tune once
    per seed; the figures of :mod:`_ulmfit`."""
    check_examples()
    lm_dir = Path(lm_run) if lm_run else out / "ulmfit-lm"
    lm = None
    if not lm_run:
        lm_data = {"data.train": str(imdb / "train.tsv"), "data.test": ""}
        lm = rnnkit_train(LM_CONFIG, lm_dir, {**lm_data, "train.seed": 0}, lm_sets)
    runs = {}
    for seed in seeds:
        fixed = {
            "data.train": str(imdb / "train.tsv"),
            "data.test": str(imdb / "test.tsv"),
            "model.encoder": str(lm_dir.resolve()),
            "train.seed": seed,
        }
        runs[seed] = rnnkit_train(CLASSIFY_CONFIG, out / f"ulmfit-s{seed}", fixed, sets)
    accs = [r["metrics"]["test_accuracy"] for r in runs.values()]
    return {
        "lm": lm if lm is not None else {"reused": str(lm_dir)},
        "seeds": runs,
        "test_accuracy_mean": round(statistics.fmean(accs), 4),
        "test_accuracy_std": round(statistics.stdev(accs), 4) if len(accs) > 1 else 0.0,
    }


def markdown(result: dict, info: dict, command: str) -> str:
    lm, runs = result["lm"], result["seeds"]
    lines = [
        "## IMDB with ULMFiT: a pretrained word-level LM fine-tuned (issue 17)",
        "",
        f"Command: `{command}`. Machine: {info['cpu']}, 1 thread (OMP_NUM_THREADS=1), torch "
        f"{info['torch']}, {info['date']} (commit {info['commit']}). Timings were taken with "
        "other jobs on the other core; CPU seconds are each process's own. The language "
        "model saw the 25,000 training reviews only (train.tsv, no test file); the classifier "
        "holds out a seeded 10% of them for validation and is scored on the 25,000 test "
        "reviews. Before: 88.34% (BiGRU, no pretraining).",
        "",
    ]
    if "command" in lm:
        val = ", ".join(f"{k} {v:.4g}" for k, v in lm["metrics"].items() if k.startswith("val_"))
        lines += [
            f"Language model: `{lm['command']}`: {val}, {lm['cpu_s']:.0f} CPU s "
            f"({lm['wall_s']:.0f} wall s).",
            "",
        ]
    lines += ["| seed | test accuracy | val accuracy | CPU s | wall s |", "|---|---|---|---|---|"]
    for seed, r in runs.items():
        m = r["metrics"]
        lines.append(
            f"| {seed} | {m['test_accuracy']:.4f} | {m['val_accuracy']:.4f} | "
            f"{r['cpu_s']:.0f} | {r['wall_s']:.0f} |"
        )
    lines += [
        f"| mean | {result['test_accuracy_mean']:.4f} ± {result['test_accuracy_std']:.4f} | | | |",
        "",
        f"Fine-tuning command (seed {next(iter(runs))}): `{next(iter(runs.values()))['command']}`.",
    ]
    return "\n".join(lines)
