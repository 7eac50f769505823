"""Shared helpers for the rnnkit.reference tests (exposed as fixtures).

Sizes are kept tiny so the whole suite runs in a few seconds; everything is float64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

SIZES = {"L": 5, "N": 3, "H_in": 4, "H": 5}

# Tolerances of the task: torch vs NumPy and finite differences vs backward.
FORWARD_TOL = {"rtol": 1e-6, "atol": 1e-10}
GRAD_TOL = {"rtol": 1e-6, "atol": 1e-10}
FD_EPS = 1e-6
FD_TOL = {"rtol": 1e-5, "atol": 1e-8}

PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


@pytest.fixture
def sizes():
    """(L, N, H_in, H) used by every test."""
    return SIZES["L"], SIZES["N"], SIZES["H_in"], SIZES["H"]


@pytest.fixture
def tol():
    """The tolerances, by name: forward, grad, fd."""
    return {"forward": FORWARD_TOL, "grad": GRAD_TOL, "fd": FD_TOL}


def _layer0_params(module: torch.nn.Module) -> dict:
    """torch layer-0 parameters as NumPy arrays under the reference names (None if absent)."""
    params = {}
    for name in PARAM_NAMES:
        value = getattr(module, name + "_l0", None)
        params[name] = None if value is None else value.detach().numpy().copy()
    return params


def _grads_of(module: torch.nn.Module, suffix: str) -> dict:
    """``.grad`` of the four parameters of a torch layer (suffix "_l0") or cell (suffix "")."""
    grads = {}
    for name in PARAM_NAMES:
        value = getattr(module, name + suffix, None)
        grads[name] = None if value is None else value.grad.detach().numpy().copy()
    return grads


def _load_into_cell(cell: torch.nn.Module, params: dict) -> None:
    """Copy the reference-named NumPy arrays into a torch RNNCell/LSTMCell/GRUCell."""
    with torch.no_grad():
        for name in PARAM_NAMES:
            if params[name] is not None:
                getattr(cell, name).copy_(torch.from_numpy(params[name]))


def _assert_param_grads_close(ours: dict, expected: dict, **tolerances) -> None:
    """Compare the four parameter gradients; a missing bias must be None on both sides."""
    for name in PARAM_NAMES:
        if expected[name] is None:
            assert ours[name] is None, f"{name}: expected None for a missing bias"
        else:
            np.testing.assert_allclose(ours[name], expected[name], err_msg=name, **tolerances)


def _finite_difference_check(loss_fn, params: dict, grads: dict, rng, entries: int = 3) -> None:
    """Central differences (L(p + eps) - L(p - eps)) / (2 eps) at a few random entries.

    ``loss_fn(params) -> float`` must use the NumPy forward only.
    """
    for name, value in params.items():
        if value is None:
            continue
        for flat in rng.choice(value.size, size=min(entries, value.size), replace=False):
            index = np.unravel_index(flat, value.shape)
            losses = []
            for sign in (1.0, -1.0):
                perturbed = dict(params)
                perturbed[name] = value.copy()
                perturbed[name][index] += sign * FD_EPS
                losses.append(loss_fn(perturbed))
            numeric = (losses[0] - losses[1]) / (2.0 * FD_EPS)
            np.testing.assert_allclose(
                grads[name][index], numeric, err_msg=f"{name}{index}", **FD_TOL
            )


@pytest.fixture
def layer0_params():
    return _layer0_params


@pytest.fixture
def grads_of():
    return _grads_of


@pytest.fixture
def load_into_cell():
    return _load_into_cell


@pytest.fixture
def assert_param_grads_close():
    return _assert_param_grads_close


@pytest.fixture
def finite_difference_check():
    return _finite_difference_check
