"""``rnnkit demo dates``: an encoder-decoder with attention learns to read dates written in
many human formats ("the 3rd of March, 1987", "03/03/87", "Dienstag, 3. März 1987") and to
write them as ISO dates (1987-03-03). The corpus is generated here, seeded
(:mod:`rnnkit.data.dates`); ``--tsv DIR`` writes it as ``train.tsv``, ``validation.tsv`` and
``test.tsv`` for ``format = "tsv"`` configs instead of training.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rnnkit.config import CELLS
from rnnkit.demos.common import add_common, train


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, "runs/demo-dates")
    parser.add_argument(
        "--examples", type=int, default=10000, help="training pairs (default 10000)"
    )
    parser.add_argument("--epochs", type=int, default=6, help="training epochs (default 6)")
    parser.add_argument("--cell", choices=CELLS, default="gru", help="recurrent cell (default gru)")
    parser.add_argument(
        "--attention",
        choices=["additive", "multiplicative", "dot"],
        default="additive",
        help="attention score (default additive, Bahdanau's)",
    )
    parser.add_argument("--beam", type=int, default=1, help="beam width (default 1: greedy)")
    parser.add_argument(
        "--tsv", metavar="DIR", help="only write the corpus as TSV files into DIR and stop"
    )


def config(args: argparse.Namespace) -> dict:
    return {
        "task": "seq2seq",
        "name": "demo-dates",
        "data": {
            "format": "dates",
            "examples": args.examples,
            "validation_examples": 500,
            "test_examples": 1000,
            "dates_seed": args.seed,
        },
        "model": {
            "cell": args.cell,
            "hidden_size": 64,
            "embedding_dim": 32,
            "bidirectional": True,
            "attention": args.attention,
            "beam_size": args.beam,
        },
        "train": {
            "epochs": args.epochs,
            "batch_size": 64,
            "lr": 0.005,
            "schedule": "cosine",
            "seed": args.seed,
            "log_every": 20,
        },
    }


def write_corpus(args: argparse.Namespace) -> int:
    from rnnkit.data.dates import corpus, write_tsv

    folder = Path(args.tsv)
    sizes = {"train": args.examples, "validation": 500, "test": 1000}
    for name, pairs in corpus(sizes, seed=args.seed).items():
        print(f"{write_tsv(folder / f'{name}.tsv', pairs)}: {len(pairs)} pairs")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.tsv:
        return write_corpus(args)
    out = Path(args.out)
    _, result = train(config(args), out, quiet=args.quiet)
    m = result.metrics
    print(
        f"held-out test: exact match {m['test_exact_match']:.2%}, character accuracy "
        f"{m['test_char_accuracy']:.2%}"
        + (f", BLEU {m['test_bleu']:.1f}" if "test_bleu" in m else "")
        + f" ({result.state.train_seconds:.0f} s of training)"
    )
    from rnnkit.api import load

    sources = ["the 3rd of March, 1987", "03/03/87", "Dienstag, 3. März 1987", "1er mai 2024"]
    for source, output in zip(sources, load(out).translate(sources)):
        print(f"  {source:<26} -> {output}")
    print(f"report (attention heat maps): {out / 'report.html'}")
    return 0
