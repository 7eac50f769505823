"""The defaults on every text task, from the config a new user writes (issue 16).

For each public data set the benchmark writes a config of three settings, ``task``,
``data.train`` and ``data.test``, e.g.::

    task = "classify"
    [data]
    train = ".../imdb/train.tsv"
    test = ".../imdb/test.tsv"

and trains it through ``rnnkit.api.train_run`` (what ``rnnkit train`` calls), report included.
Everything else is a default: the reader, the unit (word or character), the model, the
validation part held out of the training file, the learning rate, when to stop. The score is
set beside the tuned figure of benchmarks/RESULTS.md, on the same test text:

- names: the tuned protocol's test part (stratified 10%, ``split_seed = 0``) is written to a
  ``test/`` folder and the other 90% to ``train/`` (one ``<Language>.txt`` a class);
- IMDB: ``train.tsv`` / ``test.tsv``; CoNLL-2003: ``eng.train`` / ``eng.testb`` (the tuned run
  also had ``eng.testa`` for validation; here validation comes out of ``eng.train``); UD EWT:
  train / test (the tuned run validated on dev);
- Tiny Shakespeare: the first 90% is ``train.txt`` and the last 10% ``test.txt``, the text
  on which the tuned run was scored (its validation part); the default validates on the tail
  of ``train.txt``, so it learns from 81% of the text where the tuned run had 90%.

Scores are computed from counts (correct / total; F1 = 2 correct / (predicted + gold)), so
they do not depend on the scale (fraction or percent) the tasks report in. The target: at
least 97% of the tuned figure, Shakespeare within 0.05 nats/char, in 30 minutes.

    python benchmarks/defaults.py [--only names imdb conll ewt shakespeare] [--runs DIR]
        [--reuse] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from _common import DATASETS, command_line, emit, machine, write_section  # noqa: E402

TEXT = DATASETS / "text"
# name -> (task, tuned figure as a fraction (or nats), what it is, higher is better)
TUNED = {
    "names": ("classify", 0.8505, "test accuracy, bigru-bigrams", True),
    "imdb": ("classify", 0.8834, "test accuracy, bigru", True),
    "conll": ("tag", 0.8654, "test entity F1, BiLSTM-CRF, 3-seed mean", True),
    "ewt": ("tag", 0.9564, "test UPOS accuracy, BiLSTM-CRF h=200", True),
    "shakespeare": ("lm", 1.4772, "nats/char on the last 10%, 2x512 LSTM", False),
}


def three_lines(task: str, train: Path, test: Path) -> str:
    return f'task = "{task}"\n\n[data]\ntrain = "{train}"\ntest = "{test}"\n'


def files(name: str, folder: Path) -> tuple[Path, Path]:
    """The (train, test) paths of a data set, written under ``folder`` when they need cutting."""
    if name == "imdb":
        return TEXT / "imdb" / "train.tsv", TEXT / "imdb" / "test.tsv"
    if name == "conll":
        return TEXT / "conll2003" / "eng.train", TEXT / "conll2003" / "eng.testb"
    if name == "ewt":
        ewt = TEXT / "ud_english_ewt"
        return ewt / "en_ewt-ud-train.conllu", ewt / "en_ewt-ud-test.conllu"
    if name == "shakespeare":
        text = (TEXT / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
        cut = int(len(text) * 0.9)  # nanoGPT's split, as the tuned run
        return write(folder / "train.txt", text[:cut]), write(folder / "test.txt", text[cut:])
    return names_folders(folder)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def names_folders(folder: Path) -> tuple[Path, Path]:
    """The tuned names protocol's test part (task classify's own stratified split with
    ``test_fraction = 0.1``, ``split_seed = 0``) as ``test/``, the rest as ``train/``."""
    from rnnkit.data.textdata import read_folder, stratified_split

    examples = read_folder(TEXT / "names")
    keep, held = stratified_split(examples.labels, 0.1, 0)
    for part, index in (("train", keep), ("test", held)):
        by_label: dict[str, list[str]] = {}
        for i in index:
            by_label.setdefault(examples.labels[i], []).append(examples.texts[i])
        for label, texts in by_label.items():
            write(folder / part / f"{label}.txt", "\n".join(texts) + "\n")
    return folder / "train", folder / "test"


def score(name: str, task, result) -> float:
    """The figure comparable with the tuned one, from counts (scale-free)."""
    if name in ("names", "imdb"):
        return float(result.metrics["test_accuracy"])
    if name == "shakespeare":
        return float(result.metrics["test_loss"])
    scores = task.scores(result.model, "test")
    if name == "ewt":
        return scores.tokens_correct / scores.tokens
    counts = scores.overall
    return 2 * counts.correct / (counts.predicted + counts.gold)


def run_one(name: str, runs: Path, reuse: bool) -> dict:
    out = runs / name
    figures_path = runs / f"{name}.json"
    if reuse and figures_path.exists():
        return json.loads(figures_path.read_text())
    from rnnkit import api
    from rnnkit.config import load_config
    from rnnkit.tasks import get_task_class

    torch.set_num_threads(1)
    kind, tuned, what, higher = TUNED[name]
    train, test = files(name, runs / f"{name}-data")
    config_path = write(runs / f"{name}.toml", three_lines(kind, train, test))
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    config = load_config(config_path)
    task = get_task_class(config.task)(config)
    result = api.train_run(config, out, task=task, overwrite=True)
    value = score(name, task, result)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    per_epoch = max(1, task.steps_per_epoch())
    ratio = value / tuned
    met = ratio >= 0.97 if higher else value <= tuned + 0.05
    figures = {
        "name": name,
        "task": kind,
        "score": round(value, 4),
        "tuned": tuned,
        "tuned_what": what,
        "ratio": round(ratio, 4),
        "met": bool(met and wall <= 1800),
        "stopped_by": result.stopped_by,
        "epochs": round(result.state.step / per_epoch, 2),
        "best_epoch": round((result.state.best_step or 0) / per_epoch, 2),
        "steps": result.state.step,
        "train_minutes": round(result.metrics["train_seconds"] / 60, 2),
        "wall_minutes": round(wall / 60, 2),
        "cpu_minutes": round(cpu / 60, 2),
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "config": config_path.read_text(),
        "resolved": {"data": vars(config.data), "model": vars(config.model)},
        "train": {k: v for k, v in vars(config.train).items()},
    }
    figures_path.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    return figures


def markdown(results: dict[str, dict], info: dict) -> str:
    lines = [
        "## Defaults: every text task from a three-line config (issue 16)",
        "",
        f"Command: `{command_line()}`. Machine: {info['cpu']}, torch {info['torch']}, 1 thread "
        f"pinned to one core, {info['date']} (commit {info['commit']}). Each run is "
        "`task`, `data.train`, `data.test` and nothing else (see `benchmarks/defaults.py`), "
        "trained through `rnnkit.api.train_run` with the report. Minutes are wall clock for "
        "the whole run (reading, training, evaluations, test, report); epochs are those done "
        "when it stopped, and the best epoch is the one kept.",
        "",
        "| data set | task | default | tuned | default / tuned | stopped by | epochs "
        "(best) | train min | total min | target met |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        unit = "nats/char" if name == "shakespeare" else ""
        lines.append(
            f"| {name} | {r['task']} | {r['score']:.4f} {unit} | {r['tuned']:.4f} "
            f"({r['tuned_what']}) | {r['ratio']:.3f} | {r['stopped_by']} | {r['epochs']:g} "
            f"({r['best_epoch']:g}) | {r['train_minutes']:.1f} | {r['wall_minutes']:.1f} | "
            f"{'yes' if r['met'] else 'no'} |"
        )
    lines += [
        "",
        "Target: at least 97% of the tuned figure (Shakespeare: at most 0.05 nats/char above "
        "it) within 30 minutes per data set. Load average on the 2 cores before / after each "
        "run: "
        + ", ".join(f"{n} {r['load_before']:g} / {r['load_after']:g}" for n, r in results.items())
        + ".",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(TUNED), default=list(TUNED))
    parser.add_argument("--runs", default="runs/bench-defaults", help="where the runs go")
    parser.add_argument("--reuse", action="store_true", help="reuse finished runs' figures")
    parser.add_argument("--write", action="store_true", help="write the RESULTS.md section")
    args = parser.parse_args()
    runs = Path(args.runs)
    runs.mkdir(parents=True, exist_ok=True)
    for name in args.only:
        emit(run_one(name, runs, args.reuse))
    if args.write:
        results = {
            n: json.loads((runs / f"{n}.json").read_text())
            for n in TUNED
            if (runs / f"{n}.json").exists()
        }
        write_section("defaults", markdown(results, machine()))


if __name__ == "__main__":
    main()
