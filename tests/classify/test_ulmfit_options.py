"""ULMFiT's fine-tuning options on task ``classify``: concat pooling by known numbers, the
classifier's layer groups, gradual unfreezing epoch by epoch (frozen groups bit-identical,
no Adam state for them), and a killed run that resumes the schedule and the unfreezing."""

from __future__ import annotations

import csv

import pytest
import torch

from rnnkit.config import config_from_dict
from rnnkit.errors import ConfigError
from rnnkit.models.classifier import ClassifyModel, TextClassifier
from rnnkit.models.common import recurrent_layer_groups
from rnnkit.models.pooling import Pooling, parse_pooling
from rnnkit.tasks import get_task_class
from rnnkit.tasks.classify import ClassifyTask
from rnnkit.train import fit
from rnnkit.train.checkpoint import load_checkpoint
from rnnkit.train.finetune import group_lrs

ULMFIT = dict(lr_decay_per_group=2.6, schedule="slanted", unfreeze="gradual")


def test_concat_pooling_is_last_max_mean_over_the_valid_steps_only():
    assert parse_pooling("concat") == ("last", "max", "mean")
    with pytest.raises(ConfigError, match="^model.pooling names a kind twice: 'concat\\+max'$"):
        parse_pooling("concat+max")
    # (N=2, L=3, F=4): two directions of 2 features; the 100s and -100s are padding
    out = torch.tensor(
        [
            [[1.0, 2.0, 3.0, 4.0], [5.0, -6.0, 7.0, 8.0], [3.0, 0.0, -1.0, 2.0]],
            [[-2.0, 4.0, 6.0, -8.0], [100.0, 100.0, 100.0, 100.0], [-100.0] * 4],
        ]
    )
    lengths = torch.tensor([3, 1])
    pooled = Pooling(parse_pooling("concat"), 4, directions=2)(out, lengths)
    last = [[3.0, 0.0, 3.0, 4.0], [-2.0, 4.0, 6.0, -8.0]]  # forward at length-1, backward at 0
    high = [[5.0, 2.0, 7.0, 8.0], [-2.0, 4.0, 6.0, -8.0]]
    mean = [[3.0, -4 / 3, 3.0, 14 / 3], [-2.0, 4.0, 6.0, -8.0]]
    torch.testing.assert_close(
        pooled, torch.tensor([a + b + c for a, b, c in zip(last, high, mean)])
    )
    padded = torch.cat([out, torch.full((2, 2, 4), 1e4)], dim=1)  # more padding: no change
    assert torch.equal(Pooling(parse_pooling("concat"), 4, directions=2)(padded, lengths), pooled)


def test_the_classifier_layer_groups_partition_its_parameters():
    cfg = ClassifyModel(
        cell="lstm", hidden_size=6, num_layers=2, embedding_dim=5, pooling="concat+attention"
    )
    model = TextClassifier(cfg, vocab_size=20, num_classes=3)
    groups = model.layer_groups()
    names = {id(p): n for n, p in model.named_parameters()}
    named = [[names[id(p)] for p in group] for group in groups]
    assert named[0] == ["embed.tokens.weight"]
    for layer in (0, 1):
        assert sorted(named[1 + layer]) == sorted(
            f"rnn.{w}_l{layer}{d}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            for d in ("", "_reverse")
        )  # fmt: skip
    assert named[3] == [n for n in names.values() if n.startswith(("pool.", "head."))]
    assert sorted(sum(named, [])) == sorted(names.values())  # each parameter exactly once
    assert model.pool.out_features == 4 * 12  # last, max, mean and attention of D*H = 12


def run_config(sentiment_files, sentiment, **train) -> dict:
    train_csv, test_csv = sentiment_files
    raw = sentiment(train_csv, test_csv, num_layers=2, pooling="concat")
    raw["train"].update(epochs=4, lr=0.01, log_every=1, **train)  # 6 steps an epoch
    return raw


def test_gradual_unfreezing_trains_exactly_the_groups_it_names(
    sentiment_files, sentiment, tmp_path, monkeypatch
):
    config = config_from_dict(run_config(sentiment_files, sentiment, **ULMFIT))
    task = get_task_class("classify")(config)
    states, adam = [], []
    build = ClassifyTask.build_model

    def recorded_build(self):
        model = build(self)
        states.append({k: v.clone() for k, v in model.state_dict().items()})
        return model

    def record(self, model, run_dir, epoch, step):
        states.append({k: v.clone() for k, v in model.state_dict().items()})
        tensors, meta = load_checkpoint(run_dir / "checkpoints" / "last.safetensors")
        groups = meta["optimizer"]["param_groups"]
        with_state = {int(k.split(".")[1]) for k in tensors if k.endswith(".exp_avg")}
        adam.append([bool(with_state & set(g["params"])) for g in groups])
        assert [g["lr"] / g["initial_lr"] for g in groups] == pytest.approx(
            [groups[-1]["lr"] / 0.01] * 4
        )

    monkeypatch.setattr(ClassifyTask, "build_model", recorded_build)
    monkeypatch.setattr(ClassifyTask, "snapshot", record)
    result = fit(task, config, tmp_path / "run", quiet=True)
    groups = result.model.layer_groups()
    names = {id(p): n for n, p in result.model.named_parameters()}
    keys = [[names[id(p)] for p in group] for group in groups]
    assert len(states) == 5 and len(keys) == 4  # the start and 4 epochs; 4 groups
    for epoch in range(1, 5):
        before, after = states[epoch - 1], states[epoch]
        changed = [[not torch.equal(before[k], after[k]) for k in group] for group in keys]
        trained = 4 - min(epoch, 4)  # the first group that trains in this epoch
        assert changed == [[k >= trained] * len(g) for k, g in enumerate(keys)], epoch
        assert adam[epoch - 1] == [k >= trained for k in range(4)]  # no moments while frozen
    lrs = [
        g["initial_lr"]
        for g in load_checkpoint(tmp_path / "run/checkpoints/last.safetensors")[1]["optimizer"][
            "param_groups"
        ]
    ]
    assert lrs == group_lrs(0.01, 2.6, 4)


def metrics_rows(run) -> list[list[str]]:
    cols = ["step", "epoch", "train_loss", "grad_norm", "lr", "val_loss", "val_accuracy"]
    with open(run / "metrics.csv", newline="") as f:
        return [[r[c] for c in cols] for r in csv.DictReader(f)]


@pytest.mark.parametrize("unfreeze_every", [0, 3])
def test_a_killed_run_resumes_the_schedule_and_the_unfreezing(
    sentiment_files, sentiment, tmp_path, monkeypatch, unfreeze_every
):
    raw = run_config(sentiment_files, sentiment, eval_every=4, unfreeze_every=unfreeze_every)
    raw["train"].update(ULMFIT)

    def run(path, **kwargs):
        config = config_from_dict(raw)
        return fit(get_task_class("classify")(config), config, path, quiet=True, **kwargs)

    full = run(tmp_path / "full")
    original, calls = ClassifyTask.training_step, {"n": 0}

    def dies_at_step_10(self, model, batch, state):
        calls["n"] += 1
        if calls["n"] == 10:
            raise KeyboardInterrupt  # between the checkpoints of steps 8 and 12
        return original(self, model, batch, state)

    monkeypatch.setattr(ClassifyTask, "training_step", dies_at_step_10)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "killed")
    monkeypatch.setattr(ClassifyTask, "training_step", original)
    resumed = run(tmp_path / "killed", resume=True)
    assert metrics_rows(tmp_path / "killed") == metrics_rows(tmp_path / "full")
    for key, value in full.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[key], value), key


class Mask(torch.nn.Module):
    def forward(self, w):
        return w * 0.5


def test_layer_groups_of_parametrized_and_listed_recurrent_layers():
    from torch.nn.utils import parametrize

    lstm = torch.nn.LSTM(3, 4, num_layers=2)
    for name in ("weight_hh_l0", "weight_hh_l1"):  # weight drop registers the hh weights so
        parametrize.register_parametrization(lstm, name, Mask())
    names = {id(p): n for n, p in lstm.named_parameters()}
    groups = [[names[id(p)] for p in g] for g in recurrent_layer_groups(lstm)]
    assert groups == [
        ["weight_ih_l0", "bias_ih_l0", "bias_hh_l0", "parametrizations.weight_hh_l0.original"],
        ["weight_ih_l1", "bias_ih_l1", "bias_hh_l1", "parametrizations.weight_hh_l1.original"],
    ]
    stack = torch.nn.ModuleList([torch.nn.GRU(3, 4), torch.nn.GRU(4, 3)])  # AWD-LSTM's shape
    sizes = [[tuple(p.shape) for p in g] for g in recurrent_layer_groups(stack)]
    assert sizes == [[(12, 3), (12, 4), (12,), (12,)], [(9, 4), (9, 3), (9,), (9,)]]
