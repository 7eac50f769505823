"""A safetensors checkpoint whose header length starts with the byte 0x80 (a length of 128,
384, ..., 0x7980 ...) is a checkpoint, not a pickle: found by a training run whose best
checkpoint could not be read back (issue 16)."""

from __future__ import annotations

import pickle

import pytest
import torch
from safetensors.torch import save_file

from rnnkit.errors import CheckpointError
from rnnkit.train.checkpoint import _header


def header_length(path) -> int:
    return int.from_bytes(path.read_bytes()[:8], "little")


@pytest.mark.parametrize("low_byte", [0x80, 0x00, 0x08])  # safetensors pads to 8
def test_any_first_byte_of_the_header_length_is_read(tmp_path, low_byte):
    path = tmp_path / "c.safetensors"
    tensors = {"model.w": torch.arange(6.0)}
    for pad in range(600):  # grow the metadata until the length's first byte is low_byte
        save_file(tensors, str(path), metadata={"rnnkit": "x" * pad})
        if header_length(path) % 256 == low_byte:
            break
    assert path.read_bytes()[0] == low_byte
    assert set(_header(path)) == {"__metadata__", "model.w"}


def test_a_pickle_is_still_refused(tmp_path):
    for name, data in (
        ("p.safetensors", pickle.dumps({"w": [1, 2, 3]}, protocol=2)),
        ("z.safetensors", b"PK\x03\x04" + bytes(100)),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CheckpointError) as err:
            _header(path)
        assert str(err.value) == (
            f"{path} is a pickle (torch.save) file, not a safetensors checkpoint; rnnkit never "
            "unpickles"
        )
