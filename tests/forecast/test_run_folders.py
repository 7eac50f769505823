"""Forecaster.fit(out=...) and Forecaster.save: an existing run is replaced only with
overwrite=True and only by a complete copy; a folder of other files is never replaced."""

from __future__ import annotations

import pandas as pd
import pytest

from rnnkit.errors import CheckpointError, RunError
from rnnkit.forecast import Forecaster


def files(folder):
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".lock")
    }


def test_save_refuses_an_existing_run_and_overwrite_replaces_it(seasonal_frame, tmp_path):
    naive = Forecaster("naive", horizon=6).fit(seasonal_frame)
    naive.save(tmp_path / "run")
    before = files(tmp_path / "run")
    seasonal = Forecaster("seasonal_naive", horizon=6).fit(seasonal_frame)
    with pytest.raises(RunError) as err:
        seasonal.save(tmp_path / "run")
    assert (
        str(err.value)
        == f"{tmp_path / 'run'} already holds a run; pass overwrite=True to replace it"
    )
    assert files(tmp_path / "run") == before
    seasonal.save(tmp_path / "run", overwrite=True)
    pd.testing.assert_frame_equal(Forecaster.load(tmp_path / "run").predict(), seasonal.predict())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary folder left


def test_save_never_replaces_a_folder_of_other_files(seasonal_frame, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    fc = Forecaster("naive", horizon=6).fit(seasonal_frame)
    with pytest.raises(RunError) as err:
        fc.save(mine, overwrite=True)
    assert str(err.value) == (
        f"{mine} holds files but no run (thesis.tex); choose an empty or new folder"
    )
    assert (mine / "thesis.tex").read_text() == "years of work"


def test_fit_into_an_existing_run_needs_overwrite(seasonal_frame, tmp_path):
    run = tmp_path / "run"
    Forecaster("naive", horizon=6).fit(seasonal_frame, out=run)
    before = files(run)
    with pytest.raises(RunError, match="already holds a run; continue it with --resume"):
        Forecaster("seasonal_naive", horizon=6).fit(seasonal_frame, out=run)
    assert files(run) == before
    fc = Forecaster("seasonal_naive", horizon=6).fit(seasonal_frame, out=run, overwrite=True)
    assert fc.run_dir == run and 'kind = "seasonal_naive"' in (run / "config.toml").read_text()


def test_load_names_broken_final_metrics(seasonal_frame, tmp_path):
    Forecaster("naive", horizon=6).fit(seasonal_frame).save(tmp_path / "run")
    (tmp_path / "run" / "metrics.json").write_text("[1, 2]")
    with pytest.raises(CheckpointError) as err:
        Forecaster.load(tmp_path / "run")
    assert str(err.value) == (
        f"{tmp_path / 'run' / 'metrics.json'} holds a list; expected the final metrics of the "
        f"run as an object"
    )
