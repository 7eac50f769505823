r"""A word embedding whose first rows learn and whose last rows stay as they were given.

A tagger with ``model.vectors_vocab`` holds the training words (ids ``0 .. trained-1``) and
then every word that only the pretrained vectors know (ids ``trained .. V-1``; with
``data.min_freq > 1`` also the rarer training words that have a vector). The first kind
never occurs in a training batch, so their gradient is zero at every step, and with
``weight_decay = 0`` Adam, SGD and gradient clipping leave them unchanged. Keeping them out of
the parameters spares each step a dense pass over them (the gradient, Adam's two moments and
the clipping norm): about 30,000 rows of 100 in CoNLL-2003 with a 50,000-word LM. The result
equals a plain :class:`torch.nn.Embedding` trained the same way (tested). Flair keeps its
GloVe vectors frozen the same way.

Shapes: ids ``(*)`` of ``int64`` in ``[0, V)`` -> vectors ``(*, E)``;
``weight`` ``(V, E)`` is ``trained_weight`` (the parameter, ``(trained, E)``) then ``frozen``
(a buffer, ``(V - trained, E)``).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F


class FrozenRowsEmbedding(nn.Module):
    """``nn.Embedding(V, E, padding_idx=0)`` whose rows ``trained..V-1`` are a frozen buffer.

    Args:
        weight: the initial ``(V, E)`` matrix.
        trained: how many leading rows learn (``1 <= trained <= V``).

    Its state dict is a plain embedding's, one ``weight`` ``(V, E)``, so a checkpoint holds
    the same tensors with or without the split.
    """

    def __init__(self, weight: Tensor, trained: int) -> None:
        super().__init__()
        rows = weight.size(0)
        if not 1 <= trained <= rows:
            raise ValueError(f"trained must be in [1, {rows}] (the rows), received {trained}")
        self.num_trained, self.padding_idx = trained, 0
        self.trained_weight = nn.Parameter(weight[:trained].detach().clone())  # (trained, E)
        self.register_buffer("frozen", weight[trained:].detach().clone(), persistent=False)

    @property
    def weight(self) -> Tensor:
        """The whole ``(V, E)`` matrix (a new tensor; for reading, not for training)."""
        return torch.cat([self.trained_weight, self.frozen])

    def forward(self, ids: Tensor) -> Tensor:
        inside = ids < self.num_trained
        learned = F.embedding(ids.masked_fill(~inside, 0), self.trained_weight, padding_idx=0)
        fixed = self.frozen[(ids - self.num_trained).clamp(min=0)].to(learned.dtype)
        return torch.where(inside.unsqueeze(-1), learned, fixed)  # (*, E)

    def bag_mean(self, ids: Tensor, offsets: Tensor) -> Tensor:
        """``F.embedding_bag(ids, weight, offsets, mode="mean", padding_idx=0)``: ``(B, E)``.

        ``ids`` ``(T,)`` holds the bags one after the other; bag ``b`` starts at
        ``offsets[b]``. Padding (id 0) is left out of each mean; an empty bag gives zeros.
        """
        lengths = torch.diff(offsets, append=offsets.new_tensor([ids.numel()]))
        bag = torch.repeat_interleave(torch.arange(len(offsets), device=ids.device), lengths)
        vectors = self(ids)  # (T, E)
        keep = (ids != 0).to(vectors.dtype).unsqueeze(-1)  # (T, 1)
        sums = vectors.new_zeros(len(offsets), vectors.size(-1)).index_add_(0, bag, vectors * keep)
        counts = keep.new_zeros(len(offsets), 1).index_add_(0, bag, keep)
        return sums / counts.clamp(min=1)

    def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
        whole = self.weight
        destination[prefix + "weight"] = whole if keep_vars else whole.detach()

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, errors
    ) -> None:
        key = prefix + "weight"
        if key not in state_dict:
            missing_keys.append(key)
            return
        whole = state_dict[key]
        expected = (self.num_trained + len(self.frozen), self.frozen.size(1))
        if tuple(whole.shape) != expected:
            errors.append(
                f"size mismatch for {key}: {tuple(whole.shape)} in the checkpoint, "
                f"{expected} in the model"
            )
            return
        with torch.no_grad():
            self.trained_weight.copy_(whole[: self.num_trained])
            self.frozen.copy_(whole[self.num_trained :])
