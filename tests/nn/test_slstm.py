"""rnnkit.nn.SLSTM: a per-step loop written here, the fast path = the readable loop over the
whole contract grid, gradcheck, the stabiliser, streaming, and the messages."""

from __future__ import annotations

import doctest
import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnkit.nn import SLSTM, fast, pack, recurrent, slstm
from rnnkit.nn.slstm import normalized_state, state_from_normalized

H_IN, H, HEADS = 3, 6, 3
LENGTHS = [5, 2, 4]  # N = 3, L = 5


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make(seed=0, dtype=torch.float64, **kwargs) -> SLSTM:
    torch.manual_seed(seed)
    kwargs = {"num_heads": HEADS, **kwargs}
    layer = SLSTM(H_IN, H, **kwargs).to(dtype)
    with torch.no_grad():  # make every bias count, the forget gate's included
        for name, p in layer.named_parameters():
            if name.startswith("bias"):
                p.add_(0.3 * torch.randn_like(p))
    return layer


def random_state(rows, n, dtype=torch.float64, seed=1):
    g = torch.Generator().manual_seed(seed)
    h, c, m = (torch.randn(rows, n, H, generator=g, dtype=dtype) for _ in range(3))
    nrm = 0.5 + torch.rand(rows, n, H, generator=g, dtype=dtype)  # a normaliser is positive
    return (0.5 * h, c * nrm, nrm, m)


# ---- the equations, one sequence at a time, written here -----------------------------------
def loop_one_direction(layer, sfx, xs, state):
    """xs (l, H_in) of one sequence, state 4 x (H,) -> (outputs (l, H), final 4 x (H,))."""
    w, b = getattr(layer, "weight_ih" + sfx), getattr(layer, "bias" + sfx)
    blocks = getattr(layer, "weight_hh" + sfx)  # (K, 4d, d)
    d = H // HEADS
    r = torch.cat(
        [torch.block_diag(*[blk[g * d : (g + 1) * d] for blk in blocks]) for g in range(4)]
    )
    h, c, n, m = state
    outs = []
    for x in xs:
        pre = w @ x + r @ h + (0 if b is None else b)  # (4H,) = W x + R h + b
        zt, it, ft, ot = pre.split(H)
        log_f = ft if layer.forget_gate == "exp" else torch.log(torch.sigmoid(ft))
        m_new = torch.where(n == 0, it, torch.maximum(log_f + m, it))
        i = torch.exp(it - m_new)
        f = torch.where(n == 0, torch.zeros_like(n), torch.exp(log_f + m - m_new))
        c = f * c + i * torch.tanh(zt)
        n = f * n + i
        h = torch.sigmoid(ot) * c / n
        m = m_new
        outs.append(h)
    return torch.stack(outs), (h, c, n, m)


def loop_layer(layer, seqs, state0):
    """Every sequence on its own through every layer and direction: outputs and final states."""
    dirs = 2 if layer.bidirectional else 1
    outputs, finals = [], []
    for j, xs in enumerate(seqs):
        per_row = []
        for lay in range(layer.num_layers):
            outs = []
            for direction in range(dirs):
                k = lay * dirs + direction
                s0 = tuple(s[k, j] for s in state0)
                sfx = f"_l{lay}" + ("_reverse" if direction else "")
                src = xs.flip(0) if direction else xs
                out, final = loop_one_direction(layer, sfx, src, s0)
                outs.append(out.flip(0) if direction else out)
                per_row.append(final)
            xs = torch.cat(outs, dim=1)
        outputs.append(xs)
        finals.append(tuple(torch.stack([f[p] for f in per_row]) for p in range(4)))
    return outputs, tuple(torch.stack([f[p] for f in finals], dim=1) for p in range(4))


LOOP_CASES = [(1, False, "sigmoid"), (2, True, "exp"), (3, False, "exp"), (1, True, "sigmoid")]


@pytest.mark.parametrize("path", ["fast", "readable"])
@pytest.mark.parametrize("layers,bidirectional,forget", LOOP_CASES)
@pytest.mark.parametrize("with_state", [False, True])
def test_equals_the_loop_written_here(path, layers, bidirectional, forget, with_state):
    layer = make(num_layers=layers, bidirectional=bidirectional, forget_gate=forget)
    rows = layers * (2 if bidirectional else 1)
    x = torch.randn(max(LENGTHS), len(LENGTHS), H_IN, dtype=torch.float64)
    state0 = random_state(rows, len(LENGTHS)) if with_state else None
    seqs = [x[:length, j] for j, length in enumerate(LENGTHS)]
    zeros = tuple(torch.zeros(rows, len(LENGTHS), H, dtype=torch.float64) for _ in range(4))
    expected_out, expected_state = loop_layer(layer, seqs, state0 or zeros)
    with fast.enabled(path == "fast"):
        out, state = layer(pack(x, LENGTHS), state0)
    padded = torch.nn.utils.rnn.pad_packed_sequence(out)[0]
    for j, length in enumerate(LENGTHS):
        torch.testing.assert_close(padded[:length, j], expected_out[j], rtol=0, atol=1e-10)
    for got, want in zip(state, expected_state):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-10)


# ---- the fast path equals the readable loop over the contract grid --------------------------
def _grid():
    grid = itertools.product([1, 2, 3], [False, True], ["padded", "batch_first", "unbatched",
                             "packed"], [False, True])  # fmt: skip
    for layers, bidir, mode, with_state in grid:
        forget = "exp" if (layers + bidir) % 2 else "sigmoid"
        bias = mode != "batch_first"
        yield pytest.param(layers, bidir, mode, with_state, forget, bias,
                           id=f"l{layers}-{'bi' if bidir else 'uni'}-{mode}-"
                           f"{'state' if with_state else 'nostate'}-{forget}")  # fmt: skip


def _run(layer, x, state0, mode, fast_on, weights):
    """Output, final states and every gradient of a fixed random loss."""
    x = x.clone().requires_grad_(True)
    state0 = None if state0 is None else tuple(s.clone().requires_grad_(True) for s in state0)
    inp = pack(x, LENGTHS) if mode == "packed" else x
    with fast.enabled(fast_on):
        out, state = layer(inp, state0)
    out = out.data if mode == "packed" else out
    parts = [out, *state]
    loss = sum((p * weights[: p.numel()].view_as(p)).sum() for p in parts)
    grads = torch.autograd.grad(loss, [x, *layer.parameters(), *(state0 or ())])
    return [p.detach() for p in parts], grads


@pytest.mark.parametrize("layers,bidir,mode,with_state,forget,bias", list(_grid()))
def test_fast_equals_readable(layers, bidir, mode, with_state, forget, bias):
    layer = make(num_layers=layers, bidirectional=bidir, forget_gate=forget, bias=bias,
                 batch_first=mode == "batch_first", dropout=0.0)  # fmt: skip
    n, length = len(LENGTHS), max(LENGTHS)
    shape = {"unbatched": (length, H_IN), "batch_first": (n, length, H_IN)}.get(
        mode, (length, n, H_IN)
    )
    x = torch.randn(shape, dtype=torch.float64)
    rows = layers * (2 if bidir else 1)
    state0 = random_state(rows, n) if with_state else None
    if with_state and mode == "unbatched":
        state0 = tuple(s[:, 0] for s in state0)
    weights = torch.randn(4096, dtype=torch.float64)
    fast_parts, fast_grads = _run(layer, x, state0, mode, True, weights)
    slow_parts, slow_grads = _run(layer, x, state0, mode, False, weights)
    for a, b in zip(fast_parts + list(fast_grads), slow_parts + list(slow_grads)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


def test_fast_equals_readable_in_float32():
    layer = make(dtype=torch.float32, num_layers=2, bidirectional=True)
    x = torch.randn(7, 4, H_IN)
    with fast.enabled(True):
        a, sa = layer(x)
    with fast.enabled(False):
        b, sb = layer(x)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    for p, q in zip(sa, sb):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("path", ["fast", "readable"])
@pytest.mark.parametrize("forget", ["sigmoid", "exp"])
def test_gradcheck(path, forget):
    layer = make(num_layers=2, bidirectional=True, forget_gate=forget)
    x = torch.randn(4, 2, H_IN, dtype=torch.float64, requires_grad=True)
    state0 = tuple(s.requires_grad_(True) for s in random_state(4, 2))
    params = tuple(layer.parameters())

    def fn(x, *args):
        state, weights = args[:4], args[4:]
        with fast.enabled(path == "fast"):
            out, final = torch.func.functional_call(
                layer, dict(zip((k for k, _ in layer.named_parameters()), weights)), (x, state)
            )
        return (out, *final)

    assert torch.autograd.gradcheck(fn, (x, *state0, *params), eps=1e-6, atol=1e-6, fast_mode=True)


# ---- the stabiliser, the normaliser, streaming -------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(shift=st.floats(-30, 30), seed=st.integers(0, 1000))
def test_the_stabiliser_cancels_out_of_h(shift, seed):
    """(h, c e^-s, n e^-s, m + s) is the same state: every output and h_n agree."""
    layer = make(seed=seed % 7)
    x = torch.randn(6, 2, H_IN, dtype=torch.float64)
    h, c, n, m = random_state(1, 2, seed=seed)
    scale = torch.exp(torch.tensor(-shift, dtype=torch.float64))
    out_a, (h_a, c_a, n_a, _) = layer(x, (h, c, n, m))
    out_b, (h_b, c_b, n_b, _) = layer(x, (h, c * scale, n * scale, m + shift))
    torch.testing.assert_close(out_a, out_b, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(c_a / n_a, c_b / n_b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("forget", ["sigmoid", "exp"])
def test_huge_pre_activations_stay_finite(forget):
    """exp(500) overflows float32; the stabilised gates do not, and n_t >= 1 after a step."""
    layer = make(dtype=torch.float32, forget_gate=forget)
    x = 500 * torch.randn(20, 3, H_IN)
    out, (h_n, c_n, n_n, m_n) = layer(x)
    assert torch.isfinite(out).all() and torch.isfinite(c_n).all()
    assert (n_n >= 1 - 1e-6).all() and out.abs().max() <= 1


def test_carrying_the_state_equals_one_call():
    layer = make(num_layers=2)
    x = torch.randn(9, 2, H_IN, dtype=torch.float64)
    whole, final = layer(x)
    first, state = layer(x[:4])
    second, state = layer(x[4:], state)
    torch.testing.assert_close(torch.cat([first, second]), whole, rtol=0, atol=1e-12)
    for a, b in zip(state, final):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_an_empty_initial_state_is_the_default():
    layer = make(bidirectional=True)
    x = torch.randn(4, 2, H_IN, dtype=torch.float64)
    zeros = tuple(torch.zeros(2, 2, H, dtype=torch.float64) for _ in range(4))
    torch.testing.assert_close(layer(x)[0], layer(x, zeros)[0], rtol=0, atol=0)
    _, (h_n, c_n, n_n, m_n) = layer(x)
    assert (n_n >= 1).all()  # an empty state takes the first input with weight 1


def test_normalized_state_round_trip():
    h, c, n, m = random_state(1, 2)
    h2, memory = normalized_state((h, c, n, m))
    assert torch.equal(h2, h) and torch.allclose(memory, c / n)
    full = state_from_normalized(h, memory)
    assert torch.equal(full[2], torch.ones_like(h)) and torch.equal(full[3], torch.zeros_like(h))


def test_initialisation_and_parameters():
    layer = SLSTM(4, 8, num_layers=2, bidirectional=True, num_heads=2)
    names = dict(layer.named_parameters())
    assert names["weight_ih_l0"].shape == (32, 4) and names["weight_ih_l1"].shape == (32, 16)
    assert names["weight_hh_l1_reverse"].shape == (2, 16, 4) and names["bias_l0"].shape == (32,)
    bias = names["bias_l0"].detach()
    assert torch.equal(bias[16:24], torch.linspace(3.0, 6.0, 8))  # the forget gate's
    assert torch.count_nonzero(bias[:16]) == 0 and torch.count_nonzero(bias[24:]) == 0
    assert torch.count_nonzero(SLSTM(4, 8, forget_gate="exp").bias_l0) == 0
    bound = 1 / 8**0.5
    assert all(p.abs().max() <= bound for k, p in names.items() if k.startswith("weight"))
    assert layer.out_features == 16 and "num_heads=2" in repr(layer)
    assert type(recurrent("slstm", backend="scratch", input_size=4, hidden_size=8)) is SLSTM


# ---- messages -----------------------------------------------------------------------------
def test_messages():
    cases = [
        (lambda: SLSTM(4, 6, num_heads=4), ValueError,
         "num_heads must divide hidden_size=6, received 4"),
        (lambda: SLSTM(4, 6, backend="native"), ValueError,
         "backend must be 'scratch' for SLSTM (torch.nn has no sLSTM), received 'native'"),
        (lambda: SLSTM(4, 6, num_heads=2, forget_gate="tanh"), ValueError,
         "forget_gate must be one of 'sigmoid', 'exp', received 'tanh'"),
        (lambda: SLSTM(4, 6, num_heads=0), ValueError,
         "num_heads must be a positive integer, received 0"),
    ]  # fmt: skip
    for build, kind, message in cases:
        with pytest.raises(kind) as err:
            build()
        assert str(err.value) == message
    layer = SLSTM(4, 6, num_heads=2)
    x = torch.randn(5, 2, 4)
    zeros = torch.zeros(1, 2, 6)
    with pytest.raises(TypeError) as err:
        layer(x, (zeros, zeros))
    assert str(err.value) == "hx must be a tuple (h0, c0, n0, m0) for SLSTM, received 2-tuple"
    with pytest.raises(ValueError) as err:
        layer(x, (zeros, zeros, torch.zeros(2, 1, 6), zeros))
    assert str(err.value) == (
        "n0 must have shape (D*num_layers, N, H_out) = (1, 2, 6) whatever batch_first is, "
        "received (2, 1, 6): it looks batch-first (N, D*num_layers, H); the initial state is "
        "never batch-first, use n0.transpose(0, 1).contiguous()"
    )
    with pytest.raises(ValueError) as err:
        layer(torch.randn(5, 2, 3))
    assert (
        str(err.value)
        == "input.size(-1) must equal input_size=4, received 3 (input shape (5, 2, 3))"
    )


def test_docstring_example_runs():
    torch.manual_seed(0)
    result = doctest.testmod(slstm, extraglobs={"torch": torch, "SLSTM": SLSTM})
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("mode", ["padded", "packed"])
def test_inference_without_saved_buffers_equals_training_mode(mode):
    """Under no_grad the fast path keeps only h of every step; the numbers do not change."""
    layer = make(num_layers=2, bidirectional=True, forget_gate="sigmoid")
    x = torch.randn(max(LENGTHS), len(LENGTHS), H_IN, dtype=torch.float64)
    inp = pack(x, LENGTHS) if mode == "packed" else x
    out, state = layer(inp)
    with torch.no_grad():
        out_ng, state_ng = layer(inp)
    with torch.no_grad(), fast.enabled(False):
        out_slow, _ = layer(inp)
    data = (lambda o: o.data) if mode == "packed" else (lambda o: o)
    torch.testing.assert_close(data(out_ng), data(out).detach(), rtol=0, atol=0)
    torch.testing.assert_close(data(out_ng), data(out_slow), rtol=0, atol=1e-12)
    for a, b in zip(state_ng, state):
        torch.testing.assert_close(a, b.detach(), rtol=0, atol=0)
