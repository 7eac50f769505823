"""minGRU and minLSTM layers in NumPy: forward and back-propagation through time, step by step.

Same equations, parameter names and gate orders as layer 0 of :class:`rnnkit.nn.MinGRU` and
:class:`rnnkit.nn.MinLSTM` (Feng et al. 2024). No recurrent weights: the gates read x_t only.

    g(a)  = a + 0.5 if a >= 0 else sigmoid(a)      candidate activation, always > 0
    minGRU:  [a_z, a_h] = W_ih x_t + b_ih           (N, 2H) split in 2 x (N, H)
             z = sigmoid(a_z)                       update gate   (N, H)
             c = g(a_h)                             candidate     (N, H)
             h_t = (1 - z) * h_{t-1} + z * c
    minLSTM: [a_f, a_i, a_h] = W_ih x_t + b_ih      (N, 3H) split in 3 x (N, H)
             f = sigmoid(a_f),  i = sigmoid(a_i),  s = f + i
             f' = f / s,  i' = i / s                normalised gates, f' + i' = 1
             h_t = f' * h_{t-1} + i' * g(a_h)

Backward of one step, given the total derivative dh = dL/dh_t:

    minGRU:  dz = dh * (c - h_{t-1})   dc = dh * z      dh_{t-1} = dh * (1 - z)
             da_z = dz * z (1 - z)     da_h = dc * g'(a_h)
    minLSTM: df' = dh * h_{t-1}        di' = dh * c     dc = dh * i'   dh_{t-1} = dh * f'
             df = (df' - di') * i / s^2                 di = (di' - df') * f / s^2
             da_f = df * f (1 - f)     da_i = di * i (1 - i)       da_h = dc * g'(a_h)
    both:    dW_ih += da^T x_t   db_ih += sum_n da   dx_t = da W_ih

with g'(a) = 1 for a >= 0, else sigmoid(a) (1 - sigmoid(a)). Shapes: x (L, N, H_in), h0 (N, H),
weight_ih (G*H, H_in) with G = 2 (minGRU) or 3 (minLSTM), bias_ih (G*H,) or None.
"""

from __future__ import annotations

import numpy as np

from .common import affine, check_input, check_shape, frobenius_norm, sigmoid, zeros_if_none

GATES = {"mingru": 2, "minlstm": 3}


def g(a):
    """The candidate's activation: ``a + 0.5`` for ``a >= 0``, else ``sigmoid(a)``."""
    return np.where(a >= 0, a + 0.5, sigmoid(np.minimum(a, 0.0)))


def dg(a):
    """``g'(a)``: 1 for ``a >= 0``, else ``sigmoid(a) (1 - sigmoid(a))``."""
    s = sigmoid(np.minimum(a, 0.0))
    return np.where(a >= 0, 1.0, s * (1.0 - s))


def step_forward(kind, x_t, h_prev, weight_ih, bias_ih):
    """One time step. x_t (N, H_in), h_prev (N, H) -> h_t (N, H) and the step cache."""
    gi = affine(x_t, weight_ih, bias_ih)  # W_ih x_t + b_ih  (N, G*H)
    if kind == "mingru":
        a_z, a_h = np.split(gi, 2, axis=1)  # 2 x (N, H)
        z = sigmoid(a_z)  # update gate
        c = g(a_h)  # candidate h~_t
        h = (1.0 - z) * h_prev + z * c  # h_t = (1 - z) h_{t-1} + z h~_t
        return h, (x_t, h_prev, a_h, c, (z,))
    a_f, a_i, a_h = np.split(gi, 3, axis=1)  # 3 x (N, H)
    f, i = sigmoid(a_f), sigmoid(a_i)  # forget and input gates
    s = f + i
    c = g(a_h)
    h = (f / s) * h_prev + (i / s) * c  # h_t = f' h_{t-1} + i' h~_t
    return h, (x_t, h_prev, a_h, c, (f, i, s))


def step_backward(kind, dh, step_cache, weight_ih):
    """Back-propagate dh = dL/dh_t through one step.

    Returns dx_t (N, H_in), dh_prev (N, H) (the part through this step), dW_ih (G*H, H_in) and
    db_ih (G*H,).
    """
    x_t, h_prev, a_h, c, gates = step_cache
    if kind == "mingru":
        (z,) = gates
        dz = dh * (c - h_prev)  # dL/dz
        da_h = dh * z * dg(a_h)  # dL/da_h = dh z g'(a_h)
        da = [dz * z * (1.0 - z), da_h]  # through the sigmoid: dz z (1 - z)
        dh_prev = dh * (1.0 - z)
    else:
        f, i, s = gates
        df_norm, di_norm = dh * h_prev, dh * c  # dL/df', dL/di'
        df = (df_norm - di_norm) * i / s**2  # f' = f/s, i' = i/s
        di = (di_norm - df_norm) * f / s**2
        da_h = dh * (i / s) * dg(a_h)
        da = [df * f * (1.0 - f), di * i * (1.0 - i), da_h]
        dh_prev = dh * (f / s)
    da = np.concatenate(da, axis=1)  # dL/d(W_ih x_t + b_ih)  (N, G*H)
    return da @ weight_ih, dh_prev, da.T @ x_t, da.sum(axis=0)


def _check(kind, x, h0, weight_ih, bias_ih):
    if kind not in GATES:
        raise ValueError(f"kind must be one of mingru, minlstm, received {kind!r}")
    x = check_input(x)
    weight_ih = np.asarray(weight_ih)
    gates = GATES[kind]
    if weight_ih.ndim != 2 or weight_ih.shape[0] % gates:
        raise ValueError(
            f"weight_ih must have shape ({gates}*H, H_in) for {kind}, received {weight_ih.shape}"
        )
    H = weight_ih.shape[0] // gates
    weight_ih = check_shape("weight_ih", weight_ih, (gates * H, x.shape[2]), f"{gates}*H, H_in")
    if bias_ih is not None:
        bias_ih = check_shape("bias_ih", bias_ih, (gates * H,), f"{gates}*H,")
    h0 = check_shape("h0", h0, (x.shape[1], H), "N, H")
    return x, h0, weight_ih, bias_ih, H


def min_forward(kind, x, h0, weight_ih, bias_ih=None):
    """Run a minGRU (``kind="mingru"``) or minLSTM (``"minlstm"``) layer over a sequence.

    x (L, N, H_in), h0 (N, H) -> (output (L, N, H), h_n (N, H), cache); output[t] = h_t.
    """
    x, h, weight_ih, bias_ih, H = _check(kind, x, h0, weight_ih, bias_ih)
    outputs, steps = [], []
    for t in range(x.shape[0]):
        h, step_cache = step_forward(kind, x[t], h, weight_ih, bias_ih)  # (N, H)
        outputs.append(h)
        steps.append(step_cache)
    output = np.stack(outputs)  # (L, N, H)
    cache = {"kind": kind, "steps": steps, "sizes": (*x.shape, H), "dtype": output.dtype}
    cache.update({"weight_ih": weight_ih, "bias_ih": bias_ih})
    return output, h, cache


def min_backward(d_output, d_h_n, cache):
    """Back-propagation through time for :func:`min_forward`.

    d_output (L, N, H) and d_h_n (N, H), either None (zero). Returns a dict with "weight_ih",
    "bias_ih" (None without a bias), "input" (L, N, H_in), "h0" (N, H) and "dh_norms" (L,),
    the norm of the total derivative dL/dh_t at each step.
    """
    L, N, H_in, H = cache["sizes"]
    dtype, weight_ih = cache["dtype"], cache["weight_ih"]
    d_output = zeros_if_none("d_output", d_output, (L, N, H), "L, N, H", dtype)
    dh_next = zeros_if_none("d_h_n", d_h_n, (N, H), "N, H", dtype)
    d_weight_ih = np.zeros_like(weight_ih, dtype=dtype)
    d_bias_ih = np.zeros(weight_ih.shape[0], dtype=dtype)
    d_input = np.zeros((L, N, H_in), dtype=dtype)
    dh_norms = np.zeros(L)
    for t in reversed(range(L)):
        dh = d_output[t] + dh_next  # dL/dh_t: from output t + from step t+1  (N, H)
        dh_norms[t] = frobenius_norm(dh)
        dx, dh_next, dw, db = step_backward(cache["kind"], dh, cache["steps"][t], weight_ih)
        d_input[t] = dx
        d_weight_ih += dw  # shared over time: sum over t
        d_bias_ih += db
    bias = None if cache["bias_ih"] is None else d_bias_ih
    return {"weight_ih": d_weight_ih, "bias_ih": bias, "input": d_input, "h0": dh_next,
            "dh_norms": dh_norms}  # fmt: skip


def mingru_forward(x, h0, weight_ih, bias_ih=None):
    """:func:`min_forward` for minGRU: weight_ih (2H, H_in) stacked (W_iz|W_ih)."""
    return min_forward("mingru", x, h0, weight_ih, bias_ih)


def minlstm_forward(x, h0, weight_ih, bias_ih=None):
    """:func:`min_forward` for minLSTM: weight_ih (3H, H_in) stacked (W_if|W_ii|W_ih)."""
    return min_forward("minlstm", x, h0, weight_ih, bias_ih)


__all__ = ["min_backward", "min_forward", "mingru_forward", "minlstm_forward"]
