"""Checkpoints as safetensors plus JSON: loading one never runs code (no pickle).

One ``.safetensors`` file holds every tensor (model weights under ``model.``, optimizer state
under ``optim.``, random generators under ``rng.``, a carried hidden state under ``carry.``)
and, in its string metadata, a JSON document with everything else (step, metric, config
hash, versions, optimizer hyper-parameters, schedule). The same JSON is written beside it as
``<name>.json`` for people to read (loading never reads it). Both are written to a temporary
file and renamed, so a run killed mid-write keeps its previous checkpoint.

Loading is checked: :func:`load_checkpoint` reads the header against the file's size before
safetensors does, and :func:`load_model_state` compares every tensor's name and shape with
the model and refuses non-finite weights. Whatever is wrong (an empty, truncated, random,
forged or pickle file; broken metadata; a missing tensor or a wrong shape) is one
:class:`~rnnkit.errors.CheckpointError` naming the file and the problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import Tensor, nn

from rnnkit.errors import CheckpointError
from rnnkit.io import atomic_write, atomic_write_text, check_shape

MAX_HEADER = 100_000_000  # bytes; safetensors' own limit
META_SHAPE = {"step": int, "loop": dict}  # what every rnnkit checkpoint's metadata holds


def _flatten_optimizer(state: dict) -> tuple[dict[str, Tensor], dict]:
    tensors, scalars = {}, {}
    for idx, entries in state["state"].items():
        for key, value in entries.items():
            if isinstance(value, Tensor):
                tensors[f"optim.{idx}.{key}"] = value
            else:
                scalars[f"{idx}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, Tensor], meta: dict) -> dict:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        _, idx, key = name.split(".", 2)
        state.setdefault(int(idx), {})[key] = value
    for name, value in meta["scalars"].items():
        idx, key = name.split(".", 1)
        state.setdefault(int(idx), {})[key] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def _carry_tensors(carry) -> tuple[dict[str, Tensor], str | None]:
    if carry is None:
        return {}, None
    if isinstance(carry, Tensor):
        return {"carry.0": carry}, "tensor"
    return {f"carry.{i}": t for i, t in enumerate(carry)}, "tuple"


def save_checkpoint(
    path: Path, *, model, meta: dict, optimizer=None, extra_tensors=None, carry=None
) -> None:
    """Write ``path`` (.safetensors) and ``path.with_suffix('.json')`` atomically."""
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    meta = dict(meta)
    if optimizer is not None:
        opt_tensors, meta["optimizer"] = _flatten_optimizer(optimizer.state_dict())
        tensors.update(opt_tensors)
    tensors.update(extra_tensors or {})
    carry_tensors, meta["carry"] = _carry_tensors(carry)
    tensors.update(carry_tensors)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    text = json.dumps(meta, indent=2, sort_keys=True)
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata={"rnnkit": text}))
    atomic_write_text(path.with_suffix(".json"), text + "\n")


def _header(path: Path) -> dict:
    """The JSON header of the safetensors file ``path``, checked against the file's size."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        first, brace = f.read(8), f.read(1)
        length = int.from_bytes(first, "little")
        # a safetensors header is JSON after its 8-byte length, whose first byte may be 0x80
        # (a length of 128, 384, ...) as a pickle's is: the brace after it tells them apart
        plausible = size >= 9 and length <= min(size - 8, MAX_HEADER) and brace == b"{"
        pickled = first[:4] == b"PK\x03\x04" or first[:1] == b"\x80"
        f.seek(8)
        if pickled and not plausible:
            raise CheckpointError(
                f"{path} is a pickle (torch.save) file, not a safetensors checkpoint; "
                f"rnnkit never unpickles"
            )
        if size < 8:
            raise CheckpointError(f"{path} is {size} bytes long; not a safetensors checkpoint")
        if length > min(size - 8, MAX_HEADER):
            raise CheckpointError(
                f"{path} is not a safetensors checkpoint (or is truncated): its first 8 bytes "
                f"announce a header of {length} bytes, the file has {size - 8} after them"
            )
        try:
            header = json.loads(f.read(length).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            header = None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path} is not a safetensors checkpoint: its header is not JSON")
    ends = [
        _data_end(path, name, entry) for name, entry in header.items() if name != "__metadata__"
    ]
    need, have = max(ends, default=0), size - 8 - length
    if need > have:
        raise CheckpointError(
            f"{path} is truncated: its tensors need {need} bytes after the header, the file "
            f"has {have}"
        )
    return header


def _data_end(path: Path, name: str, entry) -> int:
    offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
    if not (
        isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
    ):
        raise CheckpointError(
            f"{path} is not a safetensors checkpoint: tensor {name!r} has no data offsets"
        )
    return offsets[1]


def _metadata(path: Path, header: dict) -> dict:
    block = header.get("__metadata__")
    text = block.get("rnnkit") if isinstance(block, dict) else None
    if not isinstance(text, str):
        raise CheckpointError(f"{path} has no rnnkit metadata; it is not an rnnkit checkpoint")
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as err:
        raise CheckpointError(
            f"{path} has broken metadata: not valid JSON: {err.msg} (line {err.lineno}, "
            f"column {err.colno})"
        ) from None
    check_shape(meta, META_SHAPE, path, "checkpoint metadata")
    return meta


def load_checkpoint(path: Path) -> tuple[dict[str, Tensor], dict]:
    """Read every tensor and the metadata of a checkpoint (no code is executed); anything
    wrong with the file is a :class:`CheckpointError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path} is empty; expected a safetensors checkpoint")
    meta = _metadata(path, _header(path))
    try:
        with safe_open(str(path), framework="pt") as f:
            tensors = {key: f.get_tensor(key) for key in f.keys()}
    except Exception as err:  # safetensors' own checks: dtypes, overlapping offsets, ...
        detail = " ".join(str(err).split())[:160] or type(err).__name__
        raise CheckpointError(
            f"{path} cannot be read as a safetensors checkpoint: {detail}"
        ) from None
    return tensors, meta


def _shape(t: Tensor) -> str:
    return str(tuple(t.shape))


def load_model_state(model: nn.Module, tensors: dict[str, Tensor], path: Path) -> None:
    """Load the ``model.`` tensors of a checkpoint into ``model``, after checking that they
    are exactly the model's (names and shapes) and finite."""
    expected, found = model.state_dict(), model_state(tensors)
    problem = "does not fit the model that the run's config and artifacts describe"
    missing = [k for k in expected if k not in found]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise CheckpointError(f"{path} {problem}: tensor {missing[0]!r} is missing{more}")
    unexpected = [k for k in found if k not in expected]
    if unexpected:
        raise CheckpointError(f"{path} {problem}: unexpected tensor {unexpected[0]!r}")
    for key, value in found.items():
        if value.shape != expected[key].shape:
            raise CheckpointError(
                f"{path} {problem}: {key!r} has shape {_shape(value)}, the model expects "
                f"{_shape(expected[key])}"
            )
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            bad = int((~torch.isfinite(value)).sum())
            raise CheckpointError(
                f"{path} holds non-finite weights ({key!r} has {bad} NaN or infinite values); "
                f"it cannot be used"
            )
    model.load_state_dict(found)


def model_state(tensors: dict[str, Tensor]) -> dict[str, Tensor]:
    return {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}


def optimizer_state(tensors: dict[str, Tensor], meta: dict) -> dict:
    return _unflatten_optimizer(
        {k: v for k, v in tensors.items() if k.startswith("optim.")}, meta["optimizer"]
    )


def carried_state(tensors: dict[str, Tensor], meta: dict, device) -> Any:
    kind = meta.get("carry")
    if kind is None:
        return None
    parts = [
        tensors[f"carry.{i}"].to(device) for i in range(len(tensors)) if f"carry.{i}" in tensors
    ]
    return parts[0] if kind == "tensor" else tuple(parts)


def load_weights(model: nn.Module, path: Path) -> dict:
    """Load only the model weights of a checkpoint into ``model``; return its metadata."""
    tensors, meta = load_checkpoint(path)
    load_model_state(model, tensors, path)
    return meta


def finite_model(model: nn.Module) -> bool:
    """True when every floating-point parameter and buffer of ``model`` is finite."""
    return all(
        bool(torch.isfinite(t).all()) for t in model.state_dict().values() if t.is_floating_point()
    )
