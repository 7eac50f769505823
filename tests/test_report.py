from __future__ import annotations

import numpy as np

from rnnkit.report import image_tag, table, write_html
from rnnkit.report.confusion import confusion_counts, plot_confusion
from rnnkit.report.plots import spans_decades


def test_confusion_counts_and_plot(tmp_path):
    counts = confusion_counts([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], 3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    path = plot_confusion(counts, ["a", "b", "c"], tmp_path / "c.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_html_report_is_self_contained(tmp_path):
    png = plot_confusion(np.eye(2, dtype=int), ["x", "y"], tmp_path / "p.png")
    out = write_html(
        tmp_path / "r.html",
        "t <&>",
        [("Figure", image_tag(png)), ("Table", table([("a", 1.5)], ("k", "v")))],
    )
    text = out.read_text()
    assert "data:image/png;base64," in text and "t &lt;&amp;&gt;" in text
    assert '<td class="num">1.5</td>' in text and 'src="p.png"' not in text


def test_log_scale_rule():
    assert spans_decades([1.0, 0.05]) and not spans_decades([1.0, 0.5])
