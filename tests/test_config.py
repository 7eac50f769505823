from __future__ import annotations

import re

import pytest

import rnnkit.tasks  # noqa: F401 - registers the tasks (this file may run alone)
from rnnkit.config import apply_overrides, config_from_dict, load_config, parse_value, to_toml
from rnnkit.errors import ConfigError


def raises(text):
    return pytest.raises(ConfigError, match="^" + re.escape(text) + "$")


def test_load_toml_with_overrides(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('task = "recall"\n[model]\nhidden_size = 8\n[train]\nlr = 0.1\n')
    cfg = load_config(path, ["model.hidden_size=16", "train.optimizer=sgd", "name=x", "train.lr=1"])
    assert cfg.model.hidden_size == 16
    assert cfg.train.optimizer == "sgd"
    assert cfg.train.lr == 1.0 and isinstance(cfg.train.lr, float)
    assert cfg.name == "x"
    assert cfg.data.delay == 50  # the task's own data section


def test_round_trip_through_toml(tmp_path):
    cfg = config_from_dict({"task": "recall", "model": {"cell": "gru"}})
    path = tmp_path / "c.toml"
    path.write_text(to_toml(cfg))
    assert load_config(path) == cfg
    assert load_config(path).hash() == cfg.hash()


def test_unknown_key_suggests():
    with raises("unknown key model.hiden_size (did you mean 'hidden_size'?)"):
        config_from_dict({"task": "recall", "model": {"hiden_size": 3}})
    with raises("unknown key trian (did you mean 'train'?)"):
        config_from_dict({"task": "recall", "trian": {}})


def test_wrong_type_names_key_type_and_value():
    with raises("model.hidden_size must be int, received 'big' (str)"):
        config_from_dict({"task": "recall", "model": {"hidden_size": "big"}})
    with raises("train.lr must be float, received True (bool)"):
        config_from_dict({"task": "recall", "train": {"lr": True}})


def test_choices_and_ranges():
    with raises(
        "model.cell must be one of rnn, lstm, gru, jordan, mingru, minlstm, slstm, "
        "received 'lstn' (did you mean 'lstm'?)"
    ):
        config_from_dict({"task": "recall", "model": {"cell": "lstn"}})
    with raises("train.batch_size must be positive, received 0"):
        config_from_dict({"task": "recall", "train": {"batch_size": 0}})
    with raises(
        "model.backend must be 'scratch' for cell 'jordan' (torch.nn has no Jordan "
        "network), received 'native'"
    ):
        config_from_dict({"task": "recall", "model": {"cell": "jordan", "backend": "native"}})
    # without a backend, a Jordan network runs on the only one that has it
    assert config_from_dict({"task": "recall", "model": {"cell": "jordan"}}).model.backend == (
        "scratch"
    )


def test_unknown_task():
    from rnnkit.tasks import TASKS

    assert list(TASKS)[:3] == ["sincos", "regress", "recall"]
    with raises(
        f"task must be one of {', '.join(TASKS)}, received 'sincoss' (did you mean 'sincos'?)"
    ):
        config_from_dict({"task": "sincoss"})


def test_overrides():
    assert parse_value("128") == 128
    assert parse_value("0.5") == 0.5
    assert parse_value("true") is True
    assert parse_value("lstm") == "lstm"
    assert parse_value('"x y"') == "x y"
    assert apply_overrides({}, ["train.lr=0.1"]) == {"train": {"lr": 0.1}}
    with raises(
        "--set key must be one of task, name, data.<key>, model.<key>, train.<key>, "
        "received 'modle.cell' (did you mean 'model'?)"
    ):
        apply_overrides({}, ["modle.cell=gru"])
    with raises("--set expects KEY=VALUE (e.g. model.hidden_size=128), received 'x'"):
        apply_overrides({}, ["x"])


@pytest.mark.parametrize(
    "section, key, value, message",
    [
        ("train", "lr", float("inf"), "train.lr must be a finite number, received inf"),
        ("train", "lr", float("nan"), "train.lr must be a finite number, received nan"),
        ("train", "lr", 10**400, "train.lr must be a finite number, received inf"),
        ("train", "lr", 0.0, "train.lr must be positive, received 0.0"),
        ("train", "weight_decay", -1e-4, "train.weight_decay must be >= 0, received -0.0001"),
        ("train", "momentum", 1.0, "train.momentum must be in [0, 1), received 1.0"),
        ("train", "clip_grad_norm", -1.0, "train.clip_grad_norm must be >= 0, received -1.0"),
        ("train", "min_lr", float("-inf"), "train.min_lr must be a finite number, received -inf"),
        (
            "train",
            "time_budget",
            float("inf"),
            "train.time_budget must be a finite number, received inf",
        ),  # fmt: skip
        ("train", "plateau_factor", 1.5, "train.plateau_factor must be in (0, 1), received 1.5"),
        ("train", "seed", -1, "train.seed must be in [0, 9223372036854775807], received -1"),
        ("train", "epochs", -2, "train.epochs must be >= 0, received -2"),
        ("train", "log_every", 0, "train.log_every must be positive, received 0"),
        ("model", "dropout", float("nan"), "model.dropout must be a finite number, received nan"),
        ("model", "num_layers", 0, "model.num_layers must be positive, received 0"),
        (
            "data",
            "validation_fraction",
            1.0,
            "data.validation_fraction must be in [0, 1), received 1.0",
        ),  # fmt: skip
        ("data", "examples", -5, "data.examples must be positive, received -5"),
        ("data", "noise", -0.1, "data.noise must be >= 0, received -0.1"),
    ],
)
def test_values_are_finite_and_in_range(section, key, value, message):
    with raises(message):
        config_from_dict({"task": "recall", section: {key: value}})


def test_toml_inf_and_nan_literals_and_set_overrides_are_refused(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('task = "recall"\n[train]\nlr = inf\n')
    with raises("train.lr must be a finite number, received inf"):
        load_config(path)
    path.write_text('task = "recall"\n')
    with raises("train.lr must be a finite number, received nan"):
        load_config(path, ["train.lr=nan"])
    path.write_bytes(b'task = "recall"\nname = "\xff"\n')
    with raises(f"{path} is not UTF-8 text: byte 0xff on line 2, column 9"):
        load_config(path)


def test_forecast_and_regress_sections_declare_their_ranges():
    for raw, message in [
        ({"data": {"horizon": 0}}, "data.horizon must be positive, received 0"),
        ({"data": {"test_size": -2}}, "data.test_size must be >= -1, received -2"),
        (
            {"data": {"fill": "zero"}},
            "data.fill must be one of '', none, interpolate, ffill, received 'zero'",
        ),  # fmt: skip
        ({"data": {"decimal": ";"}}, "data.decimal must be one of '.', ',', received ';'"),
        (
            {"model": {"loss": "huber"}},
            "model.loss must be one of mse, mae, quantile, gaussian, student_t, negbin, received "
            "'huber'",
        ),  # fmt: skip
        ({"model": {"burn_in": -1}}, "model.burn_in must be >= 0, received -1"),
    ]:
        with raises(message):
            config_from_dict({"task": "forecast", **raw})
    with raises("data.window must be positive, received 0"):
        config_from_dict({"task": "regress", "data": {"window": 0}})
    with raises("model.kind must be one of recurrent, fc, received 'gru'"):
        config_from_dict({"task": "regress", "model": {"kind": "gru"}})
    with raises("data.segments must be positive, received -5"):
        config_from_dict({"task": "sincos", "data": {"segments": -5}})
    with raises("unknown key model.'hidden\\nsize' (did you mean 'hidden_size'?)"):
        config_from_dict({"task": "sincos", "model": {"hidden\nsize": 3}})
