"""The seed demos run, print what they promise and meet their bounds."""

from __future__ import annotations

import pytest

from rnnkit.cli.main import main


def test_shapes_prints_every_case_and_the_h0_message(capsys):
    assert main(["demo", "shapes"]) == 0
    out = capsys.readouterr().out
    assert "RNN batch_first=True bidirectional=True (D=2)" in out
    assert "output     (4, 3, 6)   (N, L, D*H_out)" in out
    assert "c_n        (4, 4, 3)   (D*num_layers, N, H_cell): never batch-first" in out
    assert "the initial state is never batch-first, use h0.transpose(0, 1).contiguous()" in out


def test_shapes_explains_when_the_mistake_cannot_be_caught(capsys):
    assert main(["demo", "shapes", "--batch", "2"]) == 0
    assert "no check can tell them apart" in capsys.readouterr().out


@pytest.mark.parametrize("backend", ["native", "scratch"])
def test_cell_equals_layer(capsys, backend):
    assert main(["demo", "cell", "--backend", backend]) == 0
    out = capsys.readouterr().out
    assert "t=2: input (1, 4)  hidden (1, 2)" in out
    assert "same computation" in out


def test_sincos_meets_the_seed_bound(tmp_path, capsys):
    """Seed 000: MSE <= 1e-3 from step 300 to step 1000 (the default seed)."""
    assert main(["demo", "sincos", "--out", str(tmp_path / "s"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "meets the bound 0.001" in out
    from rnnkit.demos.sincos import bound_met

    ok, worst = bound_met(tmp_path / "s")
    assert ok and worst <= 1e-3
    for name in ("report.html", "plots/loss.png", "plots/sincos.png", "predictions.csv"):
        assert (tmp_path / "s" / name).exists()


def test_sincos_other_cells_run(tmp_path):
    for cell in ("lstm", "jordan"):
        args = ["demo", "sincos", "--cell", cell, "--optimizer", "adam", "--steps", "50"]
        assert main([*args, "--out", str(tmp_path / cell), "--quiet"]) == 0


def test_fc_vs_rnn_short(tmp_path, capsys, report_ok):
    assert main(["demo", "fc-vs-rnn", "--epochs", "2", "--out", str(tmp_path / "f")]) == 0
    out = capsys.readouterr().out
    assert out.count("test window MSE") == 4
    html = (tmp_path / "f" / "report.html").read_text()
    assert "train window MSE" in html and "data:image/png;base64" in html
    assert (tmp_path / "f" / "rnn-h2" / "plots" / "overlay_final.png").exists()
    assert report_ok(tmp_path / "f" / "report.html")  # its links to each run's report work


def test_gradients_reference_agrees_with_autograd(tmp_path, capsys):
    args = ["demo", "gradients", "--length", "40", "--epochs", "1", "--out", str(tmp_path / "g")]
    assert main(args) == 0
    out = capsys.readouterr().out
    diffs = [float(line.split("autograd ")[1]) for line in out.splitlines() if "autograd" in line]
    assert len(diffs) == 5 and max(diffs) < 1e-8
    assert (tmp_path / "g" / "grad_norms.png").exists()


def test_elman_vs_jordan_short(tmp_path, capsys, report_ok):
    args = ["demo", "elman-vs-jordan", "--steps", "60", "--out", str(tmp_path / "e")]
    assert main(args) == 0
    assert (tmp_path / "e" / "loss.png").exists()
    assert report_ok(tmp_path / "e" / "report.html")
    assert "Jordan" in capsys.readouterr().out
