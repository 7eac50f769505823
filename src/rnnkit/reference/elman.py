"""Elman RNN layer in NumPy: forward pass and back-propagation through time (BPTT).

Same equations, parameter names and shapes as layer 0 of ``torch.nn.RNN``:

    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh        (N, H)
    h_t = phi(a_t)        phi = tanh (default) or relu   (N, H)

Shapes: x (L, N, H_in) time-major, h0 (N, H), weight_ih (H, H_in), weight_hh (H, H),
bias_ih (H,), bias_hh (H,). A bias may be None (torch's ``bias=False``): it is treated as zero
and its gradient is returned as None. In code a row-vector batch is used, so ``W x_t`` is
written ``x_t @ W.T``.

Backward, for one step, given the *total* derivative dh_t = dL/dh_t:

    da_t      = dh_t * phi'(a_t)                         (N, H)
    dW_ih    += da_t^T x_t      dW_hh += da_t^T h_{t-1}  (H, H_in), (H, H)
    db_ih    += sum_n da_t      db_hh += sum_n da_t      (H,)
    dx_t      = da_t W_ih                                (N, H_in)
    dh_{t-1} += da_t W_hh                                (N, H)

where dh_t = dL/doutput_t + (gradient flowing back from step t+1), and for the last step the
second term is dL/dh_n.
"""

from __future__ import annotations

import numpy as np

from .common import (
    affine,
    check_input,
    check_shape,
    check_weights,
    drelu_from_output,
    dtanh_from_output,
    frobenius_norm,
    parameter_gradients,
    relu,
    zeros_if_none,
)

NONLINEARITIES = ("tanh", "relu")


def elman_step_forward(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity):
    """One time step: h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

    x_t (N, H_in), h_prev (N, H) -> h_t (N, H) and the step cache (x_t, h_prev, h_t).
    """
    a = affine(x_t, weight_ih, bias_ih) + affine(h_prev, weight_hh, bias_hh)  # a_t  (N, H)
    h = np.tanh(a) if nonlinearity == "tanh" else relu(a)  # h_t = phi(a_t)  (N, H)
    return h, (x_t, h_prev, h)


def elman_step_backward(dh, step_cache, weight_ih, weight_hh, nonlinearity):
    """Back-propagate the total derivative dh = dL/dh_t through one step.

    Returns dx_t (N, H_in), dh_prev (N, H) (only the part flowing through this step),
    dW_ih (H, H_in), dW_hh (H, H), db (H,) (the same for b_ih and b_hh).
    """
    x_t, h_prev, h = step_cache
    if nonlinearity == "tanh":
        da = dh * dtanh_from_output(h)  # da_t = dh_t * (1 - h_t^2)  (N, H)
    else:
        da = dh * drelu_from_output(h)  # da_t = dh_t * [a_t > 0]  (N, H)
    d_weight_ih = da.T @ x_t  # dW_ih = da_t^T x_t  (H, H_in)
    d_weight_hh = da.T @ h_prev  # dW_hh = da_t^T h_{t-1}  (H, H)
    d_bias = da.sum(axis=0)  # db = sum over the batch of da_t  (H,)
    dx = da @ weight_ih  # dx_t = da_t W_ih  (N, H_in)
    dh_prev = da @ weight_hh  # dh_{t-1} = da_t W_hh  (N, H)
    return dx, dh_prev, d_weight_ih, d_weight_hh, d_bias


def elman_forward(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """Run the Elman layer over a whole sequence.

    x (L, N, H_in), h0 (N, H) -> (output (L, N, H), h_n (N, H), cache), where output[t] = h_t
    (t = 0..L-1, with h_{-1} = h0) and h_n = output[L-1]. ``cache`` holds what
    :func:`elman_backward` needs.
    """
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, received {nonlinearity!r}")
    x = check_input(x)
    L, N, H_in = x.shape
    weight_ih, weight_hh, bias_ih, bias_hh, H = check_weights(
        weight_ih, weight_hh, bias_ih, bias_hh, gates=1, input_size=H_in
    )
    h = check_shape("h0", h0, (N, H), "N, H")  # h_{-1} = h0  (N, H)

    outputs, steps = [], []
    for t in range(L):
        h, step_cache = elman_step_forward(
            x[t], h, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity
        )  # h_t  (N, H)
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
        "nonlinearity": nonlinearity,
    }
    return output, h, cache


def elman_backward(d_output, d_h_n, cache):
    """Back-propagation through time for :func:`elman_forward`.

    d_output (L, N, H) = dL/doutput and d_h_n (N, H) = dL/dh_n; either may be None (zero).
    Returns a dict with the gradients "weight_ih" (H, H_in), "weight_hh" (H, H),
    "bias_ih" (H,) or None, "bias_hh" (H,) or None, "input" (L, N, H_in), "h0" (N, H), and
    "dh_norms" (L,): dh_norms[t] = ||dL/dh_t||_F over (N, H), the *total* derivative.
    """
    L, N, H_in, H = cache["sizes"]
    dtype = cache["dtype"]
    weight_ih, weight_hh = cache["weight_ih"], cache["weight_hh"]
    d_output = zeros_if_none("d_output", d_output, (L, N, H), "L, N, H", dtype)
    dh_next = zeros_if_none("d_h_n", d_h_n, (N, H), "N, H", dtype)  # from "after" the end

    d_weight_ih = np.zeros_like(weight_ih, dtype=dtype)  # (H, H_in)
    d_weight_hh = np.zeros_like(weight_hh, dtype=dtype)  # (H, H)
    d_bias = np.zeros(H, dtype=dtype)  # (H,)
    d_input = np.zeros((L, N, H_in), dtype=dtype)  # (L, N, H_in)
    dh_norms = np.zeros(L)  # (L,)

    for t in reversed(range(L)):
        dh = d_output[t] + dh_next  # dL/dh_t = from output t + from step t+1  (N, H)
        dh_norms[t] = frobenius_norm(dh)
        dx, dh_next, dw_ih, dw_hh, db = elman_step_backward(
            dh, cache["steps"][t], weight_ih, weight_hh, cache["nonlinearity"]
        )
        d_input[t] = dx  # (N, H_in)
        d_weight_ih += dw_ih  # parameters are shared over time: sum over t
        d_weight_hh += dw_hh
        d_bias += db

    grads = parameter_gradients(d_weight_ih, d_weight_hh, d_bias, d_bias.copy(), cache)
    grads.update({"input": d_input, "h0": dh_next, "dh_norms": dh_norms})
    return grads
