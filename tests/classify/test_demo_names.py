"""``rnnkit demo names`` runs end to end (one epoch here) and prints what it promises."""

from __future__ import annotations

from rnnkit.cli.main import main


def test_demo_names_prints_accuracies_predictions_and_report(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "names", "--out", str(out), "--epochs", "1"]) == 0
    printed = capsys.readouterr().out
    assert "scratch003 test accuracy 0." in printed and "lstm       test accuracy 0." in printed
    assert "always answering Russian: test accuracy 0.469, balanced accuracy 0.056" in printed
    assert "  Dostoevsky  Russian 0." in printed  # a prediction with its top-3 probabilities
    report = (out / "report.html").read_text()
    assert "scratch003: test confusion matrix" in report and "lstm: test confusion matrix" in report
    for name in ("scratch003", "lstm"):
        assert (out / name / "plots" / "confusion.png").exists()
