"""What a study leaves: ``best.toml``, ``trials.csv``, ``report.html`` and the leaderboard.

``best.toml`` is the run config of the best trial (the study's config with the trial's
values; the worker thread count is not carried over), ready for ``rnnkit train``.
``trials.csv`` has one row per trial: number, state, value, each searched value, seconds,
the step it was pruned at and its run folder. ``report.html`` shows the leaderboard (each
trial linked to its own report), Optuna's optimisation history, parameter importances and
slice plots (``plots/*.png``).
"""

from __future__ import annotations

import csv
import html
import io
import warnings
from pathlib import Path

from rnnkit.config import config_from_dict, to_toml
from rnnkit.io import atomic_write_text
from rnnkit.report.html import image_tag, write_html
from rnnkit.report.plots import save
from rnnkit.tune.space import with_values
from rnnkit.tune.storage import PAYLOAD


def rows(study) -> list[dict]:
    """One dict per trial, the best first (finished trials by value, then the others)."""
    payload = study.user_attrs[PAYLOAD]
    keys = list(payload["space"])
    out = []
    for t in study.get_trials(deepcopy=False):
        seconds = t.duration.total_seconds() if t.duration is not None else None
        row = {"trial": t.number, "state": t.state.name.lower(), "value": t.value}
        row.update({k: t.params.get(k) for k in keys})
        pruned_at = max(t.intermediate_values) if t.state.name == "PRUNED" else None
        row.update({"seconds": seconds, "pruned_at_step": pruned_at})
        row.update({"run": t.user_attrs.get("run", ""), "error": t.user_attrs.get("error", "")})
        out.append(row)
    sign = -1 if payload["direction"] == "maximize" else 1
    scored = sorted((r for r in out if r["state"] == "complete"), key=lambda r: sign * r["value"])
    return scored + [r for r in out if r["state"] != "complete"]


def write_trials_csv(study_dir: Path, study) -> Path:
    table_rows = sorted(rows(study), key=lambda r: r["trial"])
    buf = io.StringIO()
    fields = list(table_rows[0]) if table_rows else ["trial", "state", "value"]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in table_rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return atomic_write_text(study_dir / "trials.csv", buf.getvalue())


def best_config_text(study) -> str | None:
    """``best.toml``'s text, or None when no trial has finished."""
    payload = study.user_attrs[PAYLOAD]
    complete = [r for r in rows(study) if r["state"] == "complete"]
    if not complete:
        return None
    best = complete[0]
    values = {k: best[k] for k in payload["space"] if best[k] is not None}
    config = config_from_dict(with_values(payload["config"], values))
    head = (
        f"# the best trial of study {study.study_name!r}: trial {best['trial']} "
        f"({best['run']}), {payload['metric']} = {best['value']:.6g}\n"
        f"# run it: rnnkit train best.toml\n"
    )
    return head + to_toml(config)


def leaderboard(study, top: int = 0) -> str:
    """The text table of ``rnnkit tune --show``: rank, trial, state, value, searched values."""
    payload = study.user_attrs[PAYLOAD]
    keys = list(payload["space"])
    listed = rows(study)[: top or None]
    header = ["rank", "trial", "state", payload["metric"], *keys, "run"]
    lines = [header]
    for rank, r in enumerate(listed, 1):
        value = "" if r["value"] is None else f"{r['value']:.6g}"
        shown = ["" if r[k] is None else _short(r[k]) for k in keys]
        lines.append([str(rank), str(r["trial"]), r["state"], value, *shown, r["run"]])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines)


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def write_report(study_dir: Path, study) -> Path:
    """``report.html`` of the study, with its plots in ``plots/``."""
    payload = study.user_attrs[PAYLOAD]
    sections = [("Leaderboard", _linked_table(study_dir, study))]
    for title, path in optuna_plots(study, study_dir / "plots"):
        sections.append((title, image_tag(path) if path else "<p>not enough finished trials</p>"))
    space = "\n".join(f"{k} = {v}" for k, v in payload["space"].items())
    sections.append(("Search space", f"<pre>{html.escape(space)}</pre>"))
    best = best_config_text(study)
    if best is not None:
        sections.append(("best.toml", f"<pre>{html.escape(best)}</pre>"))
    title = f"rnnkit tune {study.study_name} ({payload['config'].get('task')})"
    return write_html(study_dir / "report.html", title, sections)


def _linked_table(study_dir: Path, study) -> str:
    """The leaderboard as HTML, each trial's run folder linked to its own report."""
    payload = study.user_attrs[PAYLOAD]
    keys = list(payload["space"])
    header = ("rank", "trial", "state", payload["metric"], *keys, "run")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    lines = [f"<table><tr>{head}</tr>"]
    for rank, r in enumerate(rows(study), 1):
        cells = [rank, r["trial"], r["state"], r["value"], *[r[k] for k in keys]]
        tds = "".join(_cell(v) for v in cells)
        report = f"{r['run']}/report.html"
        run = html.escape(r["run"])
        if r["run"] and (study_dir / report).is_file():
            run = f'<a href="{html.escape(report)}">{run}</a>'
        lines.append(f"<tr>{tds}<td>{run}</td></tr>")
    return "".join(lines) + "</table>"


def _cell(value) -> str:
    if isinstance(value, float):
        return f'<td class="num">{value:.6g}</td>'
    return f"<td>{'' if value is None else html.escape(str(value))}</td>"


def optuna_plots(study, folder: Path) -> list[tuple[str, Path | None]]:
    """Optuna's matplotlib figures as PNGs: (title, path), path None when the study has too
    few finished trials for it."""
    from optuna import visualization

    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        "Optimisation history": ("history", visualization.matplotlib.plot_optimization_history),
        "Parameter importances": ("importances", visualization.matplotlib.plot_param_importances),
        "Slice plots": ("slice", visualization.matplotlib.plot_slice),
    }
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    out = []
    for title, (stem, plot) in figures.items():
        if len(complete) < 2:
            out.append((title, None))
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Optuna marks these plots experimental
            try:
                axes = plot(study)
            except (ValueError, RuntimeError):  # e.g. importances of values that never varied
                out.append((title, None))
                continue
        first = axes.flat[0] if hasattr(axes, "flat") else axes
        out.append((title, save(first.figure, folder / f"{stem}.png")))
    return out


def write_results(study_dir: Path, study) -> dict[str, Path]:
    """All of the study's results; returns their paths."""
    paths = {"trials": write_trials_csv(study_dir, study)}
    best = best_config_text(study)
    if best is not None:
        paths["best"] = atomic_write_text(study_dir / "best.toml", best)
    paths["report"] = write_report(study_dir, study)
    return paths


__all__ = ["best_config_text", "leaderboard", "rows", "write_results"]
