"""``rnnkit demo parallel-scan``: why MinGRU trains in parallel over time while a GRU cannot.

A GRU's step t needs h_{t-1} inside its gates: L steps, one after the other. MinGRU's gates
read x_t only, so h_t = a_t h_{t-1} + b_t is a *linear* recurrence, and the pairs (a, b)
compose associatively. The demo prints (1) the dependency tree of the scan that
:mod:`rnnkit.nn.scan` runs (Brent-Kung: log2(L) up-sweep levels that combine neighbouring
blocks, then the down-sweep levels that complete every prefix) beside the sequential chain,
(2) that the scan and the step loop give the same states, and (3) their measured times
against L.
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from rnnkit.errors import ConfigError
from rnnkit.nn.minscan import min_scan
from rnnkit.nn.scan import step_loop, tree_levels


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tree-length", type=int, default=8, help="L of the printed tree (default 8)"
    )
    parser.add_argument(
        "--lengths",
        type=int,
        nargs="+",
        default=[64, 128, 256, 512, 1024, 2048],
        help="sequence lengths to time (default 64 ... 2048)",
    )
    parser.add_argument("--batch", type=int, default=8, help="N of the timed runs (default 8)")
    parser.add_argument("--hidden", type=int, default=64, help="H of the timed runs (default 64)")
    parser.add_argument("--repeats", type=int, default=3, help="best of N timings (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def tree_text(length: int) -> list[str]:
    """The chain and the scan's levels for ``length`` steps, one line per level."""
    width = len(str(length - 1)) + 1
    lines = [
        f"Sequential chain (GRU, or MinGRU stepping): {length} dependent steps",
        "  t: " + " -> ".join(str(t) for t in range(length)),
        "",
        f"Parallel scan: {len(tree_levels(length))} levels; each marked t absorbs the block "
        "ending at t - stride, all at once",
        "  " + " " * 13 + "".join(f"{t:>{width}}" for t in range(length)),
    ]
    for phase, stride, targets, sources in tree_levels(length):
        marks = ["."] * length
        for t in range(length)[targets]:
            marks[t] = "o"
        pairs = ", ".join(
            f"{t}<-{s}" for t, s in zip(range(length)[targets], range(length)[sources])
        )
        label = f"{phase:>4} s={stride:<4}"
        lines.append(f"  {label:<13}" + "".join(f"{m:>{width}}" for m in marks) + f"   {pairs}")
    return lines


def _best_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def timing_rows(lengths: list[int], batch: int, hidden: int, repeats: int) -> list[str]:
    lines = [
        f"Time of the recurrence alone, forward, N={batch}, H={hidden}, "
        f"{torch.get_num_threads()} thread(s), best of {repeats}:",
        f"  {'L':>6} {'levels':>7} {'step loop ms':>13} {'scan ms':>9} {'loop/scan':>10}",
    ]
    for length in lengths:
        kp = torch.randn(length, batch, 2 * hidden)
        h0 = torch.zeros(batch, hidden)
        with torch.no_grad():
            k, p = kp[..., :hidden], kp[..., hidden:]
            loop = _best_ms(lambda k=k, p=p, h0=h0: step_loop(k, p, h0), repeats)
            scan = _best_ms(lambda kp=kp, h0=h0: min_scan(kp, h0), repeats)
        levels = len(tree_levels(length))
        lines.append(f"  {length:>6} {levels:>7} {loop:>13.2f} {scan:>9.2f} {loop / scan:>9.1f}x")
    return lines


def run(args: argparse.Namespace) -> int:
    for name in ("tree_length", "batch", "hidden", "repeats"):
        if getattr(args, name) < 1:
            flag = "--" + name.replace("_", "-")
            raise ConfigError(f"{flag} must be a positive integer, received {getattr(args, name)}")
    if min(args.lengths) < 1:
        raise ConfigError(f"--lengths must be positive integers, received {min(args.lengths)}")
    torch.manual_seed(args.seed)
    print("\n".join(tree_text(args.tree_length)))
    length = max(args.lengths)
    kp = 2 * torch.randn(length, 2, 16, dtype=torch.float64)
    h0 = torch.randn(2, 8, dtype=torch.float64)
    diff = (min_scan(kp, h0) - step_loop(kp[..., :8], kp[..., 8:], h0)).abs().max().item()
    levels = 2 * math.ceil(math.log2(length)) - 1 if length > 1 else 0
    print(
        f"\nL={length}: {length} chained steps against a tree of at most {levels} levels; "
        f"max |scan - step loop| = {diff:.1e} (float64)\n"
    )
    print("\n".join(timing_rows(args.lengths, args.batch, args.hidden, args.repeats)))
    print(
        "\nThe loop's time grows with L (one small step after another); the scan does about "
        "3 L elementwise\nupdates in 2 log2(L) vectorised levels, and its backward is the "
        "same scan run right to left."
    )
    return 0 if diff < 1e-10 else 1
