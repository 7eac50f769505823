"""Run reports: ``report.html`` with the config, final metrics, loss and gradient-norm curves
and the task's own plots (PNG files saved in ``plots/`` next to it)."""

from __future__ import annotations

import html as html_lib
from pathlib import Path

from rnnkit.report.html import image_tag, table, write_html
from rnnkit.report.plots import run_plots
from rnnkit.train.run import RunDir, read_metrics


def write_report(run_dir: str | Path, task, model, state=None) -> Path:
    """(Re)build ``report.html`` of a run from its folder and its trained ``task``/``model``
    (``rnnkit report RUN`` reloads them with :func:`rnnkit.tasks.runs.load_run`)."""
    run = RunDir(run_dir)
    run.plots.mkdir(parents=True, exist_ok=True)
    log = read_metrics(run.metrics_csv)
    metrics = run.read_final_metrics()
    figures = run_plots(log, run.plots) + task.plots(model, run.plots, state=state)
    sections = [("Final metrics", table([(k, v) for k, v in metrics.items()], ("metric", "value")))]
    sections += [(title, image_tag(path)) for title, path in figures]
    sections += task.report_sections(model)
    sections.append(("Config", f"<pre>{html_lib.escape(run.config_toml.read_text())}</pre>"))
    return write_html(run.report_html, f"rnnkit run {run.path.name} ({task.name})", sections)


__all__ = ["write_report", "image_tag", "table", "write_html"]
