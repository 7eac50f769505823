"""Reading a run folder's files back: every broken checkpoint or JSON file is one
CheckpointError naming the file and what is wrong with it."""

from __future__ import annotations

import json
import os
import pickle

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from rnnkit.data.text import Vocab
from rnnkit.errors import CheckpointError
from rnnkit.io import read_json
from rnnkit.train.checkpoint import load_checkpoint, load_model_state, save_checkpoint


def header(path, text: bytes, data: bytes = b"") -> None:
    """Write a safetensors-like file: an 8-byte length, ``text`` as header, then ``data``."""
    path.write_bytes(len(text).to_bytes(8, "little") + text + data)


@pytest.fixture
def good(tmp_path):
    """A real checkpoint of ``nn.Linear(3, 2)``."""
    path = tmp_path / "last.safetensors"
    torch.manual_seed(0)
    save_checkpoint(path, model=nn.Linear(3, 2), meta={"step": 7, "loop": {}})
    return path


def test_a_good_checkpoint_round_trips(good):
    model = nn.Linear(3, 2)
    tensors, meta = load_checkpoint(good)
    load_model_state(model, tensors, good)
    assert meta["step"] == 7
    assert torch.equal(model.weight, tensors["model.weight"])


@pytest.mark.parametrize(
    "name, write, message",
    [
        ("empty", lambda p, g: p.write_bytes(b""), "is empty; expected a safetensors checkpoint"),
        (
            "short",
            lambda p, g: p.write_bytes(b"abc"),
            "is 3 bytes long; not a safetensors checkpoint",
        ),
        (
            "truncated header",
            lambda p, g: p.write_bytes(g[:40]),
            "is not a safetensors checkpoint (or is truncated): its first 8 bytes announce a "
            "header of {length} bytes, the file has 32 after them",
        ),
        (
            "truncated data",
            lambda p, g: p.write_bytes(g[:-4]),
            "is truncated: its tensors need 32 bytes after the header, the file has 28",
        ),
        (
            "random bytes",
            lambda p, g: p.write_bytes(bytes(range(8, 0, -1)) + os.urandom(100)),
            "is not a safetensors checkpoint (or is truncated): its first 8 bytes announce a "
            "header of 72623859790382856 bytes, the file has 100 after them",
        ),
        (
            "torch.save",
            lambda p, g: torch.save({"weight": torch.zeros(2)}, p),
            "is a pickle (torch.save) file, not a safetensors checkpoint; rnnkit never unpickles",
        ),
        (
            "pickle",
            lambda p, g: p.write_bytes(pickle.dumps({"a": 1}, protocol=2)),
            "is a pickle (torch.save) file, not a safetensors checkpoint; rnnkit never unpickles",
        ),
        (
            "forged header",
            lambda p, g: header(p, b"[1, 2, 3]    "),
            "is not a safetensors checkpoint: its header is not JSON",
        ),
        (
            "forged offsets",
            lambda p, g: header(p, b'{"model.weight": {"dtype": "F32", "shape": [2]}}'),
            "is not a safetensors checkpoint: tensor 'model.weight' has no data offsets",
        ),
        (
            "no metadata",
            lambda p, g: save_file({"model.weight": torch.zeros(2)}, str(p)),
            "has no rnnkit metadata; it is not an rnnkit checkpoint",
        ),
        (
            "broken metadata",
            lambda p, g: save_file({"x": torch.zeros(1)}, str(p), metadata={"rnnkit": "{step"}),
            "has broken metadata: not valid JSON: Expecting property name enclosed in double "
            "quotes (line 1, column 2)",
        ),
        (
            "metadata without step",
            lambda p, g: save_file({"x": torch.zeros(1)}, str(p), metadata={"rnnkit": "{}"}),
            "is not a valid checkpoint metadata: the key 'step' is missing",
        ),
        (
            "metadata of the wrong type",
            lambda p, g: save_file(
                {"x": torch.zeros(1)}, str(p), metadata={"rnnkit": '{"step": 1, "loop": []}'}
            ),
            "is not a valid checkpoint metadata: 'loop' is a list, expected an object",
        ),
    ],
)
def test_broken_checkpoint_files_are_named(good, name, write, message):
    data = good.read_bytes()
    length = int.from_bytes(data[:8], "little")
    write(good, data)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(good)
    assert str(err.value) == f"{good} {message.format(length=length)}"


def test_a_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path / "none.safetensors")
    assert str(err.value) == f"checkpoint not found: {tmp_path / 'none.safetensors'}"


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda t: t.update({"model.weight": torch.zeros(5, 3)}),
            "does not fit the model that the run's config and artifacts describe: 'weight' has "
            "shape (5, 3), the model expects (2, 3)",
        ),
        (
            lambda t: t.pop("model.bias"),
            "does not fit the model that the run's config and artifacts describe: tensor "
            "'bias' is missing",
        ),
        (
            lambda t: (t.pop("model.bias"), t.pop("model.weight")),
            "does not fit the model that the run's config and artifacts describe: tensor "
            "'weight' is missing (and 1 more)",
        ),
        (
            lambda t: t.update({"model.extra": torch.zeros(1)}),
            "does not fit the model that the run's config and artifacts describe: unexpected "
            "tensor 'extra'",
        ),
        (
            lambda t: t["model.weight"].__setitem__((0, 1), float("nan")),
            "holds non-finite weights ('weight' has 1 NaN or infinite values); it cannot be used",
        ),
    ],
)
def test_a_checkpoint_that_does_not_fit_the_model(good, edit, message):
    tensors, _ = load_checkpoint(good)
    edit(tensors)
    model = nn.Linear(3, 2)
    before = model.weight.detach().clone()
    with pytest.raises(CheckpointError) as err:
        load_model_state(model, tensors, good)
    assert str(err.value) == f"{good} {message}"
    assert torch.equal(model.weight, before)  # nothing was loaded


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "is missing; the run needs it (scaler)"),
        (b"", "is empty; expected the scaler as JSON"),
        (b"  \n", "is empty; expected the scaler as JSON"),
        (
            b'{"mean": 1.5, "st',
            "is not valid JSON: Unterminated string starting at (line 1, column 15); expected "
            "the scaler",
        ),
        (
            b'{"mean": 1.5}\n\xff',
            "is not UTF-8 text (byte 0xff at offset 14); expected the scaler as JSON",
        ),
        (b"[1.5, 2.0]", "holds a list; expected the scaler as an object"),
        (b'{"mean": 1.5}', "is not a valid scaler: the key 'std' is missing"),
        (
            b'{"mean": "1.5", "std": 2}',
            "is not a valid scaler: 'mean' is a string, expected a number",
        ),
        (b"[" * 100_000, "is nested too deeply; expected the scaler"),
    ],
)
def test_read_json_names_the_file_and_the_problem(tmp_path, content, message):
    path = tmp_path / "scaler.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CheckpointError) as err:
        read_json(path, "scaler", {"mean": (int, float), "std": (int, float)})
    assert str(err.value) == f"{path} {message}"


def test_read_json_reads_what_it_is_given(tmp_path):
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(["neg", "pos"]))
    assert read_json(path, "labels", list) == ["neg", "pos"]


@pytest.mark.parametrize(
    "content, message",
    [
        (
            '{"itos": ["<pad>", "<unk>"]}',
            "is not a valid vocabulary: the key 'specials' is missing",
        ),
        (
            '{"itos": [1, 2], "specials": []}',
            "is not a valid vocabulary: its tokens must all be strings",
        ),
        (
            '{"itos": ["<pad>", "a", "a"], "specials": ["<pad>"]}',
            "is not a valid vocabulary: Vocab tokens must be unique",
        ),
        (
            '{"itos": ["<pad>", "<u',
            "is not valid JSON: Unterminated string starting at (line 1, column 20); expected "
            "the vocabulary",
        ),
    ],
)
def test_a_corrupt_vocabulary_is_named(tmp_path, content, message):
    path = tmp_path / "vocab.json"
    path.write_text(content)
    with pytest.raises(CheckpointError) as err:
        Vocab.load(path)
    assert str(err.value) == f"{path} {message}"


def test_a_header_length_whose_first_byte_looks_like_pickle_still_loads(tmp_path):
    """The first byte of a safetensors file is the low byte of its header length: 0x80 (a
    pickle's first byte) happens for one header size in 256 and must not be refused."""
    import json as _json

    import torch
    from safetensors.torch import save_file

    from rnnkit.train.checkpoint import load_checkpoint

    path = tmp_path / "c.safetensors"
    for pad in range(300):
        meta = {"rnnkit": _json.dumps({"step": 1, "loop": {}, "pad": "x" * pad})}
        save_file({"model.w": torch.ones(2)}, str(path), metadata=meta)
        if path.read_bytes()[0] == 0x80:
            break
    assert path.read_bytes()[0] == 0x80
    tensors, meta = load_checkpoint(path)
    assert torch.equal(tensors["model.w"], torch.ones(2)) and meta["step"] == 1
