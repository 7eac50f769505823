"""The learning-rate range test: on a quadratic with a known stable range its suggestion is
inside that range, it trains through the loop's own step, and the CLI prints and plots."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from rnnkit.config import Config, TrainConfig
from rnnkit.errors import ConfigError
from rnnkit.train.lr_find import RangeTest, range_test

CURVATURES = torch.tensor([0.5, 1.0, 2.0, 4.0])  # a_i: SGD is stable iff lr < 2 / max a_i


class Quadratic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.full((len(CURVATURES),), 3.0))


class QuadraticTask:
    """``loss = 1/2 sum_i a_i (w_i - x_i)^2`` with a noisy target ``x ~ N(0, 0.1^2)`` per
    batch: plain SGD converges iff ``lr < 2 / max(a) = 0.5`` (the map ``w -> w - lr a w`` is a
    contraction iff ``|1 - lr a_i| < 1`` for every i)."""

    name, stateful, metric = "quadratic", False, "val_loss"
    device = torch.device("cpu")

    def setup(self) -> None:
        self.targets = 0.1 * torch.randn(64, len(CURVATURES))

    def build_model(self) -> nn.Module:
        return Quadratic()

    def steps_per_epoch(self, world: int = 1) -> int:
        return len(self.targets)

    def train_batches(self, epoch: int, rank: int = 0, world: int = 1):
        yield from self.targets

    def training_step(self, model, batch, state):
        return 0.5 * (CURVATURES * (model.w - batch) ** 2).sum(), None


def sgd_config(seed: int = 0) -> Config:
    return Config(
        task="quadratic", train=TrainConfig(optimizer="sgd", clip_grad_norm=0.0, seed=seed)
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_suggestion_is_inside_the_stable_range_of_a_quadratic(seed):
    result = range_test(QuadraticTask(), sgd_config(seed), RangeTest(steps=200, start_lr=1e-5))
    stable = 2 / float(CURVATURES.max())  # 0.5
    assert result.stopped == "diverged"  # the rate went past the stable range and it noticed
    assert stable / 20 < result.suggestion < stable
    assert result.minimum < 2 * stable  # the loss is lowest near the edge, not far beyond it
    assert stable / 100 < result.steepest < stable
    # the rates grow exponentially: the same ratio from one step to the next
    ratios = [b / a for a, b in zip(result.lrs, result.lrs[1:])]
    assert max(ratios) == pytest.approx(min(ratios)) == pytest.approx((10 / 1e-5) ** (1 / 199))


def test_the_smoothed_loss_is_the_bias_corrected_moving_average():
    result = range_test(QuadraticTask(), sgd_config(), RangeTest(steps=20, end_lr=1e-3))
    beta, average = 0.98, 0.0
    for i, loss in enumerate(result.losses):
        average = beta * average + (1 - beta) * loss
        assert result.smoothed[i] == pytest.approx(average / (1 - beta ** (i + 1)))
    assert result.smoothed[0] == pytest.approx(result.losses[0])
    assert result.stopped == "end_lr" and len(result.lrs) == 20


def test_it_steps_with_the_configured_optimizer_and_clipping():
    """The loop's own step: clipped to a norm of 1e-9 the weights do not move, so every loss is
    that of the initial weights; unclipped they move and the losses fall."""
    for clip, moved in ((1e-9, False), (0.0, True)):
        config = Config(task="quadratic", train=TrainConfig(optimizer="sgd", clip_grad_norm=clip))
        task = QuadraticTask()
        result = range_test(task, config, RangeTest(steps=50, start_lr=1e-3, end_lr=0.3))
        unmoved = [0.5 * float((CURVATURES * (3.0 - x) ** 2).sum()) for x in task.targets[:50]]
        assert result.losses[0] == pytest.approx(unmoved[0])
        assert (result.losses[-1] < unmoved[-1] / 2) is moved
        if not moved:
            assert result.losses == pytest.approx(unmoved, rel=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"steps": 5}, "lr-find --steps must be at least 10, received 5"),
        (
            {"start_lr": 1.0, "end_lr": 0.1},
            "lr-find needs 0 < --start-lr < --end-lr, received 1 and 0.1",
        ),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ConfigError) as err:
        RangeTest(**kwargs)
    assert str(err.value) == message


def test_a_loss_that_is_never_finite_is_refused():
    class Broken(QuadraticTask):
        def training_step(self, model, batch, state):
            return model.w.sum() * math.inf, None

    with pytest.raises(ConfigError) as err:
        range_test(Broken(), sgd_config(), RangeTest(steps=20))
    assert str(err.value) == (
        "lr-find: the loss was not finite from step 1 on (at lr 1e-07); lower --start-lr"
    )
