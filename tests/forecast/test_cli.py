import json

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def tiny_csv(tmp_path):
    t = np.arange(96)
    frame = pd.DataFrame(
        {
            "Month": pd.date_range("2000-01-01", periods=96, freq="MS").strftime("%Y-%m"),
            "sales": 100 + 10 * np.sin(2 * np.pi * t / 12) + t,
            "visits": 50 + 5 * np.cos(2 * np.pi * t / 12),
        }
    )
    path = tmp_path / "tiny.csv"
    frame.to_csv(path, index=False)
    return path


def test_train_predict_evaluate_end_to_end(cli, tiny_csv, tmp_path):
    run = tmp_path / "run"
    out = cli(
        "forecast",
        "train",
        "--data",
        tiny_csv,
        "--horizon",
        6,
        "--epochs",
        2,
        "--hidden-size",
        8,
        "--out",
        run,
        "--quiet",
        "--quantiles",
        "0.1,0.5,0.9",
        "--model",
        "segrnn",
        "--cell",
        "lstm",
    )
    assert out.returncode == 0, out.stderr
    assert "segrnn: test smape" in out.stdout
    assert 'cell = "lstm"' in (run / "config.toml").read_text()
    for name in (
        "config.toml",
        "forecast.json",
        "report.html",
        "predictions.csv",
        "checkpoints/best.safetensors",
        "plots/forecasts.png",
    ):
        assert (run / name).exists(), name
    pred = cli("forecast", "predict", run)
    assert pred.returncode == 0, pred.stderr
    lines = pred.stdout.strip().splitlines()
    assert lines[0] == "id,timestamp,step,value,q0.1,q0.5,q0.9" and len(lines) == 1 + 2 * 6
    assert lines[1].startswith("sales,2008-01-01,1,")
    again = cli("forecast", "predict", run, "--data", tiny_csv)  # the same history
    assert again.returncode == 0, again.stderr
    assert again.stdout == pred.stdout
    ev = cli("evaluate", run, "--data", tiny_csv, "--json")
    assert ev.returncode == 0, ev.stderr
    assert set(json.loads(ev.stdout)) >= {"smape", "mase", "mae", "rmse", "owa"}


def test_compare_writes_one_table(cli, tiny_csv, tmp_path):
    out = cli(
        "forecast",
        "compare",
        "--data",
        tiny_csv,
        "--horizon",
        6,
        "--epochs",
        1,
        "--hidden-size",
        8,
        "--models",
        "naive,seasonal_naive,mlp",
        "--out",
        tmp_path / "cmp",
    )
    assert out.returncode == 0, out.stderr
    table = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    assert sorted(table["model"]) == ["mlp", "naive", "seasonal_naive"]
    assert list(table["owa"]) == sorted(table["owa"])  # ranked, the best first
    assert list(table["best"]) == [True, False, False]
    report = (tmp_path / "cmp" / "report.html").read_text()
    assert f'<a href="{table["model"][0]}/report.html">' in report


def test_nan_in_the_data_is_one_line_and_exit_2(cli, tmp_path):
    path = tmp_path / "gap.csv"
    path.write_text("date,y1\n2024-01-01,1\n2024-01-02,\n2024-01-03,3\n2024-01-04,4\n")
    out = cli(
        "forecast",
        "train",
        "--data",
        path,
        "--horizon",
        1,
        "--model",
        "naive",
        "--out",
        tmp_path / "r",
    )
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"rnnkit forecast: error: series 'y1' ({path}) has 1 missing values, the first at "
        f"position 1; pass fill='interpolate' or fill='ffill' to fill them"
    )


def test_m4_style_train_and_test_files(cli, tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(100)
    rows = [50 + 10 * np.sin(2 * np.pi * t / 12 + k) + rng.normal(size=100) for k in range(4)]
    header = ",".join(f'"V{i}"' for i in range(1, 90))
    train = [f'"S{k}",' + ",".join(f"{v:.3f}" for v in r[:88]) for k, r in enumerate(rows)]
    test = [f'"S{k}",' + ",".join(f"{v:.3f}" for v in r[88:]) for k, r in enumerate(rows)]
    (tmp_path / "train.csv").write_text(header + "\n" + "\n".join(train) + "\n")
    theader = ",".join(f'"V{i}"' for i in range(1, 14))
    (tmp_path / "test.csv").write_text(theader + "\n" + "\n".join(test) + "\n")
    run = tmp_path / "m4"
    out = cli(
        "forecast",
        "train",
        "--data",
        tmp_path / "train.csv",
        "--test",
        tmp_path / "test.csv",
        "--horizon",
        12,
        "--season",
        12,
        "--model",
        "mlp",
        "--epochs",
        2,
        "--out",
        run,
        "--quiet",
    )
    assert out.returncode == 0, out.stderr
    saved = json.loads((run / "metrics.json").read_text())
    saved = {k[5:]: v for k, v in saved.items() if k.startswith("test_")}
    ev = cli("evaluate", run, "--data", tmp_path / "test.csv", "--json")
    assert ev.returncode == 0, ev.stderr
    scores = json.loads(ev.stdout)
    for key in ("smape", "mase", "owa"):
        assert scores[key] == pytest.approx(saved[key], rel=1e-6)
