"""Every kind of report references only files that exist, and shows what it promises: dates
and y-labels on forecast plots, a ranked forecast comparison with links and one overlay plot,
attention with a colour bar, tagging rates on 0-1, TensorBoard's test metrics and hparams."""

from __future__ import annotations

import base64
import re

import pandas as pd
import pytest

import rnnkit
from rnnkit.cli.main import main


def images(report) -> list[bytes]:
    text = report.read_text(encoding="utf-8")
    return [base64.b64decode(d) for d in re.findall(r'src="data:image/png;base64,([^"]+)"', text)]


@pytest.mark.parametrize("fixture", ["classifier", "tagger", "language_model", "translator"])
def test_run_reports_of_the_text_tasks(fixture, request, report_ok):
    run = request.getfixturevalue(fixture).path
    assert report_ok(run / "report.html")
    assert all(png.startswith(b"\x89PNG") for png in images(run / "report.html"))


def test_generated_task_reports(tmp_path, report_ok):
    for task in ("sincos", "recall", "regress"):
        rnnkit.fit(task, out=tmp_path / task, train__max_steps=10, train__epochs=1, quiet=True)
        assert report_ok(tmp_path / task / "report.html")
        assert len(images(tmp_path / task / "report.html")) >= 2


def test_tagging_report_and_metrics_use_0_1(tagger):
    metrics = tagger.metrics
    assert 0.0 <= metrics["val_f1"] <= 1.0 and 0.0 <= metrics["val_accuracy"] <= 1.0
    report = (tagger.path / "report.html").read_text()
    row = re.search(r"<td>all \(micro\)</td>((?:<td[^>]*>[^<]*</td>){3})", report).group(1)
    precision, recall, f1 = (float(v) for v in re.findall(r">([^<]+)</td>", row))
    assert f1 == pytest.approx(metrics["val_f1"], abs=1e-4) and max(precision, recall) <= 1.0


def test_attention_map_has_a_colour_bar(translator):
    from PIL import Image

    png = translator.path / "plots" / "attention.png"
    width, height = Image.open(png).size
    # three panels of about 4.2 inches each, plus the colour bar on the right
    assert width > 3 * 4.2 * 110 * 0.9


def test_forecast_compare_is_ranked_linked_and_overlaid(tmp_path, report_ok, capsys):
    out = tmp_path / "cmp"
    args = ["forecast", "compare", "--data", "rnnkit:airpassengers", "--horizon", "12"]
    args += ["--models", "naive,seasonal_naive,drift", "--out", str(out)]
    assert main(args) == 0
    table = pd.read_csv(out / "compare.csv")
    assert list(table["owa"]) == sorted(table["owa"])  # ranked by OWA
    assert list(table["best"]) == [True, False, False]
    assert table["model"][0] == "seasonal_naive"  # the obvious winner on a seasonal series
    report = (out / "report.html").read_text()
    for kind in ("naive", "seasonal_naive", "drift"):
        assert f'<a href="{kind}/report.html">{kind}</a>' in report
        assert report_ok(out / kind / "report.html")
    assert report_ok(out / "report.html")
    assert "<b>best</b>" in report and len(images(out / "report.html")) == 1
    assert (out / "plots" / "overlay.png").exists()


def test_forecast_plots_have_dates_and_a_y_label(tmp_path):
    import matplotlib

    from rnnkit.report import forecast as plots

    seen = {}
    original = plots.plt.subplots

    def spy(*args, **kwargs):
        fig, axes = original(*args, **kwargs)
        seen["figure"] = fig
        return fig, axes

    fc = rnnkit.fit(
        "forecast",
        out=tmp_path / "air",
        data__horizon=12,
        model__kind="seasonal_naive",
        quiet=True,
    )
    test = fc.task.test_forecast(fc.model) if hasattr(fc.task, "test_forecast") else None
    assert test is not None and test["stamps"][0] is not None
    plots.plt.subplots = spy
    try:
        plots.forecast_vs_actual(
            test["history"], test["actual"], test["forecast"], test["ids"], [],
            tmp_path / "f.png", stamps=test["stamps"],
        )  # fmt: skip
    finally:
        plots.plt.subplots = original
    (ax,) = seen["figure"].axes
    assert ax.get_xlabel() == "date" and ax.get_ylabel() == "#Passengers (data units)"
    first = matplotlib.dates.num2date(ax.lines[1].get_xdata(orig=False)[0])
    assert first.strftime("%Y-%m") == "1960-01"  # the first test month, as a date


def test_tensorboard_gets_test_metrics_and_hparams(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    rnnkit.fit("regress", out=tmp_path / "r", train__max_steps=10, train__epochs=1, quiet=True)
    scalars, plugins = set(), set()
    for events in sorted((tmp_path / "r" / "tb").iterdir()):
        acc = EventAccumulator(str(events))
        acc.Reload()
        scalars |= set(acc.Tags()["scalars"])
        plugins |= set(acc.summary_metadata)
    assert {"train/loss", "val/loss", "test/loss", "test/rmse_next"} <= scalars
    assert "final/test_rmse_next" in scalars
    assert "_hparams_/session_start_info" in plugins
