"""Attention heat maps: which source tokens each output token looked at."""

from __future__ import annotations

from pathlib import Path

from torch import Tensor

from rnnkit.report.plots import plt, save


def plot_attention(
    panels: list[tuple[list[str], list[str], Tensor]], path: Path, title: str = ""
) -> Path:
    """One heat map per ``(source tokens, output tokens, weights)``; ``weights`` is
    ``(len(output), len(source))`` with rows summing to 1 (extra labels are dropped). One
    colour bar (0-1, the weight) serves every panel."""
    if not panels:
        raise ValueError("plot_attention needs at least one (source, output, weights) panel")
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False, constrained_layout=True
    )
    for ax, (source, output, weights) in zip(axes[0], panels):
        w = weights.detach().float().cpu().numpy()
        image = ax.imshow(w, cmap="Greys", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(w.shape[1]), [t if t.strip() else "␣" for t in source[: w.shape[1]]])
        ax.set_yticks(range(w.shape[0]), output[: w.shape[0]])
        ax.tick_params(axis="x", labelsize=7, rotation=90)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_xlabel("source")
        ax.set_ylabel("output")
    fig.colorbar(image, ax=list(axes[0]), shrink=0.85, label="attention weight")
    if title:
        fig.suptitle(title)
    return save(fig, path)
