"""The training loop: one readable ``for`` over batches, with everything inline.

:func:`fit` trains a task (anything that satisfies :class:`~rnnkit.train.protocol.TrainableTask`,
e.g. every :class:`rnnkit.tasks.base.Task`) under a :class:`~rnnkit.config.Config` and leaves a
run folder (see :mod:`rnnkit.train.run`). Each step is

    zero_grad -> forward (autocast) -> loss finite? -> backward -> clip -> optimizer step
    -> schedule step -> detach the carried state -> log -> evaluate / checkpoint when due

and an evaluation is

    evaluate on validation -> value and weights finite? -> log -> flush metrics.csv
    -> best checkpoint (if improved) -> last checkpoint

so ``last`` is always a good state (a non-finite loss, validation value or weight stops the
run with :class:`~rnnkit.errors.NonFiniteLossError` before anything is saved), and a
checkpoint records how many metrics rows are on disk: ``resume`` keeps exactly those rows.

The budget (``epochs``, ``max_steps``, ``time_budget``, ``early_stopping``: see
:class:`~rnnkit.config.TrainConfig`) is said at the start, and so is the thread count once
chosen (``train.num_threads = "auto"`` times the first steps: :mod:`rnnkit.train.threads`); the
final model is the best evaluation's. A model with no trainable parameters takes no step and
is only evaluated.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from rnnkit.config import Config
from rnnkit.errors import ConfigError, NonFiniteLossError
from rnnkit.io import atomic_write_text, malformed
from rnnkit.nn.fast.memory import keep_freed_memory
from rnnkit.nn.state import detach_state
from rnnkit.train import checkpoint as ckpt
from rnnkit.train import distributed as dist_utils
from rnnkit.train.budget import Pace, plan, steps_per_epoch, steps_within
from rnnkit.train.device import grad_scaler, resolve_device
from rnnkit.train.finetune import GradualUnfreezing
from rnnkit.train.folder import open_run
from rnnkit.train.optim import Schedule, build_optimizer
from rnnkit.train.progress import Progress, tensorboard
from rnnkit.train.protocol import TrainableTask
from rnnkit.train.run import MetricsLog, RunDir
from rnnkit.train.seeding import rng_state, seed_everything, set_rng_state
from rnnkit.train.state import FitResult, LoopState, OnEvaluate, nonfinite_message
from rnnkit.train.step import backward_step, forward_loss
from rnnkit.train.threads import Threads
from rnnkit.version import __version__


class Trainer:
    """Holds what the loop needs; :meth:`fit` is the loop."""

    def __init__(
        self,
        task: TrainableTask,
        config: Config,
        run_dir: str | Path | RunDir,
        *,
        resume: bool = False,
        quiet: bool = False,
        on_evaluate: OnEvaluate = None,
    ) -> None:
        self.task, self.config, self.cfg, self.on_evaluate = task, config, config.train, on_evaluate
        self.world = dist_utils.detect_world()
        if getattr(task, "fixed_shapes", False):
            keep_freed_memory()  # no page faults for the same large tensors at each step
        self.threads = Threads(self.cfg.num_threads, self.world.size)  # "auto" decides later
        seed_everything(self.cfg.seed, self.cfg.deterministic)
        self.device = dist_utils.init(self.world, resolve_device(self.cfg.device))
        self.run = run_dir if isinstance(run_dir, RunDir) else RunDir(run_dir)
        self.quiet = quiet or not self.world.is_main
        task.device = self.device
        task.setup()
        if self.world.is_main and not resume:
            self.run.create(config)
            task.save_artifacts(self.run.path)
        self.model = task.build_model().to(self.device)
        self.metric = self.cfg.metric or task.metric
        trainable = any(p.requires_grad for p in self.model.parameters())
        self.optimizer = build_optimizer(self.cfg, self.model) if trainable else None
        self.steps_per_epoch = steps_per_epoch(task, self.world.size, trainable)
        self.total_steps, self.plan = plan(
            self.cfg, self.steps_per_epoch, self.metric, self.optimizer is not None
        )
        maximize = task.is_better(self.metric, 1.0, 0.0)  # the metric's direction
        self.schedule = Schedule(self.cfg, self.optimizer, self.total_steps, maximize)
        self.scaler = grad_scaler(self.device, self.cfg.precision)
        self.unfreezing = GradualUnfreezing(self.cfg, self.model)  # train.unfreeze
        self.state, self.carry, self.stopped_by = LoopState(), None, ""
        self.window: list[tuple[float, float, int]] = []  # (loss, grad_norm, examples)
        self.last_eval_step, self.last_saved_step = -1, None
        self.log = MetricsLog(self.run.metrics_csv if self.world.is_main else None)
        if resume:
            self._restore()
        trained = self.optimizer is not None
        self.ddp_model = dist_utils.wrap(self.model, self.world, self.device) if trained else None
        purge = self.state.step + 1 if resume else None
        self.writer = tensorboard(self.run.tensorboard, purge) if self.world.is_main else None

    # ---- the loop -----------------------------------------------------------------------
    def fit(self) -> FitResult:
        st, stop = self.state, self.state.step >= self.total_steps
        if stop:
            self.stopped_by = "no_parameters" if self.optimizer is None else "max_steps"
        if not self.quiet:
            print(self.plan, flush=True)
            if self.threads.decided:
                print(self.threads.sentence, flush=True)
        progress = Progress(self.total_steps, st.step, enabled=not self.quiet)
        tick, pace = time.perf_counter(), Pace(st.step)
        while not stop:
            if st.epoch_step == 0 and self.task.stateful:
                self.carry = None  # a new pass over the stream starts from a zero state
            batches = self.task.train_batches(st.epoch, self.world.rank, self.world.size)
            for batch in itertools.islice(batches, st.epoch_step, None):
                self.unfreezing.update(st.epoch, st.step)
                began = time.perf_counter()
                loss, grad_norm = self._train_step(batch)
                if self.threads.update(time.perf_counter() - began) and not self.quiet:
                    print(self.threads.sentence, flush=True)
                st.step, st.epoch_step = st.step + 1, st.epoch_step + 1
                self.window.append((loss, grad_norm, self.task.batch_examples(batch)))
                progress.update(st.step, loss)
                if pace.update(st.step):
                    elapsed = st.train_seconds + time.perf_counter() - tick
                    self._fit_schedule(elapsed, pace.seconds_per_step)
                    if not self.quiet:
                        print(pace.sentence(st.step, self.total_steps, self.cfg, elapsed))
                eval_due = bool(self.cfg.eval_every) and st.step % self.cfg.eval_every == 0
                if eval_due or st.step % self.cfg.log_every == 0 or st.step == 1:
                    st.train_seconds += time.perf_counter() - tick
                    tick = time.perf_counter()
                    self._log_train()
                if eval_due:
                    stop = self._evaluate_and_checkpoint()
                stop = stop or self._out_of_budget(st.train_seconds + time.perf_counter() - tick)
                if stop:
                    if st.epoch_step >= self.steps_per_epoch:  # it was the epoch's last batch
                        st.epoch, st.epoch_step = st.epoch + 1, 0
                    break
            else:  # the epoch ran out of batches
                st.epoch, st.epoch_step = st.epoch + 1, 0
                st.train_seconds += time.perf_counter() - tick
                tick = time.perf_counter()
                self._log_train()
                if not self.cfg.eval_every:
                    stop = self._evaluate_and_checkpoint()
                stop = stop or self._out_of_budget(st.train_seconds)
        st.train_seconds += time.perf_counter() - tick
        self._log_train()
        if self.last_eval_step != st.step:  # the run ends between evaluations
            self._evaluate_and_checkpoint()
        progress.close()
        return self._finish()

    def _fit_schedule(self, elapsed: float, seconds_per_step: float) -> None:
        """A cosine (or slanted) schedule decays to the step where ``train.time_budget`` runs
        out, when it ends the run before the last step (see :mod:`rnnkit.train.budget`)."""
        fitted = self.cfg.schedule in ("cosine", "slanted")
        if self.cfg.time_budget and fitted and self.optimizer is not None:
            left = self.cfg.time_budget - elapsed
            self.schedule.total = steps_within(
                left, seconds_per_step, self.state.step, self.total_steps
            )

    def _out_of_budget(self, seconds: float) -> bool:
        """True when a budget is spent; records which one in ``stopped_by``."""
        st, cfg = self.state, self.cfg
        if self.stopped_by:  # early stopping said so during the evaluation
            return True
        if st.step >= self.total_steps:
            at_epochs = bool(cfg.epochs) and st.step >= cfg.epochs * self.steps_per_epoch
            self.stopped_by = "epochs" if at_epochs else "max_steps"
        elif bool(cfg.epochs) and st.epoch >= cfg.epochs and st.epoch_step == 0:
            self.stopped_by = "epochs"
        elif cfg.time_budget and seconds >= cfg.time_budget:
            self.stopped_by = "time_budget"
            if not self.quiet:
                print(f"stopped by train.time_budget = {cfg.time_budget:g} s at step {st.step}")
        return bool(self.stopped_by)

    def _train_step(self, batch: Any) -> tuple[float, float]:
        loss, carry = forward_loss(
            self.task, self.ddp_model, self.optimizer, batch, self.carry, self.device,
            self.cfg.precision,
        )  # fmt: skip
        value = dist_utils.mean_across(float(loss.detach()), self.world)
        if not math.isfinite(value):
            self._log_train()
            row = {"step": self.state.step + 1, "epoch": self.state.epoch + 1, "train_loss": value}
            self._stop_nonfinite(row, f"training loss is {value}")
        grad_norm = backward_step(loss, self.model, self.optimizer, self.scaler, self.cfg)
        self.schedule.step()
        self.carry = detach_state(carry)  # truncated BPTT: keep the values, cut the graph
        if self.writer is not None:
            self.writer.add_scalar("train/loss", value, self.state.step + 1)
            self.writer.add_scalar("train/grad_norm", grad_norm, self.state.step + 1)
        return value, grad_norm

    def _stop_nonfinite(self, row: dict, what: str) -> None:
        """Log ``row`` (the curve up to the failure is kept) and stop the run."""
        self.log.add(row)
        self.log.flush()
        raise NonFiniteLossError(nonfinite_message(what, row, self.run, self.last_saved_step))

    # ---- logging, evaluation, checkpoints ------------------------------------------------
    def _log_train(self) -> None:
        """One metrics row for the steps since the last row (means over those steps)."""
        if not self.window:
            return
        losses, norms, examples = zip(*self.window)
        self.window = []
        st = self.state
        row = {
            "step": st.step,
            "epoch": st.epoch + (0 if st.epoch_step == 0 else 1),
            "train_loss": sum(losses) / len(losses),
            "grad_norm": sum(norms) / len(norms),
            "grad_norm_max": max(norms),
            "lr": self.schedule.lr,
            "examples": sum(examples),
            "elapsed_s": round(st.train_seconds, 3),
        }
        self.log.add(row)
        if self.writer is not None:
            self.writer.add_scalar("train/lr", self.schedule.lr, self.state.step)

    def _bare_metric(self) -> str:
        return self.metric.removeprefix("val_")

    def _evaluate(self, split: str) -> dict:
        self.model.eval()
        with torch.no_grad():
            metrics = self.task.evaluate(self.model, split, state=self.carry)
        self.model.train()
        return metrics

    def _evaluate_and_checkpoint(self) -> bool:
        """Evaluate on validation, log, keep the best and last checkpoints; True = stop."""
        st, metrics = self.state, self._evaluate("validation")
        self.last_eval_step = st.step
        if self._bare_metric() not in metrics:
            known = ", ".join("val_" + k for k in metrics)
            raise ConfigError(
                f"train.metric {self.metric!r} is not reported by task "
                f"{self.task.name!r}; available: {known}"
            )
        value = float(metrics[self._bare_metric()])
        row = {"step": st.step, "epoch": st.epoch + (0 if st.epoch_step == 0 else 1)}
        row.update({f"val_{k}": v for k, v in metrics.items()})
        selecting = self.task.has_split("validation")  # else the latest model is the best
        if selecting and not math.isfinite(value):
            self._stop_nonfinite(row, f"validation {self._bare_metric()} is {value}")
        if not ckpt.finite_model(self.model):
            self._stop_nonfinite(row, "the model's weights are not finite")
        improved = not selecting or self.task.is_better(self.metric, value, st.best)
        if improved:
            st.best, st.best_step, st.bad_evals = value, st.step, 0
        else:
            st.bad_evals += 1
        if self.optimizer is not None:
            self.schedule.evaluated(value)
            self._fit_schedule(st.train_seconds, st.train_seconds / max(1, st.step))
        self.log.add(row)
        if self.world.is_main:
            if self.writer is not None:
                for k, v in metrics.items():
                    self.writer.add_scalar(f"val/{k}", v, st.step)
            self.log.flush()  # before the checkpoints, which record how many rows it holds
            if improved:  # best before last: last never names a best that is not on disk
                self._save(self.run.best, value)
            self._save(self.run.last, value)
            self.task.snapshot(self.model, self.run.path, st.epoch, st.step)
            if not self.quiet:
                shown = "  ".join(f"val_{k} {v:.5g}" for k, v in metrics.items())
                print(
                    f"step {st.step:>6}  epoch {row['epoch']:>3}  train_loss "
                    f"{self._recent_train_loss():.5g}  {shown}",
                    flush=True,
                )
        if bool(self.cfg.early_stopping) and st.bad_evals >= self.cfg.early_stopping:
            self.stopped_by = "early_stopping"
        if self.on_evaluate is not None and self.on_evaluate(st.step, row):  # e.g. a tuner's
            self.stopped_by = self.stopped_by or "pruned"  # pruner: it saw a bad evaluation
        return self.stopped_by in ("early_stopping", "pruned")

    def _recent_train_loss(self) -> float:
        steps, losses = self.log.series("train_loss")
        return losses[-1] if losses else math.nan

    def _save(self, path: Path, value: float) -> None:
        rng_tensors, rng_meta = rng_state()
        meta = {
            "step": self.state.step,
            "metric": self.metric,
            "value": value,
            "metrics_rows": len(self.log.rows),
            "loop": asdict(self.state),
            "schedule": self.schedule.state_dict() if self.optimizer is not None else None,
            "rng": rng_meta,
            "config_hash": self.config.hash(),
            "task": self.config.task,
            "rnnkit": __version__,
            "torch": torch.__version__,
        }
        ckpt.save_checkpoint(
            path,
            model=self.model,
            meta=meta,
            optimizer=self.optimizer,
            extra_tensors=rng_tensors,
            carry=self.carry,
        )
        self.last_saved_step = self.state.step

    def _restore(self) -> None:
        path = self.run.last
        if not path.exists():
            raise ConfigError(f"cannot resume: {path} does not exist")
        tensors, meta = ckpt.load_checkpoint(path)
        if meta.get("config_hash") != self.config.hash():
            raise ConfigError(
                f"cannot resume {self.run.path}: its config.toml changed the task, "
                f"data or model since the checkpoint was written"
            )
        ckpt.load_model_state(self.model, tensors, path)
        with malformed(path, "checkpoint to resume from"):
            if self.optimizer is not None:
                self.optimizer.load_state_dict(ckpt.optimizer_state(tensors, meta))
                self.schedule.load_state_dict(meta["schedule"])
            self.state = LoopState(**meta["loop"])
            self.carry = ckpt.carried_state(tensors, meta, self.device)
            set_rng_state({k: v for k, v in tensors.items() if k.startswith("rng.")}, meta["rng"])
        if "metrics_rows" in meta:
            self.log.restore(meta["metrics_rows"])
        else:  # a checkpoint of an older rnnkit
            self.log.load_until(self.state.step)
        self.last_eval_step = self.last_saved_step = self.state.step

    # ---- the end --------------------------------------------------------------------------
    def _finish(self) -> FitResult:
        st = self.state
        use_best = self.run.best.exists() and not self.task.stateful and self.world.is_main
        if use_best:  # final figures come from the checkpoint chosen on validation
            ckpt.load_model_state(self.model, ckpt.load_checkpoint(self.run.best)[0], self.run.best)
        if self.world.is_main:  # e.g. calibrate intervals on validation, before the test
            self.task.on_fit_end(self.model, self.run.path)
        final = {f"val_{k}": v for k, v in self._evaluate("validation").items()}
        if self.task.has_split("test"):
            final.update({f"test_{k}": v for k, v in self._evaluate("test").items()})
        seconds = round(st.train_seconds, 3)
        final.update(step=st.step, best_step=st.best_step, train_seconds=seconds)
        final["stopped_by"] = self.stopped_by
        if self.world.is_main:
            self.run.write_final_metrics(final)
            preds = self.task.predictions(self.model, state=self.carry)
            if preds is not None:
                atomic_write_text(self.run.predictions_csv, preds.to_csv(index=False))
            if self.writer is not None:
                self.writer.close()
        dist_utils.shutdown(self.world)
        stopped = self.stopped_by in ("early_stopping", "time_budget")
        return FitResult(self.run.path, self.model, st, final, stopped, self.carry, self.stopped_by)


def fit(
    task: TrainableTask,
    config: Config,
    run_dir: str | Path | RunDir,
    *,
    resume: bool = False,
    quiet: bool = False,
    overwrite: bool = False,
    on_evaluate: OnEvaluate = None,
) -> FitResult:
    """Train ``task`` under ``config`` into ``run_dir`` and return the result.

    The folder is locked while the run writes it (a second writer is refused). ``resume``
    continues the run from its last checkpoint. A folder that already holds a run is refused
    unless ``overwrite``: the new run is then built beside it and replaces it only when it
    succeeds (see :func:`rnnkit.train.folder.open_run`). ``on_evaluate(step, row)`` sees each
    evaluation; True stops the run (``stopped_by = "pruned"``). The report is the caller's
    (:func:`rnnkit.api.train_run`, the CLI and the demos write it).
    """
    is_main = dist_utils.detect_world().is_main
    with open_run(run_dir, resume=resume, overwrite=overwrite, lock=is_main) as run:
        trainer = Trainer(task, config, run, resume=resume, quiet=quiet, on_evaluate=on_evaluate)
        result = trainer.fit()
    result.run_dir = run.final
    return result
