"""IMDB word language model (issue 17): validation perplexity and tokens/second of a short
pretraining on the training reviews.

Trains ``examples/imdb_lm.toml`` (the ``text`` column of IMDB's ``train.tsv``, each review
followed by ``<eos>``, a seeded 2% of the reviews held out for validation; ``test.tsv`` is
never read) through the engine on one thread, with a time budget, and reports the
validation perplexity curve, the final perplexity and the training tokens per second.

    python benchmarks/lm_imdb.py [--set train.time_budget=900 ...] [--write]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import time
from pathlib import Path

import torch

from _common import DATASETS, command_line, emit, machine, write_section
from rnnkit.api import train_run
from rnnkit.config import apply_overrides, config_from_dict, tomllib
from rnnkit.report.walltime import val_loss_by_time
from rnnkit.tasks.lm import LanguageModelTask, nats_metrics
from rnnkit.train import read_metrics

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "imdb_lm.toml"


def run(overrides: list[str], out: Path) -> dict:
    raw = tomllib.loads(CONFIG.read_text())
    raw["data"]["train"] = str(DATASETS / "text" / "imdb" / "train.tsv")
    config = config_from_dict(apply_overrides(raw, overrides))
    torch.set_num_threads(config.train.num_threads or 1)
    task = LanguageModelTask(config)
    shutil.rmtree(out, ignore_errors=True)
    cpu, load = time.process_time(), os.getloadavg()[0]
    result = train_run(config, out, task=task, quiet=True)
    cpu = time.process_time() - cpu
    load = (load + os.getloadavg()[0]) / 2
    model = result.model.eval()
    log = read_metrics(out / "metrics.csv")
    tokens = sum(log.series("examples")[1])
    seconds = result.metrics["train_seconds"]
    final = nats_metrics(*task.stream_loss(model, task.val_ids), per_char=False)
    eos = task.vocab.stoi["<eos>"]
    return {
        "config": config.to_dict(),
        "overrides": overrides,
        "train_reviews": int((task.train_ids == eos).sum()),
        "val_reviews": int((task.val_ids == eos).sum()),
        "train_tokens": len(task.train_ids),
        "val_tokens": len(task.val_ids),
        "val_unk_share": float((task.val_ids == task.vocab.unk_index).float().mean()),
        "vocab": len(task.vocab),
        "parameters": sum(p.numel() for p in model.parameters()),
        "steps": result.state.step,
        "train_seconds": seconds,
        "cpu_seconds": cpu,
        "load_average": load,
        "tokens": int(tokens),
        "tokens_per_s": tokens / seconds,
        "epochs": tokens / task.stream.tokens,
        "curve": [
            {"step": s, "seconds": t, "val_perplexity": math.exp(v)}
            for s, t, v in val_loss_by_time(out / "metrics.csv")
        ],
        "final_val_loss": final["loss"],
        "final_val_perplexity": final["perplexity"],
        "sample": task.generate(model, prime="this movie", length=40, temperature=0.8)[0],
        "run_dir": str(out),
    }


def to_markdown(r: dict) -> str:
    m, c = r["machine"], r["config"]
    mc, tc, dc = c["model"], c["train"], c["data"]
    lines = [
        "## Word language model on IMDB's training reviews (issue 17)",
        "",
        f"Command (from `benchmarks/`, with `PYTHONPATH` on the worktree's `src`): `flock "
        f"/work/bench.lock taskset -c 0 env OMP_NUM_THREADS=1 {r['command']}` "
        f"(config `examples/imdb_lm.toml`). Machine: {m['cpu']}, **1 thread** on core 0 while "
        f"other jobs ran on the other core (load average {r['load_average']:.1f} on the 2 "
        f"cores), torch {m['torch']}, {m['date']} (commit {m['commit']}).",
        "",
        f"Text the model saw: the `text` column of `shared/datasets/text/imdb/train.tsv` only "
        f"(`test.tsv` never read): {r['train_reviews']:,} training reviews "
        f"({r['train_tokens']:,} tokens with one `<eos>` each) and a seeded 2% "
        f"({r['val_reviews']:,} reviews, {r['val_tokens']:,} tokens) held out for validation; "
        f"words lower-cased as task classify tokenises them, vocabulary {r['vocab']:,} "
        f"({dc['max_vocab']:,} most frequent words seen {dc['min_freq']}+ times + specials; "
        f"{r['val_unk_share']:.1%} of the validation tokens are `<unk>`).",
        f"Model: {mc['num_layers']}-layer {mc['cell'].upper()} {mc['hidden_size']} "
        f"({mc['backend']}), embedding {mc['embedding_dim']}, adaptive softmax "
        f"{mc['adaptive_softmax']}, AWD-LSTM regularisers (input {mc['input_dropout']}, "
        f"between layers {mc['dropout']}, output {mc['output_dropout']}, locked "
        f"{str(mc['locked_dropout']).lower()}, embedding {mc['embedding_dropout']}, weight drop "
        f"{mc['weight_drop']}, AR {mc['ar_alpha']}, TAR {mc['tar_beta']}); "
        f"{r['parameters']:,} parameters. Training: {tc['batch_size']} streams x "
        f"{dc['bptt']} words, {tc['optimizer']} lr {tc['lr']} {tc['schedule']}, clip "
        f"{tc['clip_grad_norm']}, time budget {tc['time_budget']:.0f} s: {r['steps']} steps, "
        f"{r['tokens']:,} tokens = {r['epochs']:.2f} epochs.",
        "",
        f"Result: validation perplexity **{r['final_val_perplexity']:.1f}** (loss "
        f"{r['final_val_loss']:.3f} nats/word) after {r['train_seconds'] / 60:.1f} min of "
        f"training wall time, evaluations included; **{r['tokens_per_s']:,.0f} training "
        f"tokens/s** ({r['cpu_seconds'] / 60:.1f} min of CPU time for the whole run).",
        "",
        "| step | minutes | validation perplexity |",
        "|---|---|---|",
    ]
    lines += [
        f"| {p['step']} | {p['seconds'] / 60:.1f} | {p['val_perplexity']:.1f} |" for p in r["curve"]
    ]
    lines += ["", "Sample (prime `this movie`, temperature 0.8, seed 0):", "", "```"]
    lines += [r["sample"], "```"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--out", default=str(ROOT / "runs" / "bench-imdb-lm"))
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    result = {"benchmark": "lm_imdb", "command": command_line(), "machine": machine()}
    result.update(run(args.overrides, Path(args.out)))
    emit(result)
    if args.write:
        write_section("lm_imdb", to_markdown(result))
    assert math.isfinite(result["final_val_loss"])


if __name__ == "__main__":
    main()
