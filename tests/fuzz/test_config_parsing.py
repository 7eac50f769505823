"""Property tests of the config readers: any TOML file, ``--set`` override or dict is turned
into a valid Config or refused with a ConfigError; nothing else escapes.

The generators mix the real keys of every task's sections (so that most examples reach the
type and range checks) with junk keys, values of every TOML type (huge integers, ``inf`` and
``nan``, dates, nested tables) and text that is not TOML or not UTF-8 at all.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import os
import tempfile
import typing
from pathlib import Path

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnkit.config import (
    SECTIONS,
    Config,
    apply_overrides,
    config_from_dict,
    load_config,
    task_sections,
    to_toml,
)
from rnnkit.errors import ConfigError
from rnnkit.tasks import TASKS

EXAMPLES = int(os.environ.get("RNNKIT_FUZZ_EXAMPLES", "0"))  # > 0: a longer, random hunt
SETTINGS = settings(
    max_examples=EXAMPLES or 50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=not EXAMPLES,
)

TASK_NAMES = list(TASKS)
KEYS = {
    section: sorted(
        {f.name for t in TASK_NAMES for f in dataclasses.fields(getattr(task_sections(t), section))}
    )
    for section in SECTIONS
}  # every key of every task: a key of another task is unknown to this one

SCALARS = st.one_of(
    st.integers(-5, 300),
    st.integers(-(2**80), 2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-2, 2),
    st.booleans(),
    st.text(max_size=8),
    st.sampled_from(["lstm", "gru", "adam", "cosine", "segrnn", "naive", "mae", ",", "."]),
    st.dates(),
    st.datetimes(),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=4), SCALARS, max_size=2),
)


def rarely(draw, one_in: int) -> bool:
    """True about once in ``one_in`` draws (``integers(0, n) == 0`` is far more frequent:
    hypothesis favours the ends of a range)."""
    return draw(st.sampled_from([False] * (one_in - 1) + [True]))


def field_values(cls, name: str):
    """Values for the field ``name`` of the section class ``cls``: mostly of its type and
    near its range (so that the range checks are reached), sometimes anything at all."""
    hint = typing.get_type_hints(cls)[name]
    default = getattr(cls(), name)
    choices = {**getattr(cls, "choices", {})}.get(name, ())
    if hint is bool:
        typed = st.booleans()
    elif hint is float:
        typed = st.one_of(st.floats(-1, 3), st.sampled_from([math.inf, -math.inf, math.nan, 0.0]))
    elif hint in (int, int | None):
        typed = st.integers(-3, 300)
    elif hint is str:
        typed = st.sampled_from(list(choices) + [default, "", "x"])
    else:  # list[float] | list[str]
        typed = st.lists(st.one_of(st.floats(-0.5, 1.5), st.text(max_size=3)), max_size=3)
    return st.sampled_from([typed] * 5 + [VALUES]).flatmap(lambda strategy: strategy)


@st.composite
def raw_configs(draw) -> dict:
    """A dict as a TOML file would give: a task and its real keys, sometimes junk."""
    task = draw(st.sampled_from(TASK_NAMES))
    raw: dict = {"task": task}
    if rarely(draw, 20):
        raw["task"] = draw(st.one_of(st.sampled_from(["sincoss", ""]), SCALARS))
    if rarely(draw, 5):
        raw["name"] = draw(SCALARS if rarely(draw, 4) else st.text(max_size=6))
    for section in SECTIONS:
        cls = getattr(task_sections(task), section)
        names = [f.name for f in dataclasses.fields(cls)]
        table = {}
        for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
            table[name] = draw(field_values(cls, name))
        if rarely(draw, 20):
            table[draw(st.text(max_size=6))] = draw(VALUES)
        if table or draw(st.booleans()):
            raw[section] = table
    if rarely(draw, 30):
        raw[draw(st.text(max_size=6))] = draw(VALUES)
    if rarely(draw, 30):
        raw[draw(st.sampled_from(SECTIONS))] = draw(SCALARS)  # a section that is no table
    return raw


def valid(config: Config) -> None:
    """What a returned Config promises: finite numbers, and it survives a TOML round trip."""
    for section in SECTIONS:
        for f in dataclasses.fields(getattr(config, section)):
            value = getattr(getattr(config, section), f.name)
            for item in value if isinstance(value, list) else [value]:
                assert not (isinstance(item, float) and not math.isfinite(item)), f.name
    again = config_from_dict(_tomllib().loads(to_toml(config)))
    assert again == config


def _tomllib():
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib


def built_or_refused(build) -> None:
    try:
        config = build()
    except ConfigError as err:
        assert str(err) and "\n" not in str(err).strip(), str(err)
        return
    valid(config)


@SETTINGS
@given(raw_configs())
def test_any_dict_is_a_valid_config_or_a_config_error(raw):
    built_or_refused(lambda: config_from_dict(raw))


def _toml_bytes(raw: dict) -> bytes:
    try:
        return tomli_w.dumps(raw).encode()
    except (TypeError, ValueError):  # what TOML cannot hold (an empty key, a None)
        return b'task = "recall"\n'


@SETTINGS
@given(
    raw_configs(),
    st.sampled_from(["toml", "toml", "text", "bytes"]),
    st.text(max_size=40),
    st.binary(max_size=40),
)
def test_any_file_is_loaded_or_refused_with_a_config_error(raw, kind, text, data):
    body = {"toml": _toml_bytes(raw), "text": text.encode(), "bytes": data}[kind]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.toml"
        path.write_bytes(body)
        built_or_refused(lambda: load_config(path))


OVERRIDE_KEYS = st.one_of(
    st.sampled_from([f"{s}.{k}" for s in SECTIONS for k in KEYS[s]] + ["task", "name"]),
    st.text(max_size=10),
    st.sampled_from(["model.", ".lr", "train.lr.x", "", " train.lr ", "data"]),
)
OVERRIDE_VALUES = st.one_of(
    st.sampled_from(["inf", "-inf", "nan", "1e999", "0", "-1", "1.5", "true", '"x"', "[1, 2]"]),
    st.sampled_from(["1", "2", "0.5", "0.01", "lstm", "gru", "adam", "cosine", "mae", ".", ","]),
    st.sampled_from(["3", "10", "0.1", "false", "rnn", "sgd", "naive", "standard", "[0.1, 0.9]"]),
    st.sampled_from(["10" + "0" * 400, "{a = 1}", "1979-05-27", "'lstm'", "", "=", "[0.1, 1.0]"]),
    st.text(max_size=10),
    SCALARS.map(str),
)


def toml_text(value) -> str:
    """``value`` written as on a command line: its TOML literal (or its str)."""
    try:
        text = tomli_w.dumps({"v": value})
    except (TypeError, ValueError):
        return str(value)
    return text.split("=", 1)[1].strip() if text.startswith("v =") else str(value)


@st.composite
def overrides(draw, task: str) -> list[str]:
    """``--set`` items: real keys of the task with values written as on a command line."""
    items = []
    for _ in range(draw(st.integers(0, 3))):
        section = draw(st.sampled_from(SECTIONS))
        cls = getattr(task_sections(task), section)
        name = draw(st.sampled_from([f.name for f in dataclasses.fields(cls)]))
        key = draw(OVERRIDE_KEYS) if rarely(draw, 8) else f"{section}.{name}"
        value = draw(OVERRIDE_VALUES if rarely(draw, 3) else field_values(cls, name).map(toml_text))
        items.append(draw(st.sampled_from([key, value])) if rarely(draw, 12) else f"{key}={value}")
    return items


@SETTINGS
@given(st.data())
def test_any_set_overrides_give_a_valid_config_or_a_config_error(data):
    task = data.draw(st.sampled_from(TASK_NAMES))
    items = data.draw(overrides(task))
    built_or_refused(lambda: config_from_dict(apply_overrides({"task": task}, items)))


def test_dates_and_tables_in_a_number_field_name_the_key():
    for value, shown in [
        (datetime.date(2024, 1, 1), "datetime.date(2024, 1, 1) (date)"),
        ({"a": 1}, "{'a': 1} (dict)"),
    ]:
        try:
            config_from_dict({"task": "recall", "train": {"lr": value}})
        except ConfigError as err:
            assert str(err) == f"train.lr must be float, received {shown}"
        else:  # pragma: no cover
            raise AssertionError("accepted")
