"""rnnkit.reference: readable NumPy forward and back-propagation through time for one layer.

Each of :mod:`~rnnkit.reference.elman`, :mod:`~rnnkit.reference.lstm` and
:mod:`~rnnkit.reference.gru` implements one recurrent layer over a time-major batch
x (L, N, H_in) with a ``*_forward`` function (returning the output (L, N, H), the final state and
a cache) and a hand-written ``*_backward`` function (returning the gradients of the parameters,
the input and the initial state(s), plus ``dh_norms`` (L,), the norm of the total derivative
dL/dh_t at every step, to show vanishing and exploding gradients). One function computes one
time step forward and one computes it backward, with the equations written beside each line.
Equations, parameter names (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``), shapes and
gate orders match layer 0 of ``torch.nn.RNN`` / ``LSTM`` / ``GRU`` exactly, so weights can be
copied from torch and results compared; the package itself uses NumPy only.
:mod:`~rnnkit.reference.mingru` does the same for minGRU and minLSTM (``min_forward``,
``min_backward``), layer 0 of :class:`rnnkit.nn.MinGRU` / :class:`rnnkit.nn.MinLSTM`.
"""

from __future__ import annotations

import numpy as np

from .common import check_input
from .elman import elman_backward, elman_forward
from .gru import gru_backward, gru_forward
from .lstm import lstm_backward, lstm_forward
from .mingru import min_backward, min_forward, mingru_forward, minlstm_forward
from .slstm import slstm_backward, slstm_forward

KINDS = ("rnn_tanh", "rnn_relu", "lstm", "gru")

__all__ = [
    "KINDS",
    "elman_backward",
    "elman_forward",
    "gradient_norms_last_step",
    "gru_backward",
    "gru_forward",
    "lstm_backward",
    "lstm_forward",
    "min_backward",
    "min_forward",
    "mingru_forward",
    "minlstm_forward",
    "slstm_backward",
    "slstm_forward",
]


def _get_param(params: dict, name: str, required: bool):
    """Look ``name`` up in ``params``, also under torch's layer-0 name (``name + "_l0"``)."""
    for key in (name, name + "_l0"):
        if key in params and params[key] is not None:
            return np.asarray(params[key])
    if required:
        raise ValueError(f"params must contain {name!r} (or {name + '_l0'!r})")
    return None


def gradient_norms_last_step(kind, params, x, h0=None, c0=None):
    """Norms of dL/dh_t for t = 0..L-1 when L = sum of the output at the last step.

    kind: one of "rnn_tanh", "rnn_relu", "lstm", "gru".
    params: dict of torch-named arrays ``weight_ih``, ``weight_hh`` and optionally ``bias_ih``,
    ``bias_hh`` (the ``_l0`` names of ``torch.nn.RNN.state_dict()`` are accepted too).
    x: input (L, N, H_in). h0: initial hidden state (N, H); c0: initial cell state (N, H), for
    "lstm" only. States not given are zeros, as in torch.

    The loss is L = sum(output[L-1]), i.e. d_output is zero except d_output[-1] = 1 and the
    final state gets no gradient. Returns dh_norms (L,) as computed by the ``*_backward``
    functions: small values at early t show vanishing gradients, large ones exploding ones.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; known kinds: {', '.join(KINDS)}")
    x = check_input(x)
    weight_ih = _get_param(params, "weight_ih", required=True)
    weight_hh = _get_param(params, "weight_hh", required=True)
    bias_ih = _get_param(params, "bias_ih", required=False)
    bias_hh = _get_param(params, "bias_hh", required=False)

    N, H = x.shape[1], weight_hh.shape[-1]
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
    if h0 is None:
        h0 = np.zeros((N, H), dtype=dtype)  # (N, H)

    if kind == "lstm":
        c0 = np.zeros((N, H), dtype=dtype) if c0 is None else c0  # (N, H)
        output, _, cache = lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)
    elif kind == "gru":
        output, _, cache = gru_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh)
    else:
        nonlinearity = "tanh" if kind == "rnn_tanh" else "relu"
        output, _, cache = elman_forward(
            x, h0, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity=nonlinearity
        )

    d_output = np.zeros_like(output)  # (L, N, H)
    d_output[-1] = 1.0  # dL/doutput[L-1] = 1 for L = sum(output[L-1])
    if kind == "lstm":
        grads = lstm_backward(d_output, None, None, cache)
    elif kind == "gru":
        grads = gru_backward(d_output, None, cache)
    else:
        grads = elman_backward(d_output, None, cache)
    return grads["dh_norms"]
