"""Short texts from a three-line config: the classify defaults against the settings they
replaced (issue 16).

Issue 16 found that the old classify defaults (a one-layer unidirectional LSTM 64, pooling
``last``, no dropout, a constant rate for 10 epochs) learned short polarity sentences far too
slowly. The corpus it used is kept aside; this benchmark builds a stand-in from IMDB: the last
sentence of 5 to 40 words of each review, labelled with the review's polarity (so some labels
are noise, and no model reaches the document-level accuracy). 8,000 training sentences
(balanced, from ``train.tsv``) and 2,000 test sentences (from ``test.tsv``), seeded.

Each row is ``rnnkit train`` on the config ``task``, ``data.train``, ``data.test`` (written
next to the data), run in a subprocess with ``--set`` overrides:

- ``default``: nothing else (the defaults of issue 16);
- ``default, embedding_std = 1``: torch's N(0, 1) embedding rows instead of N(0, 0.1^2);
- ``old defaults``: the settings before issue 16 (see ``OLD``).

    python benchmarks/short_texts.py [--seeds 0 1] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import DATASETS, command_line, emit, machine, write_section  # noqa: E402

IMDB = DATASETS / "text" / "imdb"
TRAIN, TEST = 8000, 2000
OLD = [  # classify before issue 16 (hidden 64 and clip 1.0 are still the defaults), on words
    "model.cell=lstm", "model.backend=native", "model.bidirectional=false",
    "model.pooling=last", "model.dropout=0.0", "model.embedding_dropout=0.0",
    "model.embedding_std=1.0", "data.min_freq=1", "train.schedule=constant",
    "train.epochs=10", "train.early_stopping=0", "train.time_budget=0", "train.lr=0.001",
    "data.level=word",
]  # fmt: skip
SETTINGS = {
    "default": [],
    "default, embedding_std = 1": ["model.embedding_std=1.0"],
    "old defaults": OLD,
}


def last_sentences(path: Path, n: int, seed: int) -> list[tuple[str, str]]:
    """(label, sentence): n/2 of each label, the last sentence of 5-40 words of a review."""
    rows: dict[str, list[str]] = {"0": [], "1": []}
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    for label, text in zip(table["label"], table["text"]):
        text = " ".join(text.replace("<br />", " ").split())
        pieces = [p.strip() for p in re.split(r"(?<=[.!?])\s+", text) if p.strip()]
        fitting = [p for p in pieces if 5 <= len(p.split()) <= 40]
        if fitting:
            rows[label].append(fitting[-1])
    rng = random.Random(seed)
    picked = []
    for label, sentences in rows.items():
        picked += [(label, s) for s in rng.sample(sentences, n // 2)]
    rng.shuffle(picked)
    return picked


def write_tsv(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = ["label\ttext"] + [f"{label}\t{text}" for label, text in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def train(config: Path, out: Path, overrides: list[str], seed: int) -> dict:
    sets = [arg for o in [*overrides, f"train.seed={seed}"] for arg in ("--set", o)]
    cmd = [sys.executable, "-m", "rnnkit", "train", str(config), "--out", str(out), "-q", *sets]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    seconds = time.perf_counter() - start
    final = json.loads((out / "metrics.json").read_text())
    return {
        "accuracy": round(final["test_accuracy"], 4),
        "val_accuracy": round(final["val_accuracy"], 4),
        "stopped_by": final.get("stopped_by", ""),
        "seconds": round(seconds, 1),
    }


def run(seeds: list[int]) -> dict:
    results: dict[str, list[dict]] = {name: [] for name in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train_tsv = write_tsv(folder / "train.tsv", last_sentences(IMDB / "train.tsv", TRAIN, 0))
        test_tsv = write_tsv(folder / "test.tsv", last_sentences(IMDB / "test.tsv", TEST, 1))
        config = folder / "three_lines.toml"
        config.write_text(
            f'task = "classify"\n[data]\ntrain = "{train_tsv}"\ntest = "{test_tsv}"\n'
        )
        for seed in seeds:
            for k, (name, overrides) in enumerate(SETTINGS.items()):
                row = train(config, folder / f"run-{seed}-{k}", overrides, seed)
                results[name].append({"seed": seed, **row})
                print(name, results[name][-1], file=sys.stderr, flush=True)
    return {"benchmark": "short_texts", "results": results, "command": command_line(),
            "machine": machine()}  # fmt: skip


def markdown(r: dict) -> str:
    m = r["machine"]
    lines = [
        "## Short texts: classify defaults against the settings they replaced (issue 16)",
        "",
        f"Command: `{r['command']}`. Machine: {m['cpu']}, torch {m['torch']}, 1 thread, "
        f"{m['date']} (commit {m['commit']}). Data: the last sentence (5-40 words) of IMDB "
        f"reviews with the review's label, {TRAIN} balanced training and {TEST} test "
        "sentences (a stand-in for the short polarity corpus of issue 16, which is kept "
        "aside). Each run: `rnnkit train` on a config of `task`, `data.train`, `data.test`.",
        "",
        "| settings | test accuracy (per seed) | mean | wall s (mean) |",
        "|---|---|---|---|",
    ]
    for name, rows in r["results"].items():
        accs = [x["accuracy"] for x in rows]
        lines.append(
            f"| {name} | {', '.join(f'{a:.4f}' for a in accs)} | {statistics.mean(accs):.4f} | "
            f"{statistics.mean(x['seconds'] for x in rows):.0f} |"
        )
    lines += ["", "Old defaults: `" + " ".join(OLD) + "`."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--write", action="store_true", help="write the RESULTS.md section")
    args = parser.parse_args()
    result = run(args.seeds)
    emit(result)
    if args.write:
        write_section("short_texts", markdown(result))


if __name__ == "__main__":
    main()
