"""``model.kind = "auto"`` (the default): a forecaster chosen on the data, within a budget.

Nothing is guessed from the data's look; every choice is tried and compared on the
validation window (the H points before the test part, never the test part):

1. the baselines seasonal naive and Naive2 are scored on validation (they cost nothing);
2. the candidate settings that the config leaves open, the transform (``data.log`` unset: log
   when every value is positive, and none) times the per-series scaling (``data.scaler =
   "auto"``: standard and robust), each train a SegRNN-style network (``model.auto_kind``)
   within an equal slice of ``selection_share`` of ``train.time_budget``, with early
   stopping on the validation loss;
3. the winner on the validation score (the mean of the sMAPE and MASE ratios to seasonal
   naive's, or the MASE ratio when a value is not positive) trains again as an ensemble of
   networks (``model.members``, sized to the rest of the budget, at most ``max_members``),
   with early stopping, the best weights restored and its intervals calibrated;
4. if a baseline scores better on validation than that ensemble, the baseline is the result,
   and the run says so in one line.

Every training is an ordinary run of task ``forecast`` through the one engine. The final run
is ``out``; the others are kept under ``out/candidates/``.
"""

from __future__ import annotations

import copy
import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnnkit.api.runs import train_run
from rnnkit.config import Config, load_config
from rnnkit.data.series import SeriesSet
from rnnkit.tasks.forecast import ForecastTask
from rnnkit.tasks.forecast_data import resolve
from rnnkit.train.run import RunDir

DEFAULT_BUDGET = 300.0  # seconds, when train.time_budget is 0: a few minutes on 2 cores
SELECTION_SHARE = 0.4  # of the budget spent comparing candidate settings (a quarter when
# the members refit for fixed epochs: the candidates then only rank the settings)
MAX_MEMBERS = 5  # ensemble size cap when model.members is 1
PATIENCE = 4  # evaluations without improvement, when train.early_stopping is 0


@dataclass
class AutoResult:
    config: Config  # the final run's config
    run_dir: Path
    metrics: dict  # the final run's metrics.json
    candidates: list[dict] = field(default_factory=list)  # name, settings, scores, time
    baselines: dict = field(default_factory=dict)  # kind -> its run's metrics.json
    chosen: str = ""
    warning: str = ""


def relative_score(scores: dict, reference: dict, positive: bool) -> float:
    """Validation score relative to ``reference`` (seasonal naive's): the mean of the sMAPE
    and MASE ratios, or the MASE ratio alone when sMAPE is not meaningful. Where MASE is
    undefined (a series that repeats exactly: a zero scale), MAE ratios stand in for it."""

    def ratio(key: str) -> float:
        mine, ref = scores.get(key, math.nan), reference.get(key, math.nan)
        if not (math.isfinite(mine) and math.isfinite(ref)):
            return ratio("mae") if key == "mase" else math.inf
        if ref > 0:
            return mine / ref
        return 0.0 if mine == 0 else math.inf  # the reference is exact

    return float(0.5 * (ratio("smape") + ratio("mase")) if positive else ratio("mase"))


def _val(metrics: dict) -> dict:
    return {k: metrics.get(f"val_{k}", math.nan) for k in ("smape", "mase", "mae")}


def _train(config: Config, out: Path, series, test) -> dict:
    task = ForecastTask(config, series=series, test=test)
    return train_run(config, out, task=task, quiet=True).metrics


def _variant(config: Config, data=None, model=None, train=None) -> Config:
    out = copy.deepcopy(config)
    for section, values in (("data", data), ("model", model), ("train", train)):
        for key, value in (values or {}).items():
            setattr(getattr(out, section), key, value)
    return out


def auto_fit(
    config: Config, series: SeriesSet, out: Path, test: SeriesSet | None = None
) -> AutoResult:
    """Choose, train and validate the forecaster for ``series`` into the run folder ``out``
    (which must not exist). ``config`` is task ``forecast`` with ``model.kind = "auto"``."""
    start = time.perf_counter()
    budget = config.train.time_budget or DEFAULT_BUDGET
    positive = all(float(np.min(v)) > 0 for v in series.values)
    work = Path(tempfile.mkdtemp(prefix="rnnkit-auto-"))
    try:
        baselines = {
            kind: _train(_variant(config, model={"kind": kind}), work / kind, series, test)
            for kind in ("seasonal_naive", "naive2")
        }
        reference = _val(baselines["seasonal_naive"])
        candidates = _candidates(config, positive)
        share = SELECTION_SHARE if not refits(config) else SELECTION_SHARE / 1.6
        seconds = share * budget / len(candidates)
        tried = [
            _try(name, config, sections, seconds, work, series, test, reference, positive)
            for name, sections in candidates
        ]
        top = sorted(tried, key=lambda c: c["score"])[:2]
        left = max(0.0, budget - (time.perf_counter() - start))
        metrics, chosen = _ensemble(config, top, left, work, series, test)
        result = AutoResult(None, out, metrics, tried, baselines, chosen)
        result.config = load_config(work / "ensemble" / "config.toml")
        _keep_the_winner(result, work, reference, positive)
        shutil.copytree(work, out / "candidates")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def refits(config: Config) -> bool:
    """Whether the final members refit on the whole history (validation part included) for
    a fixed budget: when the config sets ``train.epochs`` or ``train.max_steps`` (else early
    stopping on the validation window decides, and the members keep it)."""
    return config.train.epochs != type(config.train).default_epochs


def _ensemble(config, top, seconds, work, series, test) -> tuple[dict, str]:
    """Train the members (cycling over the ``top`` settings, one seed each) and their
    ensemble run ``work/ensemble``; return its metrics and a description."""
    refit = refits(config)
    members = _members(_variant(config, **top[0]["sections"]), top[0], seconds, series, refit)
    runs = []
    for k in range(members):
        sections = top[k % len(top)]["sections"]
        member = _variant(config, **sections, train={"seed": config.train.seed + k})
        if refit:
            member = _variant(
                member,
                data={"validation_size": 0},
                train={"time_budget": seconds / members, "early_stopping": 0},
            )
        else:
            member = _variant(member, train=_budget(member, series, seconds / members))
        _train(member, work / "members" / str(k), series, test)
        runs.append(str(work / "members" / str(k)))
    ensemble = _variant(config, model={"kind": "ensemble", "runs": runs})
    task = ForecastTask(ensemble, series=series, test=test)
    if refit:  # the members have no validation window: calibrate on the candidates'
        task.calibration, task.validation = _candidates_calibration(config, top, work, series, test)
    metrics = train_run(ensemble, work / "ensemble", task=task, quiet=True).metrics
    shutil.rmtree(work / "members")  # copied into the ensemble's folder
    if refit:
        metrics.update({f"val_{k}": v for k, v in task.validation.items()})
    names = " + ".join(c["name"] for c in top)
    refitted = ", refitted on the whole history" if refit else ""
    return metrics, f"ensemble of {members} runs ({names}{refitted})"


def _candidates_calibration(config, top, work, series, test) -> tuple[dict, dict]:
    """Conformal intervals and validation scores of the median of the ``top`` candidates'
    validation forecasts (the refitted members have no validation window of their own)."""
    from rnnkit.metrics import forecasting as fm
    from rnnkit.tasks import forecast_calibration as calibration
    from rnnkit.tasks.forecast_eval import split_forecast
    from rnnkit.tasks.runs import load_run

    points = []
    for c in top:
        loaded = load_run(work / c["name"])
        loaded.task.series, loaded.task.test_series = series, test
        loaded.task.setup()
        p = loaded.task.predictor(loaded.model)
        f, actual, insample = split_forecast(p, "validation")
        points.append(f[..., p.point_index])
    point = np.median(np.stack(points), axis=0)
    season = loaded.config.data.season
    scales = calibration.scales_of(insample, season)
    cal = calibration.fit(actual - point, scales, config.model.intervals or [0.8, 0.95])
    return cal, fm.score(actual, point, insample, season)


def _candidates(config: Config, positive: bool) -> list[tuple[str, dict]]:
    """Transform x scaling, for what the config leaves open. On the log scale no scaling
    (``none``) is a candidate too: errors are then relative, as sMAPE counts them."""
    data = config.data
    logs = [data.log] if data.log is not None else ([True, False] if positive else [False])
    out = []
    for log in logs:
        scalers = ["standard", "robust"] + (["none"] if log else [])
        for scaler in [data.scaler] if data.scaler != "auto" else scalers:
            sections = {"data": {"log": log, "scaler": scaler}}
            out.append((f"{'log' if log else 'raw'}-{scaler}", sections))
    kind = config.model.auto_kind
    return [(name, {**sections, "model": {"kind": kind}}) for name, sections in out]


def _try(name, config, sections, seconds, work, series, test, reference, positive) -> dict:
    """Train one candidate within ``seconds``; its validation scores."""
    candidate = _variant(config, **sections)
    candidate = _variant(candidate, train=_budget(candidate, series, seconds))
    t0 = time.perf_counter()
    metrics = _train(candidate, work / name, series, test)
    scores = _val(metrics)
    return {
        "name": name,
        "sections": sections,
        "validation": scores,
        "score": relative_score(scores, reference, positive),
        "seconds": time.perf_counter() - t0,
        "steps": metrics["step"],
    }


def _budget(config: Config, series: SeriesSet, seconds: float) -> dict:
    """``[train]`` values for a training of ``seconds``: early stopping decides the epochs,
    with an evaluation at least every 10 steps so that tiny data sets stop in time."""
    data, _ = resolve(config.data, config.model, series)
    held = data.test_size + data.validation_size
    windows = sum(max(0, n - held - data.input_length - data.horizon + 1) for n in series.lengths)
    per_epoch = math.ceil(windows / config.train.batch_size)
    patience = config.train.early_stopping or PATIENCE
    given = config.train.epochs != type(config.train).default_epochs  # the user's bound
    epochs = config.train.epochs if given else 1000  # else early stopping decides
    train = {"time_budget": seconds, "early_stopping": patience, "epochs": epochs}
    if per_epoch < 10:
        train["eval_every"] = 10
    return train


def _members(config: Config, best: dict, seconds: float, series, refit: bool) -> int:
    """Ensemble size (``model.members`` when set): as many members as fit in ``seconds``,
    each training three times as long as the best candidate did or, when refitting, for
    ``train.epochs`` at the candidate's pace."""
    if config.model.members > 1:
        return config.model.members
    per_member = 3 * max(best["seconds"], 1e-3)
    if refit:
        data, _ = resolve(config.data, config.model, series)
        windows = sum(
            max(0, n - data.test_size - data.input_length - data.horizon + 1)
            for n in series.lengths
        )
        train = config.train
        budgets = [train.epochs * math.ceil(windows / train.batch_size)] if train.epochs else []
        steps = min(budgets + ([train.max_steps] if train.max_steps else []))
        per_member = max(1, steps) * best["seconds"] / max(1, best["steps"])
    return int(min(MAX_MEMBERS, max(1, math.floor(0.95 * seconds / per_member))))


def _keep_the_winner(result: AutoResult, work: Path, reference: dict, positive: bool) -> None:
    """Move the winner into ``result.run_dir``: the ensemble, or a baseline that scored better
    on validation (then say so)."""
    ensemble = relative_score(_val(result.metrics), reference, positive)
    naive2 = relative_score(_val(result.baselines["naive2"]), reference, positive)
    winner = "ensemble"
    if min(1.0, naive2) < ensemble:
        winner = "naive2" if naive2 < 1.0 else "seasonal_naive"
        result.warning = (
            f"the network ({result.chosen}) did not beat {winner} on the validation window: "
            f"the result is {winner}"
        )
        result.chosen = winner
        result.metrics = RunDir(work / winner).read_final_metrics()
        result.config = load_config(work / winner / "config.toml")
    shutil.move(str(work / winner), str(result.run_dir))


def summary(result: AutoResult) -> list[str]:
    """Lines for the terminal: the candidates, the choice, and the validation and test
    scores beside seasonal naive's and Naive2's."""
    lines = ["candidate settings        val sMAPE val MASE  relative"]
    for c in sorted(result.candidates, key=lambda c: c["score"]):
        v = c["validation"]
        lines.append(
            f"  {c['name']:<22} {v['smape']:9.3f} {v['mase']:8.3f}  {c['score']:8.3f}  "
            f"({c['steps']} steps, {c['seconds']:.0f} s)"
        )
    lines.append(f"chosen: {result.chosen}")
    lines.append("                         val sMAPE val MASE  test sMAPE test MASE")
    nan = float("nan")
    for name, m in [("chosen", result.metrics)] + list(result.baselines.items()):
        lines.append(
            f"  {name:<22} {m.get('val_smape', nan):9.3f} {m.get('val_mase', nan):8.3f}  "
            f"{m.get('test_smape', nan):10.3f} {m.get('test_mase', nan):9.3f}"
        )
    if result.warning:
        lines.append(f"warning: {result.warning}")
    return lines


def auto_train_run(config: Config, out: Path, task=None, overwrite=False, quiet=False):
    """``train_run`` for ``model.kind = "auto"``: read the data (or take the task's
    in-memory series), run :func:`auto_fit`, print its summary, and return the final run as
    a :class:`~rnnkit.train.FitResult` (with ``.auto``, the :class:`AutoResult`)."""
    from rnnkit.errors import RunError
    from rnnkit.tasks.runs import load_run
    from rnnkit.train.state import FitResult, LoopState

    out = Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise RunError(f"{out} already holds a run; choose another --out or pass --overwrite")
    task = task if task is not None else ForecastTask(config)
    series = task.series if task.series is not None else task.read_series(config.data.train)
    test = task.test_series
    if test is None and config.data.test:
        test = task.read_series(config.data.test)
    staging = out.with_name(f".{out.name}.auto")
    shutil.rmtree(staging, ignore_errors=True)
    result = auto_fit(config, series, staging, test)
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    result.run_dir = out
    if not quiet:
        print("\n".join(summary(result)), flush=True)
    loaded = load_run(out)
    state = LoopState(step=int(result.metrics.get("step", 0)))
    fit = FitResult(out, loaded.model, state, result.metrics, stopped_by="auto")
    fit.auto = result
    return fit


__all__ = ["AutoResult", "auto_fit", "auto_train_run", "relative_score", "summary"]
