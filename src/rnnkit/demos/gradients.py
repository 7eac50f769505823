"""``rnnkit demo gradients``: seed 002's vanishing and exploding gradients, made visible.

1. For a loss at the last step of a sequence of L = 200 steps, the norm of ∂L/∂h_t for every
   t, for a tanh RNN, a ReLU RNN, an LSTM and a GRU of the same hidden size (torch's default
   initialisation), plus a tanh RNN whose W_hh is orthogonal times 1.5 (the exploding regime).
   Computed twice, by rnnkit's NumPy BPTT reference and by torch autograd; they must agree.
2. Training a tanh RNN to recall its first input after 50 steps, in the exploding regime
   (W_hh orthogonal x2, SGD lr 0.05, momentum 0.9), with and without clipping the global
   gradient norm to 1. Without clipping, gradient spikes throw the weights about and the
   network stays at chance; with clipping the task is learned (seeds 0, 1, 2 alike).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from rnnkit import reference
from rnnkit.demos.common import add_common, comparison_report, curves, train
from rnnkit.errors import NonFiniteLossError

KINDS = {  # label -> (reference kind, torch cell, W_hh gain or None for default init)
    "RNN tanh": ("rnn_tanh", lambda h: torch.nn.RNNCell(1, h), None),
    "RNN relu": ("rnn_relu", lambda h: torch.nn.RNNCell(1, h, nonlinearity="relu"), None),
    "LSTM": ("lstm", lambda h: torch.nn.LSTMCell(1, h), None),
    "GRU": ("gru", lambda h: torch.nn.GRUCell(1, h), None),
    "RNN tanh, W_hh orthogonal x1.5": ("rnn_tanh", lambda h: torch.nn.RNNCell(1, h), 1.5),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, "runs/demo-gradients")
    parser.add_argument("--length", type=int, default=200, help="sequence length (default 200)")
    parser.add_argument("--hidden", type=int, default=32, help="hidden size (default 32)")
    parser.add_argument(
        "--epochs", type=int, default=10, help="epochs of the clipping experiment (default 10)"
    )


def autograd_norms(cell, x: torch.Tensor) -> np.ndarray:
    """||∂L/∂h_t|| for L = sum(h_T), stepping the torch cell with retain_grad on each h_t."""
    n, h = x.size(1), cell.hidden_size
    state = torch.zeros(n, h, dtype=x.dtype)
    c = torch.zeros(n, h, dtype=x.dtype)
    hs = []
    for x_t in x:
        if isinstance(cell, torch.nn.LSTMCell):
            state, c = cell(x_t, (state, c))
        else:
            state = cell(x_t, state)
        state.retain_grad()
        hs.append(state)
    hs[-1].sum().backward()
    return np.array([float(h_t.grad.norm()) for h_t in hs])


def gradient_norms(length: int, hidden: int, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    x = torch.randn(length, 1, 1, generator=torch.Generator().manual_seed(seed)).double()
    for label, (kind, make, gain) in KINDS.items():
        torch.manual_seed(seed)
        cell = make(hidden).double()
        if gain is not None:
            torch.nn.init.orthogonal_(cell.weight_hh.data, gain=gain)
        params = {k: v.detach().numpy() for k, v in cell.state_dict().items()}
        h0 = np.zeros((1, hidden))
        ref = reference.gradient_norms_last_step(kind, params, x.numpy(), h0=h0)
        out[label] = (ref, autograd_norms(cell, x))
    return out


def plot_norms(norms, path: Path) -> Path:
    import matplotlib.pyplot as plt

    from rnnkit.report.plots import save

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, (ref, auto) in norms.items():
        (line,) = ax.plot(ref, label=f"{label} (NumPy BPTT)")
        ax.plot(auto, ":", color=line.get_color(), linewidth=3, alpha=0.6)
    ax.set_yscale("log")
    ax.set_xlabel("time step t (the loss is at the last step)")
    ax.set_ylabel("||dL/dh_t||")
    ax.set_title("Gradient norm through time (solid: NumPy reference, dotted: autograd)")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return save(fig, path)


def recall_config(clip: float, args) -> dict:
    return {
        "task": "recall",
        "name": f"recall-clip{clip:g}",
        "data": {"delay": 50, "noise": 0.5, "examples": 2048},
        "model": {
            "cell": "rnn",
            "hidden_size": args.hidden,
            "hh_init": "orthogonal",
            "hh_gain": 2.0,
        },
        "train": {
            "epochs": args.epochs,
            "batch_size": 32,
            "optimizer": "sgd",
            "lr": 0.05,
            "momentum": 0.9,
            "clip_grad_norm": clip,
            "log_every": 4,
            "seed": args.seed,
        },
    }


def _clipping_runs(args: argparse.Namespace, out: Path, rows: list) -> dict[str, Path]:
    """The recall task without and with clipping; adds a row each, returns the run folders."""
    runs = {}
    for clip in (0.0, 1.0):
        run_dir = out / f"recall-clip{clip:g}"
        runs[f"clip {clip:g}" if clip else "no clipping"] = run_dir
        case = f"recall after 50 steps, clip {clip:g}"
        try:
            _, result = train(recall_config(clip, args), run_dir, quiet=True)
            m = result.metrics
            outcome = f"validation MSE {m['val_loss']:.3f}, accuracy {m['val_accuracy']:.3f}"
            rows.append((case, float("nan"), float("nan"), m["val_loss"], m["val_accuracy"]))
        except NonFiniteLossError as err:  # the point of the experiment: it can blow up
            outcome = f"diverged: {str(err).split(';')[0]}"
            rows.append((case, "-", "-", outcome, "-"))
        print(f"recall task, clip_grad_norm={clip:g}: {outcome}")
    return runs


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    norms = gradient_norms(args.length, args.hidden, args.seed)
    rows = []
    for label, (ref, auto) in norms.items():
        rel = float(np.max(np.abs(ref - auto) / np.maximum(np.abs(auto), 1e-300)))
        rows.append((label, ref[-1], ref[0], ref[0] / ref[-1], rel))
        print(
            f"{label:<32} ||dL/dh_T|| {ref[-1]:.3g}  ||dL/dh_0|| {ref[0]:.3g}  "
            f"max rel. diff NumPy vs autograd {rel:.1e}"
        )
    figures = [("Gradient norm through time", plot_norms(norms, out / "grad_norms.png"))]
    runs = _clipping_runs(args, out, rows)
    figures.append(
        (
            "Recall after 50 steps: training loss with and without clipping",
            curves(runs, "train_loss", out / "clip_loss.png", "training MSE"),
        )
    )
    figures.append(
        (
            "Recall after 50 steps: largest gradient norm per logged row",
            curves(runs, "grad_norm_max", out / "clip_gradnorm.png", "gradient norm"),
        )
    )
    header = (
        "case",
        "||dL/dh_T|| or -",
        "||dL/dh_0|| or -",
        "ratio h_0/h_T or val MSE",
        "rel. diff NumPy/autograd or val accuracy",
    )
    report = comparison_report(
        out,
        "Vanishing and exploding gradients (seed 002)",
        " ".join(__doc__.split("\n\n")[1].split()),
        figures,
        rows,
        header,
        runs,
    )
    print(f"report: {report}")
    return 0
