"""A run folder and its logs.

``runs/<name>/`` holds ``config.toml``, ``metrics.csv``, TensorBoard event files under ``tb/``,
``checkpoints/{last,best}.safetensors`` (+ ``.json``), ``predictions.csv``, ``metrics.json``
(the final metrics), ``plots/*.png``, ``report.html``, after an unexpected failure
``error.log``, and the writers' lock ``.lock`` (see :mod:`rnnkit.train.folder`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from pathlib import Path

from rnnkit.config import Config, to_toml
from rnnkit.errors import CheckpointError
from rnnkit.io import atomic_write_text, malformed, read_json


def default_run_dir(config: Config, root: str | Path = "runs") -> Path:
    name = config.name or time.strftime("%Y%m%d-%H%M%S")
    return Path(root) / name


class RunDir:
    """Paths of a run folder, plus the metrics table.

    ``held`` says that this process holds the folder's lock (:func:`rnnkit.train.folder.
    open_run` made it); ``replaces`` is the folder this one will be swapped into when the
    run succeeds (``--overwrite``), and ``final`` is where the run will live.
    """

    def __init__(self, path: str | Path, *, held: bool = False, replaces: Path | None = None):
        self.path = Path(path)
        self.held, self.replaces = held, replaces

    config_toml = property(lambda self: self.path / "config.toml")
    metrics_csv = property(lambda self: self.path / "metrics.csv")
    metrics_json = property(lambda self: self.path / "metrics.json")
    predictions_csv = property(lambda self: self.path / "predictions.csv")
    report_html = property(lambda self: self.path / "report.html")
    plots = property(lambda self: self.path / "plots")
    tensorboard = property(lambda self: self.path / "tb")
    checkpoints = property(lambda self: self.path / "checkpoints")
    last = property(lambda self: self.path / "checkpoints" / "last.safetensors")
    best = property(lambda self: self.path / "checkpoints" / "best.safetensors")
    error_log = property(lambda self: self.path / "error.log")
    final = property(lambda self: self.replaces or self.path)

    def create(self, config: Config) -> None:
        """Start a new run here: the folder, ``plots/`` and ``config.toml``."""
        self.path.mkdir(parents=True, exist_ok=True)
        self.plots.mkdir(exist_ok=True)
        atomic_write_text(self.config_toml, to_toml(config))

    def write_final_metrics(self, metrics: dict) -> None:
        atomic_write_text(self.metrics_json, json.dumps(metrics, indent=2, sort_keys=True) + "\n")

    def read_final_metrics(self) -> dict:
        """``metrics.json`` ({} before the run has finished)."""
        if not self.metrics_json.exists():
            return {}
        return read_json(self.metrics_json, "final metrics of the run")


class MetricsLog:
    """Rows of ``metrics.csv``: one per logged step or evaluation; columns grow as needed.

    The whole table is rewritten atomically at each flush, so the file is always complete.
    """

    FIRST = ["step", "epoch", "train_loss"]

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.rows: list[dict] = []

    def add(self, row: dict) -> None:
        self.rows.append(row)

    def columns(self) -> list[str]:
        cols = list(self.FIRST)
        for row in self.rows:
            cols += [k for k in row if k not in cols]
        return cols

    def flush(self) -> None:
        if self.path is None:
            return
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=self.columns(), lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: _fmt(v) for k, v in row.items()})
        atomic_write_text(self.path, buf.getvalue())

    def load_until(self, step: int) -> None:
        """Keep the rows of steps <= ``step`` from an existing file."""
        if self.path is None or not self.path.exists():
            return
        self.rows += [row for row in self._read() if row.get("step", 0) <= step]

    def restore(self, count: int) -> None:
        """On resume: keep exactly the first ``count`` rows of the file, the rows that the
        checkpoint being resumed had seen flushed (rows written after it are dropped: the
        resumed run writes them again)."""
        if self.path is None:  # the other ranks of a distributed run keep no table
            return
        rows = self._read() if self.path.exists() else []
        if len(rows) < count:
            raise CheckpointError(
                f"{self.path} has {len(rows)} rows, but the checkpoint to resume from counted "
                f"{count}; the metrics of the run are incomplete"
            )
        self.rows = rows[:count]

    def _read(self) -> list[dict]:
        with (
            malformed(self.path, "metrics table"),
            self.path.open(newline="", encoding="utf-8") as f,
        ):
            try:
                rows = list(csv.DictReader(f))
            except csv.Error as err:
                raise ValueError(str(err)) from None
            return [{k: _parse(v) for k, v in row.items() if v != ""} for row in rows]

    def series(self, column: str) -> tuple[list[int], list[float]]:
        pairs = [(r["step"], r[column]) for r in self.rows if r.get(column) not in (None, "")]
        return [p[0] for p in pairs], [float(p[1]) for p in pairs]


def _fmt(value):
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return value


def _parse(text: str):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def read_metrics(path: Path) -> MetricsLog:
    log = MetricsLog(path)
    log.load_until(2**62)
    return log
