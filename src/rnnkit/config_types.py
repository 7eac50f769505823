"""Checking a config value against its field's type annotation (used by :mod:`rnnkit.config`).

``_coerce(key, value, tp)`` accepts ``value`` if it fits ``tp`` (unions, ``list[...]``,
``Any``, ``None``; an int is accepted for a float) and otherwise raises a
:class:`~rnnkit.errors.ConfigError` naming the key, the expected type and the received value.
"""

from __future__ import annotations

import math
import types
import typing
from typing import Any

from rnnkit.errors import ConfigError


def _type_name(tp) -> str:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if typing.get_origin(tp) is list:
        (inner,) = typing.get_args(tp) or (Any,)
        return f"list of {_type_name(inner)}"
    return getattr(tp, "__name__", str(tp))


def _coerce(key: str, value: Any, tp) -> Any:
    """Check ``value`` against the field type ``tp``; ints are accepted for floats."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            try:
                return _coerce(key, value, arg)
            except ConfigError:
                continue
    elif origin is list:
        (inner,) = typing.get_args(tp) or (Any,)
        if isinstance(value, list):
            return [_coerce(key, v, inner) for v in value]
    elif tp is Any:
        return value
    elif tp is type(None):
        if value is None:
            return None
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            big = isinstance(value, int) and abs(value) >= 2**1023  # float() would overflow
            return (math.inf if value > 0 else -math.inf) if big else float(value)  # refused later
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(value, tp):
        return value
    raise ConfigError(
        f"{key} must be {_type_name(tp)}, received {value!r} ({type(value).__name__})"
    )
