"""sLSTM layer (xLSTM, Beck et al. 2024) in NumPy: forward pass and BPTT by hand.

Same equations, parameter names, shapes and gate order (z, i, f, o) as layer 0 of
:class:`rnnkit.nn.SLSTM`. K heads of size d = H / K; ``R`` is block-diagonal:

    [z~, i~, f~, o~] = W x_t + b + R h_{t-1}                (N, 4H) split in 4 x (N, H)
    (R h)[gate g, head k] = R[k, g] h[head k]               R[k, g]: (d, d)
    log f = log sigmoid(f~)  (forget_gate="sigmoid")  or  f~  ("exp")
    a   = log f + m_{t-1}, or -inf where n_{t-1} = 0 (an empty state carries nothing)
    m_t = max(a, i~)                                        the stabiliser
    i'  = exp(i~ - m_t)      f' = exp(a - m_t)       z = tanh(z~)      o = sigmoid(o~)
    c_t = f' * c_{t-1} + i' * z        n_t = f' * n_{t-1} + i'        h_t = o * c_t / n_t

Shapes: x (L, N, H_in) time-major; each of h0, c0, n0, m0 (N, H); weight_ih (4H, H_in);
weight_hh (K, 4d, d); bias (4H,) or None (zero; gradient None).

Backward, for one step, given the total dh = dL/dh_t and dc, dn, dm = dL/d{c,n,m}_t arriving
from step t+1:

    do  = dh * c_t / n_t        dc_t = dc + dh * o / n_t        dn_t = dn - dh * h_t / n_t
    dz~ = dc_t * i' * (1 - z^2)            di' = dc_t * z + dn_t
    df' = dc_t * c_{t-1} + dn_t * n_{t-1}  dc_{t-1} = dc_t * f'     dn_{t-1} = dn_t * f'
    gi = di' * i'    gf = df' * f'         (the gradients of the exponents i~ - m_t, a - m_t)
    dm_t = dm - gi - gf                    (the total derivative w.r.t. m_t)
    w  = 1 where a > i~, 1/2 where a = i~, else 0     (how torch.maximum splits a tie)
    da = gf + dm_t * w      di~ = gi + dm_t * (1 - w)      da = 0 where n_{t-1} = 0
    dm_{t-1} = da     df~ = da (exp) or da * (1 - sigmoid(f~))     do~ = do * o(1 - o)
    dW += d[z~,i~,f~,o~]^T x_t      dR[k, g] += d[g, head k]^T h_{t-1}[head k]
    dx_t = d[...] W      dh_{t-1} = sum_g d[g, head k] R[k, g]     db += sum_n d[...]
"""

from __future__ import annotations

import numpy as np

from .common import (
    check_input,
    check_shape,
    dsigmoid_from_output,
    dtanh_from_output,
    frobenius_norm,
    sigmoid,
    zeros_if_none,
)

STATES = ("h0", "c0", "n0", "m0")


def _recurrent(h, weight_hh):
    """R h for block-diagonal R: h (N, H), weight_hh (K, 4d, d) -> (N, 4H) in gate order."""
    K, _, d = weight_hh.shape
    r = weight_hh.reshape(K, 4, d, d)  # R[k, g] (d, d)
    out = np.einsum("nkd,kgjd->ngkj", h.reshape(-1, K, d), r)  # (N, 4, K, d)
    return out.reshape(h.shape[0], 4 * K * d)


def slstm_step_forward(x_t, state, weight_ih, weight_hh, bias, exp_forget):
    """One time step. x_t (N, H_in), state (h, c, n, m) (N, H) each -> new state, step cache."""
    h_prev, c_prev, n_prev, m_prev = state
    pre = x_t @ weight_ih.T + _recurrent(h_prev, weight_hh)  # (N, 4H)
    if bias is not None:
        pre = pre + bias
    z_pre, i_pre, f_pre, o_pre = np.split(pre, 4, axis=1)  # z~, i~, f~, o~  4 x (N, H)
    s_f = sigmoid(f_pre)  # sigma(f~), kept for the derivative of log sigma
    log_f = f_pre if exp_forget else -np.logaddexp(0.0, -f_pre)  # log f = log sigma(f~)
    empty = n_prev == 0  # an empty state carries nothing
    a = np.where(empty, -np.inf, log_f + m_prev)  # log f + m_{t-1}  (N, H)
    m = np.maximum(a, i_pre)  # m_t = max(log f + m_{t-1}, i~)
    i = np.exp(i_pre - m)  # i' = exp(i~ - m_t)
    f = np.exp(a - m)  # f' = exp(log f + m_{t-1} - m_t), 0 where empty
    z = np.tanh(z_pre)  # z = tanh(z~)
    o = sigmoid(o_pre)  # o = sigmoid(o~)
    c = f * c_prev + i * z  # c_t = f' c_{t-1} + i' z
    n = f * n_prev + i  # n_t = f' n_{t-1} + i'
    h = o * c / n  # h_t = o c_t / n_t
    cache = (x_t, state, a, i_pre, s_f, empty, i, f, z, o, c, n, h)
    return (h, c, n, m), cache


def slstm_step_backward(dh, d_state, cache, weight_ih, weight_hh, exp_forget):
    """Back-propagate the total dh = dL/dh_t and (dc, dn, dm) from step t+1 through one step.

    Returns dx_t (N, H_in), (dh_prev, dc_prev, dn_prev, dm_prev), dW (4H, H_in),
    dR (K, 4d, d), db (4H,).
    """
    x_t, (h_prev, c_prev, n_prev, _), a, i_pre, s_f, empty, i, f, z, o, c, n, h = cache
    dc, dn, dm = d_state
    do = dh * c / n  # dL/do = dh * c_t / n_t
    dc = dc + dh * o / n  # dL/dc_t, total
    dn = dn - dh * h / n  # dL/dn_t, total: d(c/n)/dn = -c/n^2
    dz_pre = dc * i * dtanh_from_output(z)  # dz~ = dc_t * i' * (1 - z^2)
    di = dc * z + dn  # dL/di'
    df = dc * c_prev + dn * n_prev  # dL/df'
    g_i, g_f = di * i, df * f  # gradients of the exponents i~ - m_t and a - m_t
    dm = dm - g_i - g_f  # dL/dm_t, total
    w = np.where(a > i_pre, 1.0, np.where(a == i_pre, 0.5, 0.0))  # share of m_t = max(a, i~)
    da = np.where(empty, 0.0, g_f + dm * w)  # dL/da, none where the state was empty
    di_pre = g_i + dm * (1.0 - w)  # di~
    df_pre = da if exp_forget else da * (1.0 - s_f)  # d log sigma(x) / dx = 1 - sigma(x)
    do_pre = do * dsigmoid_from_output(o)  # do~ = do * o(1 - o)
    d_pre = np.concatenate([dz_pre, di_pre, df_pre, do_pre], axis=1)  # (N, 4H)

    K, _, d = weight_hh.shape
    d_heads = d_pre.reshape(-1, 4, K, d)  # (N, 4, K, d)
    r = weight_hh.reshape(K, 4, d, d)
    d_weight_hh = np.einsum("ngkj,nkd->kgjd", d_heads, h_prev.reshape(-1, K, d))  # dR
    dh_prev = np.einsum("ngkj,kgjd->nkd", d_heads, r).reshape(h_prev.shape)  # R^T d
    d_prev = (dh_prev, dc * f, dn * f, da)  # dc_{t-1} = dc_t f', dn_{t-1} = dn_t f', dm_{t-1}
    return (
        d_pre @ weight_ih,  # dx_t = d W  (N, H_in)
        d_prev,
        d_pre.T @ x_t,  # dW = d^T x_t  (4H, H_in)
        d_weight_hh.reshape(weight_hh.shape),  # (K, 4d, d)
        d_pre.sum(axis=0),  # db  (4H,)
    )


def _check_parameters(weight_ih, weight_hh, bias, input_size):
    weight_hh = np.asarray(weight_hh)
    if weight_hh.ndim != 3 or weight_hh.shape[1] != 4 * weight_hh.shape[2]:
        raise ValueError(f"weight_hh must have shape (K, 4*d, d), received {weight_hh.shape}")
    K, _, d = weight_hh.shape
    H = K * d
    weight_ih = check_shape("weight_ih", weight_ih, (4 * H, input_size), "4*H, H_in")
    if bias is not None:
        bias = check_shape("bias", bias, (4 * H,), "4*H,")
    return weight_ih, weight_hh, bias, H


def slstm_forward(x, state0, weight_ih, weight_hh, bias=None, forget_gate="sigmoid"):
    """Run the sLSTM layer over a whole sequence.

    x (L, N, H_in), state0 = (h0, c0, n0, m0) each (N, H), or None for zeros (an empty
    state) -> (output (L, N, H), (h_n, c_n, n_n, m_n), cache), output[t] = h_t.
    """
    if forget_gate not in ("sigmoid", "exp"):
        raise ValueError(f"forget_gate must be 'sigmoid' or 'exp', received {forget_gate!r}")
    x = check_input(x)
    L, N, H_in = x.shape
    weight_ih, weight_hh, bias, H = _check_parameters(weight_ih, weight_hh, bias, H_in)
    if state0 is None:
        state0 = tuple(np.zeros((N, H), dtype=x.dtype) for _ in STATES)
    state = tuple(check_shape(nm, s, (N, H), "N, H") for nm, s in zip(STATES, state0))
    exp_forget = forget_gate == "exp"
    outputs, steps = [], []
    for t in range(L):
        state, step_cache = slstm_step_forward(x[t], state, weight_ih, weight_hh, bias, exp_forget)
        outputs.append(state[0])  # h_t  (N, H)
        steps.append(step_cache)
    output = np.stack(outputs)  # (L, N, H)
    cache = {
        "steps": steps,
        "sizes": (L, N, H_in, H),
        "dtype": output.dtype,
        "params": (weight_ih, weight_hh, bias),
        "exp_forget": exp_forget,
    }
    return output, state, cache


def slstm_backward(d_output, d_state_n, cache):
    """Back-propagation through time for :func:`slstm_forward`.

    d_output (L, N, H) or None; d_state_n: None or a 4-tuple of (N, H) arrays or None, the
    gradients of (h_n, c_n, n_n, m_n). Returns a dict with "weight_ih" (4H, H_in),
    "weight_hh" (K, 4d, d), "bias" (4H,) or None, "input" (L, N, H_in), "h0", "c0", "n0",
    "m0" (N, H) and "dh_norms" (L,), the norm of the total dL/dh_t at every step.
    """
    L, N, H_in, H = cache["sizes"]
    dtype = cache["dtype"]
    weight_ih, weight_hh, bias = cache["params"]
    d_output = zeros_if_none("d_output", d_output, (L, N, H), "L, N, H", dtype)
    d_state_n = d_state_n or (None,) * 4
    names = ("d_h_n", "d_c_n", "d_n_n", "d_m_n")
    carry = [zeros_if_none(nm, g, (N, H), "N, H", dtype) for nm, g in zip(names, d_state_n)]
    grads = {
        "weight_ih": np.zeros_like(weight_ih, dtype=dtype),
        "weight_hh": np.zeros_like(weight_hh, dtype=dtype),
        "bias": np.zeros(4 * H, dtype=dtype),
        "input": np.zeros((L, N, H_in), dtype=dtype),
        "dh_norms": np.zeros(L),
    }
    for t in reversed(range(L)):
        dh = d_output[t] + carry[0]  # dL/dh_t = from output t + from step t+1
        grads["dh_norms"][t] = frobenius_norm(dh)
        dx, carry, dw_ih, dw_hh, db = slstm_step_backward(
            dh, carry[1:], cache["steps"][t], weight_ih, weight_hh, cache["exp_forget"]
        )
        grads["input"][t] = dx
        grads["weight_ih"] += dw_ih  # shared over time: sum over t
        grads["weight_hh"] += dw_hh
        grads["bias"] += db
    if bias is None:
        grads["bias"] = None
    grads.update(zip(STATES, carry))
    return grads
