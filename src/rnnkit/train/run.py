"""A run folder and its logs.

``runs/<name>/`` holds ``config.toml``, ``metrics.csv``, TensorBoard event files under ``tb/``,
``checkpoints/{last,best}.safetensors`` (+ ``.json``), ``predictions.csv``, ``metrics.json``
(the final metrics), ``plots/*.png``, ``report.html`` and, after an unexpected failure,
``error.log``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import time
from pathlib import Path

from rnnkit.config import Config, to_toml
from rnnkit.io import atomic_write_text


def default_run_dir(config: Config, root: str | Path = "runs") -> Path:
    name = config.name or time.strftime("%Y%m%d-%H%M%S")
    return Path(root) / name


class RunDir:
    """Paths of a run folder, plus the metrics table."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

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

    def create(self, config: Config, overwrite: bool = False) -> None:
        """Start a new run here; a folder that already holds one needs ``overwrite``."""
        if self.checkpoints.exists() or self.metrics_csv.exists():
            if not overwrite:
                from rnnkit.errors import RunError

                raise RunError(
                    f"{self.path} already holds a run; continue it with --resume {self.path}, "
                    f"or choose another --out"
                )
            for path in (self.checkpoints, self.tensorboard, self.plots):
                shutil.rmtree(path, ignore_errors=True)
            for path in (
                self.metrics_csv,
                self.metrics_json,
                self.predictions_csv,
                self.report_html,
                self.error_log,
            ):
                path.unlink(missing_ok=True)
        self.path.mkdir(parents=True, exist_ok=True)
        self.plots.mkdir(exist_ok=True)
        atomic_write_text(self.config_toml, to_toml(config))

    def write_final_metrics(self, metrics: dict) -> None:
        atomic_write_text(self.metrics_json, json.dumps(metrics, indent=2, sort_keys=True) + "\n")

    def read_final_metrics(self) -> dict:
        return json.loads(self.metrics_json.read_text()) if self.metrics_json.exists() else {}


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
        """On resume: keep the rows of steps <= ``step`` from an existing file."""
        if self.path is None or not self.path.exists():
            return
        with self.path.open(newline="") as f:
            for row in csv.DictReader(f):
                parsed = {k: _parse(v) for k, v in row.items() if v != ""}
                if parsed.get("step", 0) <= step:
                    self.rows.append(parsed)

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
