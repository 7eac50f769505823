"""Helpers for recurrent state, whatever its form (``h``, ``(h, c)`` or ``(h, y)``)."""

from __future__ import annotations

from torch import Tensor


def detach_state(state):
    """Detach a state from the graph (truncated BPTT): tensors, tuples and None."""
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    return type(state)(detach_state(s) for s in state)


def final_hidden(state) -> Tensor:
    """The hidden part ``h_n`` ``(D*num_layers, N, H_out)`` of any layer's final state."""
    return state[0] if isinstance(state, (tuple, list)) else state
