from __future__ import annotations

import re

import pytest

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
        "model.cell must be one of rnn, lstm, gru, jordan, received 'lstn' (did you mean 'lstm'?)"
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
