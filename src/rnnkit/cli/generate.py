"""``rnnkit generate RUN [--prime TEXT] [--length N] [--temperature T] [--top-k K]
[--top-p P] [--seed S] [--condition NAME] [-n N]``: sample from a trained language model."""

from __future__ import annotations

import argparse


def register(sub, help_text: str) -> None:
    p = sub.add_parser(
        "generate",
        help=help_text,
        description="Sample text from a trained language model: continue a priming text, or "
        "write lines (e.g. names) for a category of a conditional model.",
    )
    p.add_argument("run", help="the run folder of a task lm run")
    p.add_argument(
        "--prime",
        default="",
        help="text to start from (default: a newline for a text model, nothing for a "
        "conditional one, whose samples then start with this text)",
    )
    p.add_argument(
        "--length",
        type=int,
        default=None,
        help="characters to generate (default 500 for a text, 30 per line for a conditional model)",
    )
    p.add_argument(
        "--temperature",
        type=float,
        default=0.8,
        help="divide the logits by this (default 0.8; 0 = greedy, the most likely character)",
    )
    p.add_argument(
        "--top-k", type=int, default=0, help="sample among the k most likely characters (0 = all)"
    )
    p.add_argument(
        "--top-p",
        type=float,
        default=1.0,
        help="sample among the most likely characters holding this probability mass (1 = all)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed of the sampler (default 0)")
    p.add_argument(
        "--condition", help="the category of a conditional model, e.g. Russian for the names"
    )
    p.add_argument("-n", type=int, default=1, help="number of samples (default 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rnnkit.api import load
    from rnnkit.errors import ConfigError

    predictor = load(args.run)
    if not hasattr(predictor, "generate"):
        raise ConfigError(
            f"{args.run} is a {predictor.task.name!r} run; rnnkit generate samples from task "
            f"'lm' runs"
        )
    samples = predictor.generate(
        prime=args.prime,
        length=args.length,
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        seed=args.seed,
        condition=args.condition,
        n=args.n,
    )
    separator = "\n" if predictor.categories else "\n\n"
    print(separator.join(samples))
    return 0
