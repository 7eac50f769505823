"""LSTM layer in NumPy: forward pass and back-propagation through time (BPTT).

Same equations, parameter names, shapes and gate order (i, f, g, o) as layer 0 of
``torch.nn.LSTM`` (without ``proj_size``):

    [a_i, a_f, a_g, a_o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh     (N, 4H) split in 4 x (N, H)
    i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)         (N, H)
    c_t = f * c_{t-1} + i * g                                                     (N, H)
    h_t = o * tanh(c_t)                                                           (N, H)

Shapes: x (L, N, H_in) time-major, h0 (N, H), c0 (N, H), weight_ih (4H, H_in),
weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,). A bias may be None (zero; gradient None).

Backward, for one step, given the total derivatives dh_t = dL/dh_t and dc = dL/dc_t arriving
from step t+1 (``*`` is elementwise):

    do   = dh_t * tanh(c_t)
    dc_t = dc + dh_t * o * (1 - tanh(c_t)^2)          total derivative w.r.t. c_t
    di   = dc_t * g      df = dc_t * c_{t-1}      dg = dc_t * i
    dc_{t-1} = dc_t * f
    da   = [di * i(1-i), df * f(1-f), dg * (1-g^2), do * o(1-o)]          (N, 4H)
    dW_ih += da^T x_t    dW_hh += da^T h_{t-1}    db_ih = db_hh += sum_n da
    dx_t = da W_ih       dh_{t-1} += da W_hh
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


def lstm_step_forward(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One time step. x_t (N, H_in), h_prev (N, H), c_prev (N, H) -> h_t, c_t, step cache."""
    a = affine(x_t, weight_ih, bias_ih) + affine(h_prev, weight_hh, bias_hh)  # (N, 4H)
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)  # torch gate order i, f, g, o  4 x (N, H)
    i = sigmoid(a_i)  # input gate  (N, H)
    f = sigmoid(a_f)  # forget gate  (N, H)
    g = np.tanh(a_g)  # cell candidate  (N, H)
    o = sigmoid(a_o)  # output gate  (N, H)
    c = f * c_prev + i * g  # c_t = f * c_{t-1} + i * g  (N, H)
    tanh_c = np.tanh(c)  # tanh(c_t)  (N, H)
    h = o * tanh_c  # h_t = o * tanh(c_t)  (N, H)
    return h, c, (x_t, h_prev, c_prev, i, f, g, o, tanh_c)


def lstm_step_backward(dh, dc, step_cache, weight_ih, weight_hh):
    """Back-propagate dh = dL/dh_t (total) and dc = dL/dc_t (from step t+1) through one step.

    Returns dx_t (N, H_in), dh_prev (N, H), dc_prev (N, H), dW_ih (4H, H_in), dW_hh (4H, H),
    db (4H,) (the same for b_ih and b_hh).
    """
    x_t, h_prev, c_prev, i, f, g, o, tanh_c = step_cache
    do = dh * tanh_c  # dL/do = dh_t * tanh(c_t)  (N, H)
    dc = dc + dh * o * dtanh_from_output(tanh_c)  # dL/dc_t, total  (N, H)
    di = dc * g  # dL/di = dc_t * g  (N, H)
    df = dc * c_prev  # dL/df = dc_t * c_{t-1}  (N, H)
    dg = dc * i  # dL/dg = dc_t * i  (N, H)
    dc_prev = dc * f  # dL/dc_{t-1} = dc_t * f  (N, H)
    da = np.concatenate(
        [
            di * dsigmoid_from_output(i),  # da_i = di * i(1-i)  (N, H)
            df * dsigmoid_from_output(f),  # da_f = df * f(1-f)  (N, H)
            dg * dtanh_from_output(g),  # da_g = dg * (1-g^2)  (N, H)
            do * dsigmoid_from_output(o),  # da_o = do * o(1-o)  (N, H)
        ],
        axis=1,
    )  # (N, 4H)
    d_weight_ih = da.T @ x_t  # dW_ih = da^T x_t  (4H, H_in)
    d_weight_hh = da.T @ h_prev  # dW_hh = da^T h_{t-1}  (4H, H)
    d_bias = da.sum(axis=0)  # db = sum over the batch of da  (4H,)
    dx = da @ weight_ih  # dx_t = da W_ih  (N, H_in)
    dh_prev = da @ weight_hh  # dh_{t-1} = da W_hh  (N, H)
    return dx, dh_prev, dc_prev, d_weight_ih, d_weight_hh, d_bias


def lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """Run the LSTM layer over a whole sequence.

    x (L, N, H_in), h0 (N, H), c0 (N, H) -> (output (L, N, H), (h_n (N, H), c_n (N, H)), cache)
    with output[t] = h_t. ``cache`` holds what :func:`lstm_backward` needs.
    """
    x = check_input(x)
    L, N, H_in = x.shape
    weight_ih, weight_hh, bias_ih, bias_hh, H = check_weights(
        weight_ih, weight_hh, bias_ih, bias_hh, gates=4, input_size=H_in
    )
    h = check_shape("h0", h0, (N, H), "N, H")  # h_{-1} = h0  (N, H)
    c = check_shape("c0", c0, (N, H), "N, H")  # c_{-1} = c0  (N, H)

    outputs, steps = [], []
    for t in range(L):
        h, c, step_cache = lstm_step_forward(
            x[t], h, c, weight_ih, weight_hh, bias_ih, bias_hh
        )  # h_t, c_t  (N, H)
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
    return output, (h, c), cache


def lstm_backward(d_output, d_h_n, d_c_n, cache):
    """Back-propagation through time for :func:`lstm_forward`.

    d_output (L, N, H), d_h_n (N, H), d_c_n (N, H); any may be None (zero). Returns a dict with
    "weight_ih" (4H, H_in), "weight_hh" (4H, H), "bias_ih" (4H,) or None, "bias_hh" (4H,) or
    None, "input" (L, N, H_in), "h0" (N, H), "c0" (N, H) and "dh_norms" (L,), where
    dh_norms[t] = ||dL/dh_t||_F over (N, H), the *total* derivative w.r.t. h_t.
    """
    L, N, H_in, H = cache["sizes"]
    dtype = cache["dtype"]
    weight_ih, weight_hh = cache["weight_ih"], cache["weight_hh"]
    d_output = zeros_if_none("d_output", d_output, (L, N, H), "L, N, H", dtype)
    dh_next = zeros_if_none("d_h_n", d_h_n, (N, H), "N, H", dtype)
    dc_next = zeros_if_none("d_c_n", d_c_n, (N, H), "N, H", dtype)

    d_weight_ih = np.zeros_like(weight_ih, dtype=dtype)  # (4H, H_in)
    d_weight_hh = np.zeros_like(weight_hh, dtype=dtype)  # (4H, H)
    d_bias = np.zeros(4 * H, dtype=dtype)  # (4H,)
    d_input = np.zeros((L, N, H_in), dtype=dtype)  # (L, N, H_in)
    dh_norms = np.zeros(L)  # (L,)

    for t in reversed(range(L)):
        dh = d_output[t] + dh_next  # dL/dh_t = from output t + from step t+1  (N, H)
        dh_norms[t] = frobenius_norm(dh)
        dx, dh_next, dc_next, dw_ih, dw_hh, db = lstm_step_backward(
            dh, dc_next, cache["steps"][t], weight_ih, weight_hh
        )
        d_input[t] = dx  # (N, H_in)
        d_weight_ih += dw_ih  # parameters are shared over time: sum over t
        d_weight_hh += dw_hh
        d_bias += db

    grads = parameter_gradients(d_weight_ih, d_weight_hh, d_bias, d_bias.copy(), cache)
    grads.update({"input": d_input, "h0": dh_next, "c0": dc_next, "dh_norms": dh_norms})
    return grads
