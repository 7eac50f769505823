"""backend="scratch" equals backend="native" (torch.nn) on a grid of layer configurations."""

from __future__ import annotations

import itertools

import pytest
import torch

from rnnkit.nn import pack, recurrent

L, N, H_IN, H = 5, 3, 4, 6
LENGTHS = [5, 2, 4]


def _configs():
    variants = [
        ("rnn", "tanh", 0),
        ("rnn", "relu", 0),
        ("lstm", None, 0),
        ("lstm", None, 3),
        ("gru", None, 0),
    ]
    grid = itertools.product(
        variants,
        [1, 2, 3],
        [False, True],
        [False, True],
        [True, False],
        ["batched", "unbatched", "packed"],
        [False, True],
    )
    for (kind, nonlin, proj), layers, bidir, batch_first, bias, mode, with_h0 in grid:
        if mode == "unbatched" and batch_first:
            continue  # batch_first does not apply to unbatched input
        yield pytest.param(
            kind,
            nonlin,
            proj,
            layers,
            bidir,
            batch_first,
            bias,
            mode,
            with_h0,
            id=f"{kind}-{nonlin or ''}-p{proj}-l{layers}-{'bi' if bidir else 'uni'}-"
            f"{'bf' if batch_first else 'tf'}-{'b' if bias else 'nob'}-{mode}-"
            f"{'h0' if with_h0 else 'noh0'}",
        )


def _make_pair(kind, nonlin, proj, layers, bidir, batch_first, bias):
    kwargs = dict(
        input_size=H_IN,
        hidden_size=H,
        num_layers=layers,
        bidirectional=bidir,
        batch_first=batch_first,
        bias=bias,
    )
    if nonlin:
        kwargs["nonlinearity"] = nonlin
    if proj:
        kwargs["proj_size"] = proj
    native = recurrent(kind, backend="native", **kwargs)
    scratch = recurrent(kind, backend="scratch", **kwargs)
    scratch.load_state_dict(native.state_dict())
    return native, scratch


def _flat(state):
    return list(state) if isinstance(state, tuple) else [state]


def _run(layer, x, h0, mode, batch_first, grads_out):
    x = x.clone().requires_grad_(True)
    h0 = None if h0 is None else tuple(h.clone().requires_grad_(True) for h in h0)
    inp = pack(x, LENGTHS, batch_first=batch_first) if mode == "packed" else x
    hx = None if h0 is None else (h0 if len(h0) == 2 else h0[0])
    out, state = layer(inp, hx)
    out_t = out.data if mode == "packed" else out
    states = _flat(state)
    loss = (out_t * grads_out[0][: out_t.numel()].view_as(out_t)).sum()
    for s, g in zip(states, grads_out[1:]):
        loss = loss + (s * g[: s.numel()].view_as(s)).sum()
    loss.backward()
    param_grads = {n: p.grad.clone() for n, p in layer.named_parameters()}
    h0_grads = [] if h0 is None else [h.grad for h in h0]
    return out_t.detach(), [s.detach() for s in states], param_grads, x.grad, h0_grads


@pytest.mark.parametrize(
    "kind,nonlin,proj,layers,bidir,batch_first,bias,mode,with_h0", list(_configs())
)
def test_scratch_equals_native(kind, nonlin, proj, layers, bidir, batch_first, bias, mode, with_h0):
    torch.manual_seed(0)
    native, scratch = _make_pair(kind, nonlin, proj, layers, bidir, batch_first, bias)
    d = 2 if bidir else 1
    h_out = proj or H
    if mode == "unbatched":
        x = torch.randn(L, H_IN)
        state_shapes = [(d * layers, h_out), (d * layers, H)]
    else:
        x = torch.randn(N, L, H_IN) if batch_first else torch.randn(L, N, H_IN)
        state_shapes = [(d * layers, N, h_out), (d * layers, N, H)]
    n_states = 2 if kind == "lstm" else 1
    h0 = tuple(torch.randn(s) for s in state_shapes[:n_states]) if with_h0 else None
    grads_out = [torch.randn(1000) for _ in range(3)]

    a = _run(native, x, h0, mode, batch_first, grads_out)
    b = _run(scratch, x, h0, mode, batch_first, grads_out)

    torch.testing.assert_close(b[0], a[0], atol=1e-5, rtol=0)  # output
    for sa, sb in zip(a[1], b[1]):  # final states
        torch.testing.assert_close(sb, sa, atol=1e-5, rtol=0)
    assert a[2].keys() == b[2].keys()
    for name in a[2]:  # parameter gradients
        torch.testing.assert_close(b[2][name], a[2][name], atol=1e-4, rtol=0, msg=name)
    torch.testing.assert_close(b[3], a[3], atol=1e-4, rtol=0)  # input gradient
    for ga, gb in zip(a[4], b[4]):  # initial-state gradients
        torch.testing.assert_close(gb, ga, atol=1e-4, rtol=0)


def test_grid_covers_the_issue_axes():
    ids = [p.id for p in _configs()]
    assert len(ids) == 5 * 3 * 2 * 2 * 2 * 2 * 2 + 5 * 3 * 2 * 2 * 2  # unbatched: no bf
    for needle in ("relu", "p3", "l3", "bi", "bf", "nob", "packed", "unbatched", "noh0"):
        assert any(needle in i for i in ids), needle


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_state_dict_round_trip_with_torch(kind):
    torch.manual_seed(1)
    ours = recurrent(
        kind, backend="scratch", input_size=3, hidden_size=4, num_layers=2, bidirectional=True
    )
    theirs = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](
        3, 4, num_layers=2, bidirectional=True
    )
    theirs.load_state_dict(ours.state_dict())  # rnnkit -> torch
    x = torch.randn(7, 2, 3)
    torch.testing.assert_close(ours(x)[0], theirs(x)[0], atol=1e-5, rtol=0)
    torch.nn.init.normal_(theirs.weight_hh_l1_reverse)
    ours.load_state_dict(theirs.state_dict())  # torch -> rnnkit
    torch.testing.assert_close(ours(x)[0], theirs(x)[0], atol=1e-5, rtol=0)
    assert set(ours.state_dict()) == set(theirs.state_dict())
