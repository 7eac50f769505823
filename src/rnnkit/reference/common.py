"""Small helpers shared by the NumPy reference layers.

Nonlinearities and their derivatives, written in terms of the activation *output* because that
is what the forward pass keeps in its cache:

    sigmoid(a) = 1 / (1 + exp(-a))        sigmoid'(a) = s * (1 - s)   with s = sigmoid(a)
    tanh(a)                               tanh'(a)    = 1 - t**2      with t = tanh(a)
    relu(a)    = max(a, 0)                relu'(a)    = 1 if a > 0 else 0

and the input checks used by every ``*_forward`` / ``*_backward`` function. Every check raises a
``ValueError`` that names the argument, the expected shape and the received shape, e.g.
``h0 must have shape (N, H) = (3, 5), received (5, 3)``.
"""

from __future__ import annotations

import numpy as np


def sigmoid(a):
    """Logistic function 1 / (1 + exp(-a)), computed without overflow for large |a|."""
    a = np.asarray(a)
    e = np.exp(-np.abs(a))  # always in (0, 1], never overflows
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def dsigmoid_from_output(s):
    """sigmoid'(a) expressed with s = sigmoid(a): s * (1 - s)."""
    return s * (1.0 - s)


def dtanh_from_output(t):
    """tanh'(a) expressed with t = tanh(a): 1 - t**2."""
    return 1.0 - t * t


def relu(a):
    """max(a, 0), elementwise."""
    return np.maximum(a, 0.0)


def drelu_from_output(h):
    """relu'(a) expressed with h = relu(a): 1 where h > 0, else 0 (torch uses 0 at a = 0)."""
    return (h > 0).astype(h.dtype)


def frobenius_norm(a) -> float:
    """sqrt(sum of squares) over all entries, e.g. over (N, H) for one time step."""
    return float(np.sqrt(np.sum(np.square(a))))


# --------------------------------------------------------------------------- input checks


def check_shape(name: str, array, expected: tuple, symbols: str) -> np.ndarray:
    """Return ``np.asarray(array)`` or raise if its shape is not ``expected``.

    ``symbols`` spells the shape for the reader, e.g. ``"N, H"`` gives the message
    ``h0 must have shape (N, H) = (3, 5), received (5, 3)``.
    """
    array = np.asarray(array)
    if array.shape != tuple(expected):
        raise ValueError(
            f"{name} must have shape ({symbols}) = {tuple(expected)}, received {array.shape}"
        )
    return array


def check_input(x) -> np.ndarray:
    """x must be a non-empty, time-major (L, N, H_in) array."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (L, N, H_in) (3 dimensions), received {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"x must hold at least one time step (L >= 1), received {x.shape}")
    return x


def check_weights(weight_ih, weight_hh, bias_ih, bias_hh, gates: int, input_size: int):
    """Check torch-shaped parameters of one layer with ``gates`` gates; return them and H.

    weight_ih (G*H, H_in), weight_hh (G*H, H), bias_ih (G*H,) or None, bias_hh (G*H,) or None.
    H is read from ``weight_hh.shape[1]``.
    """
    weight_hh = np.asarray(weight_hh)
    if weight_hh.ndim != 2:
        raise ValueError(
            f"weight_hh must have shape (G*H, H) with G = {gates} (2 dimensions), "
            f"received {weight_hh.shape}"
        )
    H = weight_hh.shape[1]
    rows = "H" if gates == 1 else f"{gates}*H"  # how the first dimension is spelt in messages
    weight_hh = check_shape("weight_hh", weight_hh, (gates * H, H), f"{rows}, H")
    weight_ih = check_shape("weight_ih", weight_ih, (gates * H, input_size), f"{rows}, H_in")
    if bias_ih is not None:
        bias_ih = check_shape("bias_ih", bias_ih, (gates * H,), f"{rows},")
    if bias_hh is not None:
        bias_hh = check_shape("bias_hh", bias_hh, (gates * H,), f"{rows},")
    return weight_ih, weight_hh, bias_ih, bias_hh, H


def zeros_if_none(name: str, array, expected: tuple, symbols: str, dtype) -> np.ndarray:
    """A gradient argument: None means zero, otherwise it must have the ``expected`` shape."""
    if array is None:
        return np.zeros(expected, dtype=dtype)
    return check_shape(name, array, expected, symbols)


def affine(x, weight, bias):
    """x @ weight.T + bias, with bias None meaning zero.   (N, K) -> (N, G*H)"""
    out = x @ weight.T
    return out if bias is None else out + bias


def parameter_gradients(d_weight_ih, d_weight_hh, d_bias_ih, d_bias_hh, cache) -> dict:
    """Gradient dict with torch's parameter names; a bias gradient is None if the bias was None."""
    return {
        "weight_ih": d_weight_ih,
        "weight_hh": d_weight_hh,
        "bias_ih": None if cache["bias_ih"] is None else d_bias_ih,
        "bias_hh": None if cache["bias_hh"] is None else d_bias_hh,
    }
