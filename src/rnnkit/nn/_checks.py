"""Argument checks shared by the cells and layers.

Every message names the argument, what was expected and what was received, so that a
mistake is fixed from the message alone.
"""

from __future__ import annotations

import torch


def check_positive_int(name: str, value: object) -> int:
    """``value`` must be an int > 0 (bool is refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a positive integer, received {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, received {value}")
    return value


def check_non_negative_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a non-negative integer, received {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, received {value}")
    return value


def check_dropout(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"dropout must be a number in [0, 1], received {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"dropout must be a number in [0, 1], received {value}")
    return float(value)


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        known = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {known}, received {value!r}")
    return value  # type: ignore[return-value]


def _autocast_on(device_type: str) -> bool:
    try:
        return torch.is_autocast_enabled(device_type)
    except TypeError:  # torch < 2.4 has no device argument
        cpu = device_type == "cpu"
        return torch.is_autocast_cpu_enabled() if cpu else torch.is_autocast_enabled()


def check_same_dtype_device(name: str, tensor: torch.Tensor, weight: torch.Tensor) -> None:
    """The input and the weights must share dtype and device (no silent casts), except that
    under autocast the input may come in the lower precision, as torch.nn allows."""
    if tensor.dtype != weight.dtype and not _autocast_on(tensor.device.type):
        raise TypeError(
            f"{name} has dtype {tensor.dtype} but the weights have dtype {weight.dtype}; "
            f"convert one of them, e.g. {name}.to({weight.dtype})"
        )
    if tensor.device != weight.device:
        raise ValueError(
            f"{name} is on device {tensor.device} but the weights are on {weight.device}; "
            f"move one of them, e.g. model.to({str(tensor.device)!r})"
        )


def shape_str(shape) -> str:
    dims = tuple(int(d) for d in shape)
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def check_feature_size(name: str, tensor: torch.Tensor, input_size: int) -> None:
    if tensor.size(-1) != input_size:
        raise ValueError(
            f"{name}.size(-1) must equal input_size={input_size}, received {tensor.size(-1)} "
            f"({name} shape {shape_str(tensor.shape)})"
        )


def check_sequence_length(tensor: torch.Tensor, batch_first: bool) -> None:
    """A padded input must have at least one step: torch.nn raises this RuntimeError for
    ``L = 0``, and both engines raise the same (the scratch loop has no step to run)."""
    batched_first = batch_first and tensor.dim() == 3
    if tensor.size(1 if batched_first else 0) == 0:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")


def check_state_shape(name: str, state: torch.Tensor, expected: tuple[int, ...]) -> None:
    """Check an initial state of a layer, catching the batch-first h0 mistake.

    ``expected`` is ``(D*num_layers, N, H)`` (or ``(D*num_layers, H)`` unbatched). The state is
    never batch-first, whatever ``batch_first`` says; a state of shape ``(N, D*num_layers, H)``
    has the right number of elements when the two leading sizes are swapped, so it is named
    explicitly instead of failing later (or worse, running).
    """
    got = tuple(state.shape)
    if got == expected:
        return
    rule = "(D*num_layers, N, H_out)" if len(expected) == 3 else "(D*num_layers, H_out)"
    if name == "c0" and len(expected) == 3:
        rule = "(D*num_layers, N, H_cell)"
    msg = (
        f"{name} must have shape {rule} = {shape_str(expected)} whatever batch_first is, "
        f"received {shape_str(got)}"
    )
    if len(expected) == 3 and got == (expected[1], expected[0], expected[2]):
        msg += (
            f": it looks batch-first (N, D*num_layers, H); the initial state is never "
            f"batch-first, use {name}.transpose(0, 1).contiguous()"
        )
    raise ValueError(msg)
