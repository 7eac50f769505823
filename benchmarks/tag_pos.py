"""Part-of-speech tagging with task ``tag``: UD English EWT v2.16 UPOS (train / dev for the
epoch / test, gold tokens, accuracy over syntactic words) and the POS column of CoNLL-2003
(eng.train / eng.testa / eng.testb). No pretrained vectors unless ``--set model.vectors=...``.

    python benchmarks/tag_pos.py [--variants ewt conll] [--seeds 0] [--reuse] [--write]
    python benchmarks/tag_pos.py --variants ewt --contextual RUN_FWD RUN_BWD [--write]

``--contextual`` (issue 17) adds contextual string embeddings from two character LM runs
(``model.contextual``, e.g. the CoNLL-2003 LMs of tag_conll.py's flair variant) and writes
its own section of RESULTS.md (``--section NAME`` writes another, e.g. with word vectors).
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

from _common import DATASETS, command_line, emit, machine, write_section
from _tagging import fmt, summary, train_run
from rnnkit.config import apply_overrides

EWT = DATASETS / "text" / "ud_english_ewt"
CONLL = DATASETS / "text" / "conll2003"

MODEL = {
    "cell": "lstm",
    "hidden_size": 200,
    "bidirectional": True,
    "dropout": 0.5,
    "crf": True,
    "embedding_dim": 100,
    "char_encoder": "lstm",
    "char_dim": 25,
    "char_hidden_size": 50,
    "casing_dim": 8,
}
TRAIN = {
    "epochs": 25,
    "batch_size": 32,
    "optimizer": "adam",
    "lr": 0.002,
    "schedule": "cosine",
    "clip_grad_norm": 5.0,
    "num_threads": 1,
    "log_every": 100,
    "metric": "val_accuracy",
}
DATA = {"lower": True, "zero_digits": True, "singleton_unk": 0.5, "scheme": "none"}

VARIANTS = {
    "ewt": {
        "format": "conllu",
        "tag_field": "upos",
        "train": str(EWT / "en_ewt-ud-train.conllu"),
        "validation": str(EWT / "en_ewt-ud-dev.conllu"),
        "test": str(EWT / "en_ewt-ud-test.conllu"),
    },
    "conll": {
        "format": "conll",
        "tag_column": 1,
        "train": str(CONLL / "eng.train"),
        "validation": str(CONLL / "eng.testa"),
        "test": str(CONLL / "eng.testb"),
    },
}
TITLES = {
    "ewt": "UD English EWT v2.16, UPOS",
    "conll": "CoNLL-2003 English, POS column (PTB tags)",
}


def config(variant: str, seed: int, epochs: int | None, overrides: list[str] = ()) -> dict:
    raw = {
        "task": "tag",
        "name": f"pos-{variant}-s{seed}",
        "data": {**DATA, **VARIANTS[variant]},
        "model": copy.deepcopy(MODEL),
        "train": {**TRAIN, "seed": seed},
    }
    if epochs:
        raw["train"]["epochs"] = epochs
    return apply_overrides(raw, list(overrides))


def to_markdown(result: dict) -> str:
    m = result["machine"]
    lms, vectors = result.get("contextual"), result["config"]["model"].get("vectors")
    title = "## Sequence labelling: part-of-speech tagging (issue 6)"
    if lms:
        title = "## Part-of-speech tagging with contextual string embeddings (issue 17)"
    if lms and vectors:
        title = title[: -len(" (issue 17)")] + " and word vectors from a word LM (issue 17)"
    pretrained = "no pretrained vectors"
    if vectors:
        pretrained = f"word vectors from `{vectors}` (`model.vectors`)"
    lines = [
        title,
        "",
        f"Command: `{result['command']}`. Machine: {m['cpu']}, 1 torch thread, torch "
        f"{m['torch']}, {m['date']} (commit {m['commit']}). Token accuracy in percent on the "
        f"test file with gold tokens, epoch chosen by accuracy on the dev file; {pretrained}. "
        "Times as in the NER section (shared 2-core machine; CPU seconds of the training "
        "process given too).",
        "",
        "| data | seeds | test accuracy | dev accuracy | epochs | s/epoch wall | "
        "s/epoch CPU | minutes wall per seed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for variant, block in result["variants"].items():
        s = block["summary"]
        lines.append(
            f"| {TITLES[variant]} | {s['test_accuracy'].get('n', 0)} | "
            f"{fmt(s['test_accuracy'])} | {fmt(s['val_accuracy'])} | "
            f"{block['runs'][0]['epochs']} | {fmt(s['wall_per_epoch'])} | "
            f"{fmt(s['cpu_per_epoch'])} | {fmt(s['wall_minutes'])} |"
        )
    raw = result["config"]
    if lms:
        lines += ["", f"Contextual string embeddings from the LM runs {lms} (frozen)."]
    lines += ["", "Config (the data paths aside, the same for both data sets):", "", "```"]
    lines += [f"data: {DATA}", f"model: {raw['model']}", f"train: {raw['train']}", "```", ""]
    target = "Target: >= 95.5% UPOS accuracy on the EWT test set with an rnnkit BiLSTM."
    if lms:
        target = "Target (issue 17): >= 96.0% on the EWT test set with contextual embeddings."
    lines += [f"{target} Published: UDPipe 1 94.4%, a spaCy transformer 96.94%.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--epochs", type=int, help="override the epoch budget (quick checks)")
    parser.add_argument("--runs", default="runs/bench-tag-pos", help="folder of the run folders")
    parser.add_argument("--reuse", action="store_true", help="reuse finished runs of --runs")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="config override, e.g. model.hidden_size=200")  # fmt: skip
    parser.add_argument("--contextual", nargs=2, metavar=("RUN_FWD", "RUN_BWD"),
                        help="char LM runs for model.contextual (own RESULTS section)")  # fmt: skip
    parser.add_argument("--section", help="the RESULTS.md section written (default: tag_pos, "
                        "or tag_pos_flair with --contextual)")  # fmt: skip
    args = parser.parse_args()
    if args.contextual:
        args.overrides.append("model.contextual=" + json.dumps(args.contextual))
    result = {"benchmark": "tag_pos", "command": command_line(), "machine": machine()}
    result["contextual"] = args.contextual
    result["variants"] = {}
    for variant in args.variants:
        runs = []
        for seed in args.seeds:
            raw = config(variant, seed, args.epochs, args.overrides)
            result["config"] = raw
            runs.append(train_run(raw, Path(args.runs) / raw["name"], reuse=args.reuse))
        for r in runs:
            r["wall_minutes"] = round(r["wall_seconds"] / 60, 1)
        keys = ("test_accuracy", "val_accuracy", "wall_per_epoch", "cpu_per_epoch", "wall_minutes")
        result["variants"][variant] = {
            "runs": runs,
            "summary": {k: summary(runs, k) for k in keys},
        }
    emit(result)
    if args.write:
        default = "tag_pos_flair" if args.contextual else "tag_pos"
        write_section(args.section or default, to_markdown(result))


if __name__ == "__main__":
    main()
