"""The ``flair`` variant of tag_conll.py (issue 17): contextual string embeddings from two
character language models trained by rnnkit on the text of eng.train only.

Through the ``rnnkit`` command line, each in a subprocess with one torch thread:

1. ``runs/conll2003-train.txt``: the sentences of eng.train, one a line, tokens joined by
   spaces (the command written in examples/conll_lm_fwd.toml, done here in Python);
2. ``rnnkit train examples/conll_lm_fwd.toml`` and ``examples/conll_lm_bwd.toml``;
3. ``rnnkit train examples/tag_conll2003_flair.toml`` per seed, its ``model.contextual``
   pointing at the two LM runs.

The figures of each run are read back from its folder (``metrics.json``, and the per-type
scores on eng.testb from the loaded run).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from _tagging import with_epochs
from rnnkit.data.conll import read_conll
from rnnkit.tasks.runs import load_run

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "rnnkit" / "examples"
LMS = {"fwd": "conll_lm_fwd.toml", "bwd": "conll_lm_bwd.toml"}
WORD_LM = "conll_word_lm.toml"


def training_text(conll: Path, runs: Path) -> Path:
    """The language models' text: eng.train's sentences (never testa or testb)."""
    path = runs / "conll2003-train.txt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        sentences = read_conll(conll / "eng.train")
        path.write_text("".join(" ".join(s.tokens) + "\n" for s in sentences), encoding="utf-8")
    return path


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_train(example: str, run_dir: Path, overrides: list[str]) -> dict:
    """``rnnkit train examples/<example> --set ...`` into ``run_dir``: wall and CPU seconds."""
    cmd = [sys.executable, "-m", "rnnkit.cli.main", "train", str(EXAMPLES / example)]
    cmd += ["--out", str(run_dir), "--overwrite", "--quiet"]
    for item in overrides + ["train.num_threads=1"]:
        cmd += ["--set", item]
    cpu, wall = cpu_of_children(), time.perf_counter()
    subprocess.run(cmd, check=True)
    return {
        "wall_seconds": round(time.perf_counter() - wall, 1),
        "cpu_seconds": round(cpu_of_children() - cpu, 1),
    }


def cached(run_dir: Path, reuse: bool, make) -> dict:
    """``bench.json`` of a finished run with ``reuse``, else ``make()`` written there."""
    path = run_dir / "bench.json"
    if reuse and path.exists():
        return json.loads(path.read_text())
    figures = make()
    path.write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def train_lms(text: Path, runs: Path, steps: int | None, reuse: bool, extra=()) -> dict:
    """The forward and backward LMs: their run folders and figures; ``extra``: more
    ``--set`` overrides of both LMs' examples."""
    out = {}
    for name, example in LMS.items():
        run_dir = runs / f"conll-lm-{name}"
        overrides = [f"data.train={text}"]
        if steps:
            overrides += [f"train.max_steps={steps}", f"train.eval_every={min(100, steps)}"]
        overrides += list(extra)

        def make(run_dir=run_dir, example=example, overrides=overrides):
            times = cli_train(example, run_dir, overrides)
            m = json.loads((run_dir / "metrics.json").read_text())
            keep = ("val_loss", "val_bpc", "step", "train_seconds", "stopped_by")
            return {"run": str(run_dir), **times, **{k: m.get(k) for k in keep}}

        out[name] = cached(run_dir, reuse, make)
    return out


def train_word_lm(text: Path, runs: Path, reuse: bool) -> dict:
    """The word-level LM of examples/conll_word_lm.toml on ``text``, whose input embedding
    gives the tagger its word vectors (``model.vectors``)."""
    run_dir = runs / "conll-word-lm"

    def make():
        times = cli_train(WORD_LM, run_dir, [f"data.train={text}"])
        m = json.loads((run_dir / "metrics.json").read_text())
        keep = ("val_loss", "val_perplexity", "step", "train_seconds", "stopped_by")
        return {"run": str(run_dir), **times, **{k: m.get(k) for k in keep}}

    return cached(run_dir, reuse, make)


def tag_figures(run_dir: Path, seed: int, times: dict) -> dict:
    """The figures of tag_conll.py's table, read from a finished tag run."""
    m = json.loads((run_dir / "metrics.json").read_text())
    loaded = load_run(run_dir, setup=True)
    scores = loaded.task.scores(loaded.model, "test")
    pct = lambda v: None if v is None else 100 * v  # noqa: E731 - rnnkit's 0-1 as percent
    figures = {
        "seed": seed,
        "best_epoch": round(m["best_step"] / loaded.task.steps_per_epoch(), 2),
        "val_f1": pct(m["val_f1"]),
        "test_f1": pct(m.get("test_f1")),
        "test_precision": pct(m.get("test_precision")),
        "test_recall": pct(m.get("test_recall")),
        "per_type_f1": {k: round(100 * c.f1, 2) for k, c in sorted(scores.per_type.items())},
        "train_seconds": m["train_seconds"],
        **times,
        "parameters": sum(p.numel() for p in loaded.model.parameters() if p.requires_grad),
        "run": str(run_dir),
    }
    return with_epochs(figures, run_dir)


def run_flair(
    conll: Path, runs: Path, seeds, epochs, lm_steps, reuse: bool, lm_text=None, lm_set=(),
    word_lm=False, tag_set=(),
) -> dict:  # fmt: skip
    """The whole pipeline: ``{"lms": {fwd, bwd}, "runs": [per seed]}``. The LMs learn from
    ``lm_text`` (a file of ``benchmarks/lm_text.py``) if given, else from eng.train's text. With
    ``word_lm`` a word-level LM on the same text gives the tagger its word vectors;
    ``tag_set``: more ``--set`` items of the tagger."""
    text = Path(lm_text) if lm_text else training_text(conll, runs)
    lms = train_lms(text, runs, lm_steps, reuse, lm_set)
    words = train_word_lm(text, runs, reuse) if word_lm else None
    vectors = [f"model.vectors={words['run']}", "model.vectors_vocab=true"] if words else []
    contextual = "[" + ", ".join(json.dumps(lms[k]["run"]) for k in ("fwd", "bwd")) + "]"
    results = []
    for seed in seeds:
        run_dir = runs / f"conll-flair-s{seed}"
        overrides = (
            [
                f"data.train={conll / 'eng.train'}",
                f"data.validation={conll / 'eng.testa'}",
                f"data.test={conll / 'eng.testb'}",
                f"model.contextual={contextual}",
                f"train.seed={seed}",
            ]
            + ([f"train.epochs={epochs}"] if epochs else [])
            + vectors
            + list(tag_set)
        )

        def make(run_dir=run_dir, overrides=overrides, seed=seed):
            times = cli_train("tag_conll2003_flair.toml", run_dir, overrides)
            return tag_figures(run_dir, seed, times)

        results.append(cached(run_dir, reuse, make))
    sidecar = text.with_name(text.name + ".json")  # what lm_text.py put in the file
    mix = json.loads(sidecar.read_text()) if sidecar.exists() else None
    return {
        "lms": lms, "runs": results, "text": str(text), "text_mix": mix,
        "lm_set": list(lm_set), "word_lm": words,
        "tag_set": list(tag_set),
    }  # fmt: skip


def text_line(mix: dict | None) -> str:
    """What the two LMs read: eng.train's text, or the mix of ``benchmarks/lm_text.py``."""
    head = "Language models (examples/conll_lm_fwd.toml, conll_lm_bwd.toml; their training time "
    if mix is None:
        return head + (
            "is not in the tagger's): each saw only the text of eng.train (its 14,041 sentences, "
            "one a line, tokens joined by spaces: 1.09 M characters), the last 2% of it held out "
            "for validation; never eng.testa or eng.testb."
        )
    parts = ", ".join(
        f"{name} ({src['what']}, {src['characters'] / 1e6:.2f} M characters) x {src['repeat']}"
        for name, src in mix["sources"].items()
    )
    return head + (
        f"is not in the tagger's): each saw the text written by `{mix['command']}`: {parts}, "
        f"shuffled together by document, {mix['characters'] / 1e6:.1f} M characters in all, its "
        "tail held out for validation (`data.validation_fraction` below). Never a test or "
        "validation set of CoNLL-2003 (eng.testa, eng.testb) or EWT (dev, test), nor IMDB's "
        "test reviews."
    )


def lm_lines(lms: dict, mix: dict | None = None, lm_set=()) -> list[str]:
    """RESULTS.md lines on the two language models and the text they saw."""
    lines = [
        text_line(mix) + "".join(f" `--set {item}`" for item in lm_set),
        "",
        "| LM | steps | validation loss (nats/char) | bits/char | minutes wall | minutes CPU |",
        "|---|---|---|---|---|---|",
    ]
    for name, lm in lms.items():
        lines.append(
            f"| {name} | {lm['step']} | {lm['val_loss']:.3f} | {lm['val_bpc']:.3f} | "
            f"{lm['wall_seconds'] / 60:.1f} | {lm['cpu_seconds'] / 60:.1f} |"
        )
    return lines + [""]


def word_lm_lines(lm: dict | None) -> list[str]:
    """RESULTS.md lines on the word-level LM whose embedding gave the word vectors."""
    if lm is None:
        return []
    return [
        "Word vectors (`model.vectors`, with `model.vectors_vocab = true`): the input embedding "
        "of a word-level LSTM LM (examples/conll_word_lm.toml, 100-wide embedding, 512 units, "
        "adaptive softmax over 50,000 lower-cased words) trained on the same text as the "
        f"character LMs: {lm['step']} steps, validation perplexity {lm['val_perplexity']:.1f}, "
        f"{lm['wall_seconds'] / 60:.1f} minutes wall, {lm['cpu_seconds'] / 60:.1f} CPU (not in "
        "the tagger's time either).",
        "",
    ]
