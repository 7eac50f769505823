"""ULMFiT's tools in the engine: the slanted triangular schedule by known numbers, the
discriminative rates exactly, the unfreezing arithmetic, and what is refused."""

from __future__ import annotations

import csv

import pytest
import torch
from torch import nn

from rnnkit.config import TrainConfig
from rnnkit.errors import ConfigError
from rnnkit.train import fit
from rnnkit.train.finetune import GradualUnfreezing, group_lrs, slanted_triangular
from rnnkit.train.optim import Schedule, build_optimizer


class Stack(nn.Module):
    """Three layer groups: 2, 1 and 2 parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.low, self.mid, self.top = nn.Linear(2, 3), nn.Linear(3, 3, bias=False), nn.Linear(3, 1)

    def layer_groups(self):
        return [list(self.low.parameters()), [self.mid.weight], list(self.top.parameters())]


def test_slanted_triangular_by_known_numbers():
    f = lambda step: slanted_triangular(step, 1000, 0.1, 32.0)  # noqa: E731
    assert f(0) == 1 / 32  # starts at lr / ratio
    assert f(50) == (1 + 0.5 * 31) / 32  # halfway up
    assert f(100) == 1.0  # the peak at cut = 1000 * 0.1
    assert f(550) == (1 + 0.5 * 31) / 32  # halfway down
    assert f(1000) == 1 / 32  # ends at lr / ratio
    assert f(1200) == 1 / 32  # never below
    assert [slanted_triangular(s, 5, 0.1, 4.0) for s in range(6)] == [
        0.25,  # cut = max(1, floor(0.5)) = 1: one step up ...
        1.0,
        (1 + 0.75 * 3) / 4,  # ... and four down
        (1 + 0.5 * 3) / 4,
        (1 + 0.25 * 3) / 4,
        0.25,
    ]


def test_discriminative_rates_are_lr_over_decay_to_the_k_exactly():
    assert group_lrs(0.01, 2.6, 4) == [0.01 / 2.6**3, 0.01 / 2.6**2, 0.01 / 2.6, 0.01]
    model = Stack()
    optimizer = build_optimizer(TrainConfig(lr=0.004, lr_decay_per_group=2.6), model)
    assert [g["lr"] for g in optimizer.param_groups] == [0.004 / 2.6**2, 0.004 / 2.6, 0.004]
    assert [g["params"] for g in optimizer.param_groups] == model.layer_groups()
    off = build_optimizer(TrainConfig(lr=0.004), model)  # the default: one group, as before
    assert len(off.param_groups) == 1 and off.param_groups[0]["params"] == list(model.parameters())


def test_the_slanted_schedule_scales_each_groups_own_rate():
    cfg = TrainConfig(lr=0.01, lr_decay_per_group=2.0, schedule="slanted", slanted_ratio=10.0)
    optimizer = build_optimizer(cfg, Stack())
    schedule = Schedule(cfg, optimizer, total_steps=20)
    lrs = []
    for _ in range(21):
        lrs.append([g["lr"] for g in optimizer.param_groups])
        optimizer.step()
        schedule.step()
    bases = [0.0025, 0.005, 0.01]
    for step, factor in ((0, 0.1), (2, 1.0), (11, 0.55), (20, 0.1)):  # cut = 2
        assert lrs[step] == pytest.approx([b * factor for b in bases], rel=1e-12)
    assert schedule.lr == lrs[-1][-1]  # the logged lr is the top group's


def test_gradual_unfreezing_counts_groups_by_epoch_or_by_steps():
    model = Stack()
    by_epoch = GradualUnfreezing(TrainConfig(unfreeze="gradual"), model)
    assert [by_epoch.trainable_groups(e, 100 * e) for e in range(5)] == [1, 2, 3, 3, 3]
    by_steps = GradualUnfreezing(TrainConfig(unfreeze="gradual", unfreeze_every=4), model)
    assert [by_steps.trainable_groups(0, s) for s in (0, 3, 4, 7, 8, 50)] == [1, 1, 2, 2, 3, 3]
    by_steps.update(0, 5)
    assert [p.requires_grad for p in model.parameters()] == [False, False, True, True, True]
    by_steps.update(0, 0)  # follows the step both ways (a resumed run starts afresh)
    assert [p.requires_grad for p in model.parameters()] == [False, False, False, True, True]


def test_a_parameter_the_model_froze_stays_frozen():
    model = Stack()
    model.low.weight.requires_grad_(False)  # e.g. model.freeze_vectors
    unfreezing = GradualUnfreezing(TrainConfig(unfreeze="gradual"), model)
    unfreezing.update(5, 0)  # every group trains
    assert [p.requires_grad for p in model.parameters()] == [False, True, True, True, True]
    optimizer = build_optimizer(TrainConfig(lr_decay_per_group=2.0), model)
    assert [len(g["params"]) for g in optimizer.param_groups] == [1, 1, 2]


def test_layer_groups_must_hold_every_trainable_parameter():
    model = Stack()
    model.extra = nn.Linear(1, 1)  # not in any group: it would never train
    with pytest.raises(ValueError, match="^Stack.layer_groups\\(\\) leaves out 'extra.weight'$"):
        build_optimizer(TrainConfig(lr_decay_per_group=2.6), model)


def test_a_model_without_layer_groups_is_refused(tmp_path, make, tiny):
    config, task = make(tiny(lr_decay_per_group=2.6, unfreeze="gradual"))
    with pytest.raises(ConfigError) as err:
        fit(task, config, tmp_path / "run", quiet=True)
    assert str(err.value) == (
        "train.lr_decay_per_group = 2.6 and train.unfreeze = 'gradual' need a model split into "
        "layer groups (a layer_groups() method, e.g. task classify's model.kind = 'rnn'); "
        "LastStepRegressor has none"
    )


@pytest.mark.parametrize(
    "train, message",
    [
        (dict(unfreeze="all"), "train.unfreeze must be one of none, gradual, received 'all'"),
        (dict(lr_decay_per_group=0.5), "train.lr_decay_per_group must be >= 1, received 0.5"),
        (dict(slanted_cut_frac=1.0), "train.slanted_cut_frac must be in (0, 1), received 1.0"),
        (dict(slanted_ratio=0.5), "train.slanted_ratio must be >= 1, received 0.5"),
        (dict(unfreeze_every=-1), "train.unfreeze_every must be >= 0, received -1"),
        (dict(schedule="slant"), "train.schedule must be one of constant, cosine, plateau, "
         "slanted, received 'slant' (did you mean 'slanted'?)"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_with_the_key(make, tiny, train, message):
    with pytest.raises(ConfigError) as err:
        make(tiny(**train))
    assert str(err.value) == message


def test_slanted_refuses_a_warmup(tmp_path, make, tiny):
    config, task = make(tiny(schedule="slanted", warmup_steps=3))
    with pytest.raises(ConfigError) as err:
        fit(task, config, tmp_path / "run", quiet=True)
    assert str(err.value) == (
        "train.warmup_steps must be 0 with train.schedule = 'slanted' (its rise is the "
        "warm-up), received 3"
    )


def test_a_slanted_run_logs_the_triangle(tmp_path, make, tiny):
    config, task = make(tiny(schedule="slanted", epochs=5, slanted_ratio=8.0))  # 20 steps
    fit(task, config, tmp_path / "run", quiet=True)
    with open(tmp_path / "run" / "metrics.csv", newline="") as f:
        lrs = {int(r["step"]): float(r["lr"]) for r in csv.DictReader(f) if r["lr"]}
    for step in (1, 2, 5, 19, 20):  # the lr after `step` steps is the factor at that step
        assert lrs[step] == pytest.approx(0.01 * slanted_triangular(step, 20, 0.1, 8.0))
    assert lrs[2] == pytest.approx(0.01) and lrs[20] == pytest.approx(0.01 / 8)


def test_lr_find_keeps_the_ratios_of_the_discriminative_rates(make, tiny, monkeypatch):
    from rnnkit.tasks.recall import RecallTask
    from rnnkit.train.lr_find import RangeTest, range_test

    build = RecallTask.build_model

    def grouped(self):
        model = build(self)
        rnn, head = list(model.rnn.parameters()), list(model.head.parameters())
        model.layer_groups = lambda: [rnn, head]
        return model

    seen, step = [], torch.optim.Adam.step

    def recording_step(self, closure=None):
        seen.append([g["lr"] for g in self.param_groups])
        return step(self, closure)

    monkeypatch.setattr(RecallTask, "build_model", grouped)
    monkeypatch.setattr(torch.optim.Adam, "step", recording_step)
    config, task = make(tiny(lr_decay_per_group=4.0))
    result = range_test(task, config, RangeTest(steps=10))
    assert [top for _, top in seen] == result.lrs[: len(seen)] and len(seen) >= 3
    assert all(low == top / 4.0 for low, top in seen)


def test_gradual_unfreezing_is_refused_under_ddp(tmp_path):
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'rdv'}", rank=0, world_size=1)
    try:
        with pytest.raises(ConfigError) as err:
            GradualUnfreezing(TrainConfig(unfreeze="gradual"), Stack())
    finally:
        dist.destroy_process_group()
    assert str(err.value) == (
        "train.unfreeze = 'gradual' trains in one process only (DDP needs the same trainable "
        "parameters at every step), received a run under torchrun"
    )
