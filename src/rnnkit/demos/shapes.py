"""``rnnkit demo shapes``: every shape of a recurrent layer, and the batch-first h0 mistake.

The seed 002 walk-through: a 2-layer RNN with input size 10 and hidden size 3 over a batch
of sequences, then a Linear(3 -> 2) head, printed for ``batch_first`` off and on, one and two
directions, and for the LSTM and GRU.
"""

from __future__ import annotations

import argparse

import torch

from rnnkit.nn import recurrent

LEGEND = "N = batch, L = sequence length, D = directions, H_in = input size, H_out = hidden size"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", type=int, default=4, help="N, the batch size (default 4)")
    parser.add_argument("--length", type=int, default=3, help="L, the sequence length (default 3)")
    parser.add_argument(
        "--backend", choices=["native", "scratch"], default="native", help="engine (default native)"
    )


def _row(label: str, tensor: torch.Tensor) -> str:
    return f"  {label:<10} {tuple(tensor.shape)}"


def run(args: argparse.Namespace) -> int:
    torch.manual_seed(0)
    n, length, h_in, h_out, layers = args.batch, args.length, 10, 3, 2
    print(f"Shapes of a {layers}-layer RNN, input_size={h_in}, hidden_size={h_out}")
    print(f"({LEGEND})\n")
    for kind in ("rnn", "lstm", "gru"):
        for bidirectional in (False, True):
            for batch_first in (False, True):
                rnn = recurrent(
                    kind,
                    backend=args.backend,
                    input_size=h_in,
                    hidden_size=h_out,
                    num_layers=layers,
                    batch_first=batch_first,
                    bidirectional=bidirectional,
                )
                d = 2 if bidirectional else 1
                x = torch.randn(n, length, h_in) if batch_first else torch.randn(length, n, h_in)
                out, state = rnn(x)
                print(
                    f"{kind.upper()} batch_first={batch_first} bidirectional={bidirectional}"
                    f" (D={d})"
                )
                print(_row("input", x), "  (N, L, H_in)" if batch_first else "  (L, N, H_in)")
                print(
                    _row("output", out), "  (N, L, D*H_out)" if batch_first else "  (L, N, D*H_out)"
                )
                states = state if isinstance(state, tuple) else (state,)
                for name, s, h in zip(("h_n", "c_n"), states, ("H_out", "H_cell")):
                    print(_row(name, s), f"  (D*num_layers, N, {h}): never batch-first")
                if kind == "rnn" and not bidirectional:
                    head = torch.nn.Linear(h_out, 2)
                    print(_row("Linear", head(out)), "  Linear(3 -> 2) applied at every step")
                print()

    print("The seed's mistake: h0 built as (N, num_layers, H_out) because batch_first=True.")
    rnn = recurrent(
        "rnn",
        backend=args.backend,
        input_size=h_in,
        hidden_size=h_out,
        num_layers=layers,
        batch_first=True,
    )
    x = torch.randn(n, length, h_in)
    try:
        rnn(x, torch.zeros(n, layers, h_out))
        print(f"  N={n} equals num_layers={layers}, so the wrong h0 has the right shape and runs")
        print("  silently with the batch and layer axes mixed up; no check can tell them apart.")
    except ValueError as err:
        print(f"  ValueError: {err}")
    h0 = torch.zeros(layers, n, h_out)
    out, h_n = rnn(x, h0)
    print(
        f"  with h0 of shape {tuple(h0.shape)}: output {tuple(out.shape)}, h_n {tuple(h_n.shape)}"
    )
    return 0
