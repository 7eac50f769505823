"""``rnnkit demo cell``: one RNNCell stepped over time is the one-layer RNN (seed 001)."""

from __future__ import annotations

import argparse

import torch

from rnnkit.nn import RNN, RNNCell


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=["native", "scratch"],
        default="native",
        help="engine of the RNN layer compared with the cell (default native)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def run(args: argparse.Namespace) -> int:
    torch.manual_seed(args.seed)
    cell = RNNCell(input_size=4, hidden_size=2)
    x = torch.randn(3, 1, 4)  # (L, N, H_in): seq_len 3, batch 1, 4 features
    h = torch.zeros(1, 2)  # (N, H)
    print("RNNCell(input_size=4, hidden_size=2): one shared cell applied at every step")
    print(f"data {tuple(x.shape)} = (seq_len, batch, input_size); h0 {tuple(h.shape)}\n")
    steps = []
    for t, x_t in enumerate(x):
        h = cell(x_t, h)  # h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
        steps.append(h)
        values = ", ".join(f"{v:+.4f}" for v in h[0].tolist())
        print(f"t={t}: input {tuple(x_t.shape)}  hidden {tuple(h.shape)}  h_t = [{values}]")

    layer = RNN(input_size=4, hidden_size=2, backend=args.backend)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(layer, name + "_l0").copy_(getattr(cell, name))
    out, h_n = layer(x)
    diff = (out - torch.stack(steps)).abs().max().item()
    print(f"\nRNN(4, 2, backend={args.backend!r}) with the cell's weights, in one call:")
    print(
        f"output {tuple(out.shape)}, h_n {tuple(h_n.shape)}; "
        f"max |RNN output - cell steps| = {diff:.2e}"
    )
    print("same computation" if diff < 1e-6 else "MISMATCH")
    return 0 if diff < 1e-6 else 1
