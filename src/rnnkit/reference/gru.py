"""GRU layer in NumPy: forward pass and back-propagation through time (BPTT).

Same equations, parameter names, shapes and gate order (r, z, n) as layer 0 of
``torch.nn.GRU``. Note torch's form of the candidate: the reset gate multiplies
``W_hn h + b_hn`` (not ``h`` before the matrix product), so input and hidden parts are kept apart:

    [gi_r, gi_z, gi_n] = W_ih x_t + b_ih          (N, 3H) split in 3 x (N, H)
    [gh_r, gh_z, gh_n] = W_hh h_{t-1} + b_hh      (N, 3H) split in 3 x (N, H)
    r   = sigmoid(gi_r + gh_r)                    reset gate        (N, H)
    z   = sigmoid(gi_z + gh_z)                    update gate       (N, H)
    n   = tanh(gi_n + r * gh_n)                   candidate         (N, H)
    h_t = (1 - z) * n + z * h_{t-1}                                 (N, H)

Shapes: x (L, N, H_in) time-major, h0 (N, H), weight_ih (3H, H_in), weight_hh (3H, H),
bias_ih (3H,), bias_hh (3H,). A bias may be None (zero; gradient None).

Backward, for one step, given the total derivative dh_t = dL/dh_t (``*`` is elementwise):

    dn = dh_t * (1 - z)      dz = dh_t * (h_{t-1} - n)
    da_n = dn * (1 - n^2)    dr = da_n * gh_n
    da_r = dr * r(1-r)       da_z = dz * z(1-z)
    dgi = [da_r, da_z, da_n]           dgh = [da_r, da_z, da_n * r]      (N, 3H)
    dW_ih += dgi^T x_t   db_ih += sum_n dgi   dW_hh += dgh^T h_{t-1}   db_hh += sum_n dgh
    dx_t = dgi W_ih      dh_{t-1} += dh_t * z + dgh W_hh
"""

from __future__ import annotations

import numpy as np

from .common import (
    affine,
    check_input,
    check_shape,
    check_weights,
    dsigmoid_from_output,
    dtanh_from_output,
    frobenius_norm,
    parameter_gradients,
    sigmoid,
    zeros_if_none,
)


def gru_step_forward(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One time step. x_t (N, H_in), h_prev (N, H) -> h_t (N, H) and the step cache."""
    gi = affine(x_t, weight_ih, bias_ih)  # W_ih x_t + b_ih  (N, 3H)
    gh = affine(h_prev, weight_hh, bias_hh)  # W_hh h_{t-1} + b_hh  (N, 3H)
    gi_r, gi_z, gi_n = np.split(gi, 3, axis=1)  # torch gate order r, z, n  3 x (N, H)
    gh_r, gh_z, gh_n = np.split(gh, 3, axis=1)  # 3 x (N, H)
    r = sigmoid(gi_r + gh_r)  # reset gate  (N, H)
    z = sigmoid(gi_z + gh_z)  # update gate  (N, H)
    n = np.tanh(gi_n + r * gh_n)  # candidate n = tanh(gi_n + r * gh_n)  (N, H)
    h = (1.0 - z) * n + z * h_prev  # h_t = (1 - z) * n + z * h_{t-1}  (N, H)
    return h, (x_t, h_prev, r, z, n, gh_n)


def gru_step_backward(dh, step_cache, weight_ih, weight_hh):
    """Back-propagate the total derivative dh = dL/dh_t through one step.

    Returns dx_t (N, H_in), dh_prev (N, H) (only the part flowing through this step),
    dW_ih (3H, H_in), dW_hh (3H, H), db_ih (3H,), db_hh (3H,).
    """
    x_t, h_prev, r, z, n, gh_n = step_cache
    dn = dh * (1.0 - z)  # dL/dn = dh_t * (1 - z)  (N, H)
    dz = dh * (h_prev - n)  # dL/dz = dh_t * (h_{t-1} - n)  (N, H)
    da_n = dn * dtanh_from_output(n)  # through tanh: dn * (1 - n^2)  (N, H)
    dr = da_n * gh_n  # dL/dr = da_n * gh_n  (N, H)
    da_r = dr * dsigmoid_from_output(r)  # through sigmoid: dr * r(1-r)  (N, H)
    da_z = dz * dsigmoid_from_output(z)  # through sigmoid: dz * z(1-z)  (N, H)
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)  # dL/d(W_ih x_t + b_ih)  (N, 3H)
    dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)  # dL/d(W_hh h_{t-1} + b_hh)  (N, 3H)
    d_weight_ih = dgi.T @ x_t  # dW_ih = dgi^T x_t  (3H, H_in)
    d_weight_hh = dgh.T @ h_prev  # dW_hh = dgh^T h_{t-1}  (3H, H)
    d_bias_ih = dgi.sum(axis=0)  # db_ih = sum over the batch of dgi  (3H,)
    d_bias_hh = dgh.sum(axis=0)  # db_hh = sum over the batch of dgh  (3H,)
    dx = dgi @ weight_ih  # dx_t = dgi W_ih  (N, H_in)
    dh_prev = dh * z + dgh @ weight_hh  # direct path z * h_{t-1} + through the gates  (N, H)
    return dx, dh_prev, d_weight_ih, d_weight_hh, d_bias_ih, d_bias_hh


def gru_forward(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """Run the GRU layer over a whole sequence.

    x (L, N, H_in), h0 (N, H) -> (output (L, N, H), h_n (N, H), cache) with output[t] = h_t.
    ``cache`` holds what :func:`gru_backward` needs.
    """
    x = check_input(x)
    L, N, H_in = x.shape
    weight_ih, weight_hh, bias_ih, bias_hh, H = check_weights(
        weight_ih, weight_hh, bias_ih, bias_hh, gates=3, input_size=H_in
    )
    h = check_shape("h0", h0, (N, H), "N, H")  # h_{-1} = h0  (N, H)

    outputs, steps = [], []
    for t in range(L):
        h, step_cache = gru_step_forward(x[t], h, weight_ih, weight_hh, bias_ih, bias_hh)  # (N, H)
        outputs.append(h)
        steps.append(step_cache)
    output = np.stack(outputs)  # (L, N, H)

    cache = {
        "steps": steps,
        "sizes": (L, N, H_in, H),
        "dtype": output.dtype,
        "weight_ih": weight_ih,
        "weight_hh": weight_hh,
        "bias_ih": bias_ih,
        "bias_hh": bias_hh,
    }
    return output, h, cache


def gru_backward(d_output, d_h_n, cache):
    """Back-propagation through time for :func:`gru_forward`.

    d_output (L, N, H) and d_h_n (N, H); either may be None (zero). Returns a dict with
    "weight_ih" (3H, H_in), "weight_hh" (3H, H), "bias_ih" (3H,) or None, "bias_hh" (3H,) or
    None, "input" (L, N, H_in), "h0" (N, H) and "dh_norms" (L,), where
    dh_norms[t] = ||dL/dh_t||_F over (N, H), the *total* derivative w.r.t. h_t.
    """
    L, N, H_in, H = cache["sizes"]
    dtype = cache["dtype"]
    weight_ih, weight_hh = cache["weight_ih"], cache["weight_hh"]
    d_output = zeros_if_none("d_output", d_output, (L, N, H), "L, N, H", dtype)
    dh_next = zeros_if_none("d_h_n", d_h_n, (N, H), "N, H", dtype)

    d_weight_ih = np.zeros_like(weight_ih, dtype=dtype)  # (3H, H_in)
    d_weight_hh = np.zeros_like(weight_hh, dtype=dtype)  # (3H, H)
    d_bias_ih = np.zeros(3 * H, dtype=dtype)  # (3H,)
    d_bias_hh = np.zeros(3 * H, dtype=dtype)  # (3H,)
    d_input = np.zeros((L, N, H_in), dtype=dtype)  # (L, N, H_in)
    dh_norms = np.zeros(L)  # (L,)

    for t in reversed(range(L)):
        dh = d_output[t] + dh_next  # dL/dh_t = from output t + from step t+1  (N, H)
        dh_norms[t] = frobenius_norm(dh)
        dx, dh_next, dw_ih, dw_hh, db_ih, db_hh = gru_step_backward(
            dh, cache["steps"][t], weight_ih, weight_hh
        )
        d_input[t] = dx  # (N, H_in)
        d_weight_ih += dw_ih  # parameters are shared over time: sum over t
        d_weight_hh += dw_hh
        d_bias_ih += db_ih
        d_bias_hh += db_hh

    grads = parameter_gradients(d_weight_ih, d_weight_hh, d_bias_ih, d_bias_hh, cache)
    grads.update({"input": d_input, "h0": dh_next, "dh_norms": dh_norms})
    return grads
