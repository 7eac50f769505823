"""A progress bar with loss and throughput (only on a terminal), TensorBoard's writer, and the
end-of-run summary."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def tensorboard(folder: Path, purge_step: int | None):
    """A TensorBoard ``SummaryWriter`` into ``folder`` (events after ``purge_step`` are dropped,
    on resume), or None when TensorBoard is missing."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # pragma: no cover - tensorboard is a dependency
        return None
    return SummaryWriter(str(folder), purge_step=purge_step)


class Progress:
    """rich's progress bar when stdout is a terminal and output is wanted, else nothing."""

    def __init__(self, total: int, done: int = 0, enabled: bool = True) -> None:
        self.bar = None
        if not enabled or not sys.stdout.isatty():
            return
        from rich.progress import (
            BarColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        self.bar = RichProgress(
            TextColumn("[bold]train"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("{task.fields[rate]} steps/s"),
            TimeRemainingColumn(),
            transient=False,
        )
        self.bar.start()
        self.task = self.bar.add_task("train", total=total, completed=done, loss="-", rate="-")
        self.start, self.first = time.perf_counter(), done

    def update(self, step: int, loss: float) -> None:
        if self.bar is None:
            return
        rate = (step - self.first) / max(1e-9, time.perf_counter() - self.start)
        self.bar.update(self.task, completed=step, loss=f"{loss:.4g}", rate=f"{rate:.1f}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def print_summary(result, file=sys.stdout) -> None:
    """A table of the final metrics and where the run folder is."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"run {result.run_dir}", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.metrics.items():
        text = f"{value:.6g}" if isinstance(value, float) else str(value)
        table.add_row(key, text)
    console = Console(file=file, width=100)
    console.print(table)
    console.print(f"report: {result.run_dir / 'report.html'}")
