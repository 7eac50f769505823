"""Runnable walk-throughs of the seed articles: ``rnnkit demo NAME``.

Each demo is a module with ``add_arguments(parser)`` and ``run(args) -> exit code``.
"""

from __future__ import annotations

import importlib

# name -> (module, one-line help)
DEMOS: dict[str, tuple[str, str]] = {
    "shapes": ("rnnkit.demos.shapes", "seed 002: every input/output/state shape, the h0 mistake"),
    "cell": ("rnnkit.demos.cell", "seed 001: an RNNCell stepped over time equals the RNN layer"),
    "sincos": ("rnnkit.demos.sincos", "seed 000: sin -> cos with a carried hidden state"),
    "fc-vs-rnn": ("rnnkit.demos.fc_vs_rnn", "seed 003: fully connected vs RNN on daily data"),
    "gradients": ("rnnkit.demos.gradients", "seed 002: vanishing/exploding gradients, clipping"),
    "elman-vs-jordan": ("rnnkit.demos.elman_vs_jordan", "seed 003: Elman vs Jordan networks"),
    "names": ("rnnkit.demos.names", "seed 003: from-scratch char RNN vs LSTM, name -> language"),
    "dates": ("rnnkit.demos.dates", "seq2seq with attention: human dates -> ISO dates"),
    "parallel-scan": ("rnnkit.demos.parallel_scan", "MinGRU's scan tree vs the chain, timed"),
}


def load(name: str):
    return importlib.import_module(DEMOS[name][0])
