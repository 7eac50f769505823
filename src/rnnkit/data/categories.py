"""A folder of categories: one UTF-8 file per category, one example per line.

``names/Russian.txt`` holds Russian surnames, one per line, so the folder ``names/`` is a set
of (text, category) pairs with the categories named by the file stems, sorted. Lines (split
at ``\n`` only) are stripped of surrounding white space; blank lines separate examples and
are skipped; a file with none but blank lines is refused; repeated (text, category)
pairs are kept once (the names data repeats many names, and a repeat in both the training
and the validation part would leak).
"""

from __future__ import annotations

from pathlib import Path

import torch

from rnnkit.data.text import read_text_file, text_lines
from rnnkit.errors import DataError


def read_category_folder(
    folder: str | Path, suffix: str = ".txt"
) -> tuple[list[tuple[str, str]], list[str]]:
    """``(pairs, categories)``: the unique (text, category) pairs in file then line order,
    and the sorted category names. Errors name the folder or the file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"category folder not found: {folder} (expected one *{suffix} per class)")
    files = sorted(
        (p for p in folder.iterdir() if p.suffix == suffix and p.is_file()), key=lambda p: p.stem
    )
    if not files:
        raise DataError(f"{folder} has no *{suffix} files (one file per category)")
    pairs: dict[tuple[str, str], None] = {}
    for path in files:
        lines = [line.strip() for line in text_lines(read_text_file(path))]
        kept = [line for line in lines if line]
        if not kept:
            raise DataError(f"{path} has no non-empty line (category {path.stem!r} is empty)")
        for line in kept:
            pairs[(line, path.stem)] = None
    return list(pairs), [p.stem for p in files]


def boundary_batch(seqs: list[list[int]], boundary: int, pad: int) -> dict[str, torch.Tensor]:
    """Each id sequence ``s`` as ``boundary s boundary``, cut into the next-token pair
    ``inputs = boundary s`` and ``targets = s boundary``, padded with ``pad``: ``inputs``
    and ``targets`` ``(M, L)`` with ``L = 1 + the longest s``, ``lengths`` ``(M,)``."""
    width = max(len(s) for s in seqs) + 1
    inputs = torch.full((len(seqs), width), pad, dtype=torch.long)
    targets = torch.full((len(seqs), width), pad, dtype=torch.long)
    for i, s in enumerate(seqs):
        inputs[i, : len(s) + 1] = torch.tensor([boundary] + s, dtype=torch.long)
        targets[i, : len(s) + 1] = torch.tensor(s + [boundary], dtype=torch.long)
    lengths = torch.tensor([len(s) + 1 for s in seqs])
    return {"inputs": inputs, "targets": targets, "lengths": lengths}
