"""Typed run configuration: dataclasses per section, read from TOML, with checked overrides.

A config file names a ``task`` (and a ``name``: the run folder ``runs/<name>``) and has the
sections ``[data]``, ``[model]`` and ``[train]`` (``rnnkit init TASK`` writes one). Each task
may extend :class:`DataConfig`, :class:`ModelConfig` and :class:`TrainConfig`. An unknown
key, or a value of the wrong type, is a :class:`~rnnkit.errors.ConfigError` naming the key,
the expected type and the received value, with a "did you mean" suggestion.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from rnnkit.config_types import _coerce, _type_name  # noqa: F401 (kept importable here)
from rnnkit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Range:
    """The values a numeric field may take (``high`` None: no bound; ends closed unless open).
    Sections list them in a class attribute ``ranges``, string choices in ``choices``."""

    low: int
    high: int | None = None
    open_low: bool = False
    open_high: bool = False
    auto: bool = False  # the string "auto" is allowed too (e.g. train.num_threads)

    def __contains__(self, value) -> bool:
        if isinstance(value, str):
            return self.auto and value == "auto"
        above = value > self.low if self.open_low else value >= self.low
        below = self.high is None or (value < self.high if self.open_high else value <= self.high)
        return above and below

    def __str__(self) -> str:
        auto = '"auto" or an integer ' if self.auto else ""
        if self.high is None:
            if self.open_low:
                return auto + ("positive" if self.low == 0 else f"> {self.low}")
            return f"{auto}>= {self.low}"
        left, right = "(" if self.open_low else "[", ")" if self.open_high else "]"
        return f"{auto}in {left}{self.low}, {self.high}{right}"


POSITIVE = Range(0, open_low=True)
NON_NEGATIVE = Range(0)
FRACTION = Range(0, 1, open_high=True)  # [0, 1)
OPEN_UNIT = Range(0, 1, open_low=True, open_high=True)  # (0, 1)


IN_MEMORY = "<in-memory data>"  # a data path of a run fitted from Python objects (rnnkit.fit)


@dataclass
class DataConfig:
    """Where the data is and how to read it. Tasks add their own fields."""

    format: str = ""  # the reader: depends on the task ("csv", "imdb", "conll", "text", ...)
    train: str = ""  # path of the training data ("" = the task's built-in default)
    validation: str = ""  # path; "" = a seeded split of `validation_fraction` from train
    test: str = ""  # path of the test data ("" = none, or the task's own held-out part)
    validation_fraction: float = 0.1  # share of train held out when `validation` is empty

    ranges: ClassVar[dict[str, Range]] = {"validation_fraction": FRACTION}


CELLS = ("rnn", "lstm", "gru", "jordan", "mingru", "minlstm", "slstm")  # every task can use them
BACKENDS = ("auto", "native", "scratch")
SCRATCH_ONLY = {"jordan": "Jordan network", "slstm": "sLSTM"}  # cells torch.nn has no kernel for


@dataclass
class ModelConfig:
    """The recurrent network. Tasks add heads, embeddings and the like."""

    cell: str = "lstm"  # rnn | lstm | gru | jordan | mingru | minlstm | slstm (xLSTM)
    backend: str = "auto"  # auto (native, or scratch for jordan, slstm) | native | scratch
    hidden_size: int = 64  # H_out of every recurrent layer
    num_layers: int = 1  # stacked layers
    bidirectional: bool = False  # run a second layer right to left and concatenate
    dropout: float = 0.0  # between stacked layers (and before the head, where a task says)
    nonlinearity: str = "tanh"  # for cell = "rnn": tanh | relu
    weight_drop: float = 0.0  # DropConnect on hidden-to-hidden weights (AWD-LSTM); 0 = off

    choices: ClassVar[dict[str, tuple]] = {
        "cell": CELLS,
        "backend": BACKENDS[1:],
        "nonlinearity": ("tanh", "relu"),
    }
    ranges: ClassVar[dict] = dict(hidden_size=POSITIVE, num_layers=POSITIVE, dropout=FRACTION)
    ranges["weight_drop"] = FRACTION

    def __post_init__(self) -> None:
        if self.backend == "auto":  # torch.nn has no Jordan network: only rnnkit's loop runs it
            self.backend = "scratch" if self.cell in SCRATCH_ONLY else "native"


@dataclass
class TrainConfig:
    """The training loop: budget, optimizer, schedule, evaluation, reproducibility."""

    epochs: int | None = None  # passes over the data (unset: max_steps alone if set, else 10)
    max_steps: int = 0  # stop after this many optimizer steps (0 = no step budget)
    time_budget: float = 0.0  # stop after this many seconds of training (0 = no time budget)
    batch_size: int = 32  # global batch size (split across processes under torchrun)
    optimizer: str = "adam"  # sgd | adam | adamw
    lr: float = 1e-3  # peak learning rate
    momentum: float = 0.0  # SGD momentum
    weight_decay: float = 0.0  # L2 (sgd, adam) or decoupled (adamw) weight decay
    clip_grad_norm: float = 1.0  # clip the global gradient norm to this (0 = no clipping)
    schedule: str = "constant"  # constant | cosine | plateau | slanted (ULMFiT's triangle)
    slanted_cut_frac: float = 0.1  # slanted: the share of the steps that rise to the peak lr
    slanted_ratio: float = 32.0  # slanted: it starts and ends at lr / ratio
    lr_decay_per_group: float = 1.0  # layer group l of G trains at lr / this^(G-l) (1 = off)
    unfreeze: str = "none"  # none | gradual: the last layer group trains alone, then one more
    unfreeze_every: int = 0  # gradual: steps between two unfreezings (0 = one epoch)
    warmup_steps: int = 0  # linear warm-up before the cosine schedule
    min_lr: float = 0.0  # floor of the cosine schedule
    plateau_factor: float = 0.5  # reduce-on-plateau multiplies the lr by this...
    plateau_patience: int = 2  # ...after this many evaluations without improvement
    eval_every: int = 0  # evaluate every N steps (0 = at the end of each epoch)
    log_every: int = 10  # write a metrics row every N steps
    metric: str = ""  # validation metric for best checkpoint / early stopping ("" = task's)
    early_stopping: int = 0  # stop after N evaluations without improvement (0 = off); the
    # final model is always the best one on validation
    seed: int = 0  # seeds python, numpy and torch; data order depends on it too
    deterministic: bool = False  # torch.use_deterministic_algorithms
    device: str = "auto"  # auto (cuda, then mps, then cpu) | cpu | cuda | cuda:1 | mps
    precision: str = "fp32"  # fp32 | bf16 (autocast) | fp16 (autocast + scaler, GPU)
    num_threads: int | str = "auto"  # "auto" (rnnkit.train.threads) | N | 0 (torch's default)

    default_epochs: ClassVar[int] = 10  # the budget when neither epochs nor max_steps is set
    choices: ClassVar[dict[str, tuple]] = {
        "optimizer": ("sgd", "adam", "adamw"),
        "schedule": ("constant", "cosine", "plateau", "slanted"),
        "precision": ("fp32", "bf16", "fp16"),
        "unfreeze": ("none", "gradual"),
    }
    ranges: ClassVar[dict[str, Range]] = {
        **dict.fromkeys(
            "epochs max_steps time_budget warmup_steps plateau_patience".split(), NON_NEGATIVE
        ),
        **dict.fromkeys("eval_every early_stopping weight_decay".split(), NON_NEGATIVE),
        **dict(slanted_cut_frac=OPEN_UNIT, slanted_ratio=Range(1), lr_decay_per_group=Range(1)),
        **dict.fromkeys(("clip_grad_norm", "min_lr", "unfreeze_every"), NON_NEGATIVE),
        "num_threads": Range(0, auto=True),
        **dict.fromkeys(("batch_size", "lr", "log_every"), POSITIVE),
        **{"momentum": FRACTION, "plateau_factor": OPEN_UNIT, "seed": Range(0, 2**63 - 1)},
    }

    def __post_init__(self) -> None:
        # Lightning's and Keras' convention: max_steps alone bounds training
        if self.epochs is None:
            self.epochs = 0 if self.max_steps else self.default_epochs


@dataclass
class Config:
    """A whole run: the task name and its three sections."""

    task: str = ""
    name: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def hash(self) -> str:
        """A short hash of the model-defining parts (task, data, model)."""
        key = {"task": self.task, "data": self.to_dict()["data"], "model": self.to_dict()["model"]}
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


SECTIONS = ("data", "model", "train")
NEWLINE = b"\n"
TOP_LEVEL = ("task", "name")
OTHER_COMMANDS = ("tune",)  # sections read by other commands (rnnkit tune), ignored by a run


def _suggest(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _shown(name) -> str:
    """A key or choice as is, quoted when it is not a plain word (the decimal mark ",")."""
    return name if str(name).replace("_", "").isalnum() else repr(name)


def build_section(cls, values: dict[str, Any], section: str):
    """Build the dataclass ``cls`` from ``values``, refusing unknown keys and wrong types."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown key {section}.{_shown(key)}{_suggest(key, known)}")
        kwargs[key] = _coerce(f"{section}.{key}", value, hints[key])
    return cls(**kwargs)


def parse_value(text: str) -> Any:
    """Parse the value of ``--set key=value`` as TOML (``128``, ``0.1``, ``true``, ``"x"``,
    ``[1, 2]``); anything that is not valid TOML is taken as a plain string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``section.key=value`` (or ``task=...``/``name=...``) overrides to a raw dict."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(
                f"--set expects KEY=VALUE (e.g. model.hidden_size=128), received {item!r}"
            )
        key, value = item.split("=", 1)
        parts = key.strip().split(".")
        if len(parts) == 1 and parts[0] in TOP_LEVEL:
            raw[parts[0]] = parse_value(value)
        elif len(parts) == 2 and parts[0] in SECTIONS:
            raw.setdefault(parts[0], {})[parts[1]] = parse_value(value)
        else:
            known = list(TOP_LEVEL) + [f"{s}.<key>" for s in SECTIONS]
            raise ConfigError(
                f"--set key must be one of {', '.join(known)}, received {key!r}"
                + _suggest(parts[0], SECTIONS + TOP_LEVEL)
            )
    return raw


@dataclass(frozen=True)
class TaskSections:
    """The section classes a task reads: its ``[data]``, ``[model]`` and ``[train]``."""

    data: type[DataConfig] = DataConfig
    model: type[ModelConfig] = ModelConfig
    train: type[TrainConfig] = TrainConfig


# task name -> a function that returns its sections (tasks load lazily); filled by
# rnnkit.tasks, so this module never imports the tasks
_TASKS: dict[str, Callable[[], TaskSections]] = {}


def register_task(name: str, sections: Callable[[], TaskSections]) -> None:
    """Make ``task = "<name>"`` known to :func:`config_from_dict` (called by rnnkit.tasks)."""
    _TASKS[name] = sections


def task_sections(task: Any) -> TaskSections:
    """The sections of a registered task; a ConfigError lists the known tasks."""
    if not isinstance(task, str) or not task:
        raise ConfigError('task must be set, e.g. task = "sincos" at the top of the config')
    if task not in _TASKS:
        known = ", ".join(_TASKS) or "none registered (import rnnkit.tasks first)"
        raise ConfigError(f"task must be one of {known}, received {task!r}{_suggest(task, _TASKS)}")
    return _TASKS[task]()


def config_from_dict(raw: dict[str, Any]) -> Config:
    """Build a :class:`Config`; the task decides the section classes (see :func:`register_task`)."""
    for key in raw:
        if key not in SECTIONS + TOP_LEVEL + OTHER_COMMANDS:
            raise ConfigError(f"unknown key {_shown(key)}{_suggest(key, SECTIONS + TOP_LEVEL)}")
    task = raw.get("task")
    classes = task_sections(task)
    name = _coerce("name", raw.get("name", ""), str)
    sections = {}
    for section in SECTIONS:
        values = raw.get(section, {})
        if not isinstance(values, dict):
            raise ConfigError(f"{section} must be a table [{section}], received {values!r}")
        sections[section] = build_section(getattr(classes, section), values, section)
    config = Config(task=task, name=name, **sections)
    validate(config)
    return config


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Read a TOML config file and apply ``--set`` overrides."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    data = path.read_bytes()
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        at, line = err.start, data.count(NEWLINE, 0, err.start) + 1
        where = f"line {line}, column {at - data.rfind(NEWLINE, 0, at)}"
        raise ConfigError(f"{path} is not UTF-8 text: byte 0x{data[at]:02x} on {where}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path} is not valid TOML: {err}") from None
    return config_from_dict(apply_overrides(raw, overrides or []))


def _rules(cls, kind: str) -> dict:
    """The ``choices`` or ``ranges`` of a section class, merged down its class hierarchy."""
    merged: dict = {}
    for klass in reversed(cls.__mro__):
        merged.update(vars(klass).get(kind, {}))
    return merged


def _check_section(section: str, values) -> None:
    """Finite floats, then the section's ``choices`` and ``ranges``."""
    for f in dataclasses.fields(values):
        value = getattr(values, f.name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, float) and not math.isfinite(item):
                raise ConfigError(f"{section}.{f.name} must be a finite number, received {item}")
    for key, choices in _rules(type(values), "choices").items():
        value = getattr(values, key)
        if value not in choices:
            raise ConfigError(
                f"{section}.{key} must be one of {', '.join(map(_shown, choices))}, received "
                f"{value!r}" + _suggest(str(value), choices)
            )
    for key, allowed in _rules(type(values), "ranges").items():
        value = getattr(values, key)
        for item in value if isinstance(value, list) else [value]:
            if item is not None and item not in allowed:
                raise ConfigError(f"{section}.{key} must be {allowed}, received {item!r}")


def validate(config: Config) -> None:
    """Check what the types alone do not catch: finite numbers, each section's ``choices``
    and ``ranges``, and settings that cannot work together."""
    for section in SECTIONS:
        _check_section(section, getattr(config, section))
    if config.train.epochs == 0 and config.train.max_steps == 0:
        raise ConfigError("set train.epochs or train.max_steps: both are 0, so nothing would train")
    cell = config.model.cell
    if cell in SCRATCH_ONLY and config.model.backend == "native":
        raise ConfigError(
            f"model.backend must be 'scratch' for cell {cell!r} (torch.nn has no "
            f"{SCRATCH_ONLY[cell]}), received 'native'"
        )


def to_toml(config: Config) -> str:
    """The fully resolved config as TOML (enough to rebuild the model)."""
    import tomli_w

    def present(d: dict) -> dict:  # TOML has no null: an unset (None) value is left out
        return {k: present(v) if isinstance(v, dict) else v for k, v in d.items() if v is not None}

    return tomli_w.dumps(present(config.to_dict()))
