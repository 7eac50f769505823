"""Task ``classify``'s ``model.encoder = "RUN_DIR"``: a classifier that starts from a language
model (ULMFiT, Howard & Ruder 2018; Dai & Le 2015).

The run folder of an ``lm`` run (word or character level, one text, not conditional) gives:

- the architecture: ``model.cell``, ``hidden_size``, ``num_layers`` and ``embedding_dim``
  are the language model's. A value left at task classify's default is replaced by the
  language model's (said on standard error); any other value that differs is a
  :class:`~rnnkit.errors.ConfigError` naming both. ``model.bidirectional`` must be false:
  the language model read left to right, and no weights exist for a backward direction.
- the embedding, word by word: each word of the classifier's vocabulary (built from its own
  training texts, ``<pad>`` and ``<unk>`` included) that the language model knows keeps the
  language model's vector; the others start from the mean of the language model's vectors
  (as fastai does). How many were found is said on standard error. ``model.freeze_vectors``
  keeps these rows fixed, as it keeps pretrained vectors.
- the recurrent stack: every weight of the language model's recurrent layers (their plain
  values when the language model used weight drop), whatever the classifier's own
  ``weight_drop``, ``backend`` and ``dropout``.

The weights are those of the language model's ``best`` checkpoint (lowest validation loss),
else ``last``. The language model's output layer is not used: the classifier has its own
pooling and head. A classifier run saved with ``model.encoder`` reloads from its own
checkpoint, without reading the language model again.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
from torch import Tensor

from rnnkit.data.text import Vocab, note
from rnnkit.errors import ConfigError
from rnnkit.nn.regularize import plain_state_dict

ARCHITECTURE = ("cell", "hidden_size", "num_layers", "embedding_dim")


def load_language_model(path: str):
    """The run at ``path`` with its best weights (a :class:`~rnnkit.tasks.runs.LoadedRun`)."""
    from rnnkit.tasks.runs import load_run
    from rnnkit.train.checkpoint import load_checkpoint, load_model_state

    run = load_run(Path(path).expanduser())
    if run.config.task != "lm":
        raise ConfigError(
            f"model.encoder must be the run folder of a language model (task lm), received "
            f"{path} (task {run.config.task})"
        )
    best = run.path / "checkpoints" / "best.safetensors"
    if best.is_file():
        load_model_state(run.model, load_checkpoint(best)[0], best)
    return run


def take_architecture(config, lm_config, path: str) -> None:
    """Copy the language model's architecture into ``config.model`` (see the module doc)."""
    m, lm = config.model, lm_config.model
    if lm.input != "embedding" or lm_config.data.format == "folder":
        raise ConfigError(
            f"model.encoder {path} must be a language model of one text with an embedding "
            f"input, received format {lm_config.data.format!r}, input {lm.input!r}"
        )
    if m.bidirectional:
        raise ConfigError(
            f"model.bidirectional must be false with model.encoder: the language model {path} "
            "reads left to right only, received true"
        )
    if config.data.level != lm_config.data.level:
        raise ConfigError(
            f"data.level must be the language model's with model.encoder: {path} reads "
            f"{lm_config.data.level!r}, received {config.data.level!r}"
        )
    if config.data.lower != lm_config.data.lower:
        note(
            f"classify: data.lower is {config.data.lower} but the language model {path} used "
            f"{lm_config.data.lower}: words differing in case will start from the mean vector"
        )
    defaults = {f.name: f.default for f in dataclasses.fields(type(m))}
    for key in ARCHITECTURE:
        own, theirs = getattr(m, key), getattr(lm, key)
        if own == theirs:
            continue
        if own != defaults[key]:
            raise ConfigError(
                f"model.{key} is {own!r} but the language model {path} has {theirs!r}: "
                f"leave model.{key} out or set it to {theirs!r}"
            )
        setattr(m, key, theirs)
        note(f"classify: model.{key} = {theirs!r} (from the language model {path})")


def map_embedding(lm_vocab: Vocab, lm_weight: Tensor, vocab: Vocab) -> tuple[Tensor, int]:
    """``(V, E)`` rows for ``vocab``: the language model's row of each word it knows, the
    mean of its rows for the others; and how many words were found."""
    mean = lm_weight.mean(dim=0)
    rows, found = [], 0
    for token in vocab.itos:
        index = lm_vocab.stoi.get(token)
        found += index is not None
        rows.append(mean if index is None else lm_weight[index])
    return torch.stack(rows).clone(), found


def encoder_init(config, vocab: Vocab) -> tuple[Tensor, dict[str, Tensor]]:
    """The embedding ``(V, E)`` and the recurrent layers' plain state dict that
    ``model.encoder`` gives a classifier whose vocabulary is ``vocab``; ``config.model``
    gets the language model's architecture first."""
    path = config.model.encoder
    if config.model.vectors:
        raise ConfigError(
            "model.vectors and model.encoder both initialise the embedding: set one, received "
            f"vectors = {config.model.vectors!r}, encoder = {path!r}"
        )
    if config.model.kind != "rnn":
        raise ConfigError(f"model.encoder needs model.kind = 'rnn', received {config.model.kind!r}")
    lm = load_language_model(path)
    take_architecture(config, lm.config, path)
    weight = lm.model.embed.weight.detach().float().cpu()
    vectors, found = map_embedding(lm.task.vocab, weight, vocab)
    note(
        f"classify: {found} of {len(vocab)} vocabulary entries take their vector from the "
        f"language model {path}; the others start from its mean vector"
    )
    state = {k: v.detach().cpu() for k, v in plain_state_dict(lm.model.rnn).items()}
    return vectors, state


__all__ = ["ARCHITECTURE", "encoder_init", "load_language_model", "map_embedding"]
