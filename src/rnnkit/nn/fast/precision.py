"""Which dtype a fast recurrence computes in, under autocast or not.

Without autocast everything runs in the dtype of the input projection (float32, float64 or
bfloat16). Under ``torch.autocast(device, dtype=torch.bfloat16)`` the weights stay float32
(master weights) and are cast to bfloat16 once per call; the recurrent matrix products, the
gate activations and the states then run in bfloat16, and every gradient is returned in the
dtype of the tensor it belongs to (float32 for the weights). Autocast is switched off inside
the kernels so that no operation is cast twice.
"""

from __future__ import annotations

import torch
from torch import Tensor

DTYPES = (torch.float32, torch.float64, torch.bfloat16)


def compute_dtype(gi: Tensor) -> torch.dtype:
    """The autocast dtype when autocast is on for ``gi``'s device, else ``gi.dtype``."""
    device = gi.device.type
    if torch.is_autocast_enabled(device):
        low = torch.get_autocast_dtype(device)
        if gi.dtype in (torch.float32, low):  # autocast leaves float64 alone
            return low
    return gi.dtype


def no_autocast(t: Tensor):
    return torch.autocast(t.device.type, enabled=False)


def cast(t: Tensor | None, dtype: torch.dtype) -> Tensor | None:
    return None if t is None else t.to(dtype)
