"""CoNLL-2003 English NER with task ``tag``: train on eng.train, select the epoch on eng.testa
(entity F1), report eng.testb, for several seeds. No pretrained vectors: every weight is
learned from eng.train.

Variants: ``crf`` (the BiLSTM-CRF: characters, casing, document vector, BIOES with
constraints), ``softmax`` (the same network with a softmax at every step, seed 004) and
``flair`` (issue 17: the crf variant plus contextual string embeddings from a forward and a
backward character LM trained first on the text of eng.train alone; examples/conll_lm_*.toml
and examples/tag_conll2003_flair.toml run through the rnnkit CLI, see _flair.py; its figures
go to a section of their own).

    python benchmarks/tag_conll.py [--variants crf softmax flair] [--seeds 0 1 2]
        [--baseline-seeds 0] [--lm-steps N] [--lm-text FILE] [--lm-set KEY=VALUE]
        [--word-lm] [--tag-set KEY=VALUE] [--section NAME] [--reuse] [--write]
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

from _common import DATASETS, command_line, emit, machine, write_section
from _flair import lm_lines, run_flair, word_lm_lines
from _tagging import fmt, summary, train_run
from rnnkit.config import load_config

CONLL = DATASETS / "text" / "conll2003"

BASE = {
    "task": "tag",
    "data": {
        "format": "conll",
        "train": str(CONLL / "eng.train"),
        "validation": str(CONLL / "eng.testa"),
        "test": str(CONLL / "eng.testb"),
        "tag_column": 3,
        "scheme": "bioes",
        "lower": True,
        "zero_digits": True,
        "singleton_unk": 0.5,
    },
    "model": {
        "cell": "lstm",
        "hidden_size": 100,
        "bidirectional": True,
        "dropout": 0.5,
        "crf": True,
        "embedding_dim": 100,
        "char_encoder": "lstm",
        "char_dim": 25,
        "char_hidden_size": 25,
        "casing_dim": 8,
        "document_dim": 32,
        "repeat_context": True,
    },
    "train": {
        "epochs": 20,
        "batch_size": 32,
        "optimizer": "adam",
        "lr": 0.002,
        "schedule": "cosine",
        "clip_grad_norm": 5.0,
        "num_threads": 1,
        "log_every": 100,
    },
}

VARIANTS = {
    "crf": {},
    "softmax": {"model": {"crf": False}},
}


def config(variant: str, seed: int, epochs: int | None) -> dict:
    raw = copy.deepcopy(BASE)
    for section, values in VARIANTS[variant].items():
        raw[section].update(values)
    raw["train"]["seed"] = seed
    if epochs:
        raw["train"]["epochs"] = epochs
    raw["name"] = f"conll-{variant}-s{seed}"
    return raw


def tables(variants: dict) -> list[str]:
    """The summary table and the per-seed table of ``variants``."""
    lines = [
        "| variant | seeds | test F1 | test precision | test recall | dev F1 | epochs | "
        "s/epoch wall | s/epoch CPU | minutes wall per seed |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant, block in variants.items():
        s = block["summary"]
        lines.append(
            f"| {variant} | {s['test_f1'].get('n', 0)} | {fmt(s['test_f1'])} | "
            f"{fmt(s['test_precision'])} | {fmt(s['test_recall'])} | {fmt(s['val_f1'])} | "
            f"{block['runs'][0]['epochs']} | {fmt(s['wall_per_epoch'])} | "
            f"{fmt(s['cpu_per_epoch'])} | {fmt(s['wall_minutes'])} |"
        )
    lines += ["", "Per seed (test F1 per type):", ""]
    lines += ["| variant | seed | test F1 | LOC | MISC | ORG | PER | best epoch | dev F1 |"]
    lines += ["|---|---|---|---|---|---|---|---|---|"]
    for variant, block in variants.items():
        for r in block["runs"]:
            t = r["per_type_f1"]
            lines.append(
                f"| {variant} | {r['seed']} | {r['test_f1']:.2f} | {t.get('LOC', 0):.2f} | "
                f"{t.get('MISC', 0):.2f} | {t.get('ORG', 0):.2f} | {t.get('PER', 0):.2f} | "
                f"{r['best_epoch']:g} | {r['val_f1']:.2f} |"
            )
    return lines


def to_markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        "## Sequence labelling: CoNLL-2003 English NER (issue 6)",
        "",
        f"Command: `{result['command']}`. Machine: {m['cpu']}, 1 torch thread, torch "
        f"{m['torch']}, {m['date']} (commit {m['commit']}). Train on eng.train, epoch "
        "chosen by eng.testa entity F1, figures on eng.testb (conlleval rules, percent). "
        "No pretrained vectors. Wall times were measured on a 2-core machine shared with other "
        "jobs (often 4-9 runnable processes), so CPU seconds of the training process are given "
        "too; both include the per-epoch evaluation on eng.testa.",
        "",
    ]
    lines += tables({k: v for k, v in result["variants"].items() if k != "flair"})
    lines += ["", "Config of the `crf` variant (`softmax` sets `model.crf = false`):", "", "```"]
    ran = config("crf", 0, result.get("epochs"))
    lines += [f"{section}: {ran[section]}" for section in ("data", "model", "train")]
    lines += [
        "```",
        "",
        "Target: >= 88.0 test F1 without pretrained vectors, mean of 3 seeds, under 30 minutes "
        "per seed on this 2-core CPU. Published without pretrained embeddings: Lample et al. "
        "LSTM-CRF about 83.6, Huang et al. BiLSTM-CRF 84.26; with them: Lample et al. 90.94, "
        "Ma & Hovy 91.21, NCRF++ 91.35.",
        "",
    ]
    return "\n".join(lines)


READS = {  # model.contextual_context of the flair runs: what the LMs read around a word
    "sentence": "each sentence read alone from a zero state",
    "document": 'each document read whole (`model.contextual_context = "document"`: the '
    "sentences before a word, forward, and after it, backward)",
}


def ran_model(result: dict) -> dict:
    """``contextual_context`` and ``hidden_size`` of the first flair run (its config.toml)."""
    runs = result["variants"]["flair"]["runs"]
    if not runs:
        return {"contextual_context": "sentence", "hidden_size": BASE["model"]["hidden_size"]}
    model = load_config(Path(runs[0]["run"]) / "config.toml").model
    return {"contextual_context": model.contextual_context, "hidden_size": model.hidden_size}


def flair_markdown(result: dict) -> str:
    m, ran = result["machine"], ran_model(result)
    whole, width = ran["contextual_context"] == "document", ran["hidden_size"]
    wider = width != BASE["model"]["hidden_size"]
    lines = [
        "## CoNLL-2003 NER with contextual string embeddings from rnnkit's own char LMs"
        + (", reading whole documents" if whole else "")
        + (f", {width} units a direction" if wider else "")
        + (", word vectors from rnnkit's word LM" if result.get("word_lm") else "")
        + " (issue 17)",
        "",
        f"Command: `{result['command']}`. Machine: {m['cpu']}, 1 torch thread, torch "
        f"{m['torch']}, {m['date']} (commit {m['commit']}). The `crf` network of the section "
        + (f"above with LSTMs {width} wide a direction (not 100)" if wider else "above")
        + " plus, for each word, the states of a forward and a backward character language "
        "model at its edges (Akbik et al. 2018), frozen, "
        + READS[ran["contextual_context"]]
        + " once in each run (that time is in the tagger's). Train on eng.train, epoch chosen "
        "by eng.testa "
        "entity F1, figures on eng.testb (conlleval rules, percent). "
        + (
            "Word vectors from rnnkit's own word LM (below), none downloaded; "
            if result.get("word_lm")
            else "No pretrained vectors; "
        )
        + ("no outside text. " if result.get("text_mix") is None else "the LMs' text below. ")
        + "Timings were taken with other jobs on the other core.",
        "",
    ]
    lines += lm_lines(result["lms"], result.get("text_mix"), result.get("lm_set", []))
    lines += word_lm_lines(result.get("word_lm"))
    lines += tables({"flair": result["variants"]["flair"]})
    lines += [
        "",
        "Commands: `rnnkit train examples/conll_lm_fwd.toml`, `rnnkit train "
        "examples/conll_lm_bwd.toml`, `rnnkit train examples/tag_conll2003_flair.toml` "
        "(paths set with `--set`); the text file: see examples/conll_lm_fwd.toml. Target: >= "
        "88.0 test F1, mean of 3 seeds, each under 45 minutes plus the LMs' training time.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--variants", nargs="+", default=list(VARIANTS), choices=[*VARIANTS, "flair"]
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--baseline-seeds", nargs="+", type=int, default=[0], help="seeds of the softmax variant"
    )
    parser.add_argument("--epochs", type=int, help="override the epoch budget (quick checks)")
    parser.add_argument("--lm-steps", type=int, help="flair: override the LMs' step budget")
    parser.add_argument("--lm-text", help="flair: the LMs' text (benchmarks/lm_text.py's file)")
    parser.add_argument("--lm-set", action="append", default=[], help="flair: LM --set item")
    parser.add_argument(
        "--word-lm", action="store_true",
        help="flair: word vectors from a word LM on the LMs' text (examples/conll_word_lm.toml)",
    )  # fmt: skip
    parser.add_argument(
        "--tag-set", action="append", default=[], metavar="KEY=VALUE",
        help="flair: one more --set item of the tagger (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--section", default="tag_conll_flair", help="flair: the RESULTS.md section written"
    )
    parser.add_argument("--runs", default="runs/bench-tag-conll", help="folder of the run folders")
    parser.add_argument("--reuse", action="store_true", help="reuse finished runs of --runs")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    result = {"benchmark": "tag_conll", "command": command_line(), "machine": machine()}
    result["epochs"] = args.epochs
    result["variants"] = {}
    for variant in args.variants:
        runs = []
        if variant == "flair":
            block = run_flair(
                CONLL, Path(args.runs), args.seeds, args.epochs, args.lm_steps, args.reuse,
                args.lm_text, args.lm_set, args.word_lm, args.tag_set,
            )  # fmt: skip
            runs, result["lms"] = block["runs"], block["lms"]
            for key in ("text_mix", "lm_set", "word_lm", "tag_set"):
                result[key] = block[key]
        else:
            for seed in args.seeds if variant == "crf" else args.baseline_seeds:
                raw = config(variant, seed, args.epochs)
                runs.append(train_run(raw, Path(args.runs) / raw["name"], reuse=args.reuse))
        for r in runs:
            r["wall_minutes"] = round(r["wall_seconds"] / 60, 1)
        keys = ("test_f1", "test_precision", "test_recall", "val_f1", "wall_per_epoch")
        keys += ("cpu_per_epoch", "wall_minutes")
        result["variants"][variant] = {
            "runs": runs,
            "summary": {k: summary(runs, k) for k in keys},
        }
    emit(result)
    if args.write and set(args.variants) - {"flair"}:
        write_section("tag_conll", to_markdown(result))
    if args.write and "flair" in args.variants:
        write_section(args.section, flair_markdown(result))


if __name__ == "__main__":
    main()
