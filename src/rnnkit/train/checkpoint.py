"""Checkpoints as safetensors plus JSON: loading one never runs code (no pickle).

One ``.safetensors`` file holds every tensor (model weights under ``model.``, optimizer state
under ``optim.``, random generators under ``rng.``, a carried hidden state under ``carry.``)
and, in its string metadata, a JSON document with everything else (step, metric, config
hash, versions, optimizer hyper-parameters, schedule). The same JSON is written beside it as
``<name>.json`` for people to read. Both are written to a temporary file and renamed, so a
run killed mid-write keeps its previous checkpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import Tensor

from rnnkit.errors import CheckpointError
from rnnkit.io import atomic_write, atomic_write_text


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


def load_checkpoint(path: Path) -> tuple[dict[str, Tensor], dict]:
    """Read every tensor and the metadata of a checkpoint (no code is executed)."""
    if not Path(path).is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    tensors = {}
    with safe_open(str(path), framework="pt") as f:
        meta = json.loads((f.metadata() or {}).get("rnnkit", "{}"))
        for key in f.keys():
            tensors[key] = f.get_tensor(key)
    return tensors, meta


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


def load_weights(model: torch.nn.Module, path: Path) -> dict:
    """Load only the model weights of a checkpoint into ``model``; return its metadata."""
    tensors, meta = load_checkpoint(path)
    model.load_state_dict(model_state(tensors))
    return meta
