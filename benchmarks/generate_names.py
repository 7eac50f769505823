"""Names generation: a character LSTM conditioned on the language (one-to-many).

Trains ``examples/names.toml`` on the names data (18 languages, one file each; a seeded 10%
of the unique (name, language) pairs held out) and reports the validation loss per
character (the ``<eos>`` that ends each name included) against simple baselines, the loss
per language, and samples.

    python benchmarks/generate_names.py [--set model.hidden_size=128 ...] [--write]
"""

from __future__ import annotations

import argparse
import math
import shutil
from collections import Counter
from pathlib import Path

import torch

from _common import DATASETS, command_line, emit, machine, write_section
from rnnkit.api import train_run
from rnnkit.config import apply_overrides, config_from_dict, tomllib
from rnnkit.tasks.lm import LanguageModelTask, nats_metrics

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "names.toml"


def unigram_loss(task: LanguageModelTask) -> float:
    """Cross-entropy of the validation characters under the training character frequencies
    (add-one smoothed): what a model that ignores context and language gets."""
    train, val = task.splits["train"]["targets"], task.splits["validation"]["targets"]
    pad = task.vocab.pad_index
    counts = Counter(train[train != pad].tolist())
    total = sum(counts.values()) + len(task.vocab)
    ids = val[val != pad].tolist()
    return -sum(math.log((counts[i] + 1) / total) for i in ids) / len(ids)


def per_language(task: LanguageModelTask, model) -> dict[str, float]:
    split = task.splits["validation"]
    out = {}
    for i, name in enumerate(task.categories):
        rows = (split["condition"] == i).nonzero().flatten()
        if len(rows):
            part = {k: v[rows] for k, v in split.items()}
            out[name] = nats_metrics(*task.pairs_loss(model, part))["loss"]
    return out


def run(overrides: list[str], out: Path) -> dict:
    raw = tomllib.loads(CONFIG.read_text())
    raw["data"]["train"] = str(DATASETS / "text" / "names")
    config = config_from_dict(apply_overrides(raw, overrides))
    torch.set_num_threads(config.train.num_threads or 1)
    task = LanguageModelTask(config)
    shutil.rmtree(out, ignore_errors=True)
    result = train_run(config, out, task=task, quiet=True)
    model = result.model.eval()
    samples = {  # one seed per language, else every language draws the same random numbers
        c: task.generate(model, condition=c, n=6, length=30, temperature=0.8, seed=i)
        for i, c in enumerate(task.categories)
    }
    return {
        "config": config.to_dict(),
        "overrides": overrides,
        "train_pairs": len(task.splits["train"]["lengths"]),
        "validation_pairs": len(task.splits["validation"]["lengths"]),
        "vocab": len(task.vocab),
        "parameters": sum(p.numel() for p in model.parameters()),
        "steps": result.state.step,
        "train_seconds": result.metrics["train_seconds"],
        "val_loss": result.metrics["val_loss"],
        "val_bpc": result.metrics["val_bpc"],
        "val_perplexity": result.metrics["val_perplexity"],
        "best_step": result.metrics["best_step"],
        "uniform_loss": math.log(len(task.vocab) - 2),
        "unigram_loss": unigram_loss(task),
        "per_language": per_language(task, model),
        "samples": samples,
        "run_dir": str(out),
    }


def to_markdown(r: dict) -> str:
    m, c = r["machine"], r["config"]
    mc, tc = c["model"], c["train"]
    lines = [
        "## Generation: names for a given language (issue 7)",
        "",
        f"Command: `{r['command']}` (config `examples/names.toml`). Machine: {m['cpu']}, 1 "
        f"thread, torch {m['torch']}, {m['date']} (commit {m['commit']}).",
        "",
        f"Data: the names data (18 languages), unique (name, language) pairs, a seeded 10% "
        f"held out: {r['train_pairs']:,} train / {r['validation_pairs']:,} validation; "
        f"{r['vocab'] - 3} characters (accents kept) + `<pad>`, `<unk>`, `<eos>`. Model: "
        f"{mc['num_layers']}-layer {mc['cell'].upper()} {mc['hidden_size']}, character "
        f"embedding {mc['embedding_dim']}, language embedding {mc['condition_dim']} fed at "
        f"every step, dropout {mc['dropout']}; {r['parameters']:,} parameters; "
        f"{tc['optimizer']} lr {tc['lr']} {tc['schedule']}, {tc['epochs']} epochs "
        f"({r['steps']} steps, {r['train_seconds']:.0f} s of training, evaluations "
        f"included). The loss counts every character and the `<eos>` that ends each name.",
        "",
        "| model | validation loss (nats/char) | bits/char | perplexity |",
        "|---|---|---|---|",
        f"| uniform over the characters | {r['uniform_loss']:.3f} | "
        f"{r['uniform_loss'] / math.log(2):.3f} | {math.exp(r['uniform_loss']):.1f} |",
        f"| unigram (training frequencies) | {r['unigram_loss']:.3f} | "
        f"{r['unigram_loss'] / math.log(2):.3f} | {math.exp(r['unigram_loss']):.1f} |",
        f"| rnnkit conditional LSTM | **{r['val_loss']:.3f}** | {r['val_bpc']:.3f} | "
        f"{r['val_perplexity']:.2f} |",
        "",
        "For scale only (other data, other split): makemore's transformer reaches about 1.92 "
        "nats/char on its 32k English names (`shared/guides/anchors-nlp.md` §5).",
        "",
        "| language | validation loss | samples (temperature 0.8, seed = language index) |",
        "|---|---|---|",
    ]
    for lang, loss in r["per_language"].items():
        lines.append(f"| {lang} | {loss:.3f} | {', '.join(r['samples'][lang])} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--out", default=str(ROOT / "runs" / "bench-names"))
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    result = {"benchmark": "generate_names", "command": command_line(), "machine": machine()}
    result.update(run(args.overrides, Path(args.out)))
    emit(result)
    if args.write:
        write_section("generate_names", to_markdown(result))


if __name__ == "__main__":
    main()
