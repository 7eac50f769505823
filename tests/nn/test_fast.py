"""The fast kernels (rnnkit.nn.fast) equal the readable loop and torch.nn, and the switches work."""

from __future__ import annotations

import doctest
import itertools

import pytest
import torch

from rnnkit.nn import fast, pack, recurrent, scratch
from rnnkit.nn.fast import GRUFunction, LSTMFunction, RNNFunction, Schedule

L, N, H_IN, H = 5, 3, 4, 6
LENGTHS = [5, 2, 4]
VARIANTS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", None), ("gru", None)]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors gain nothing from threads, and on a shared machine a second OpenMP thread
    waiting for a busy core makes every small operation take milliseconds."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _configs():
    grid = itertools.product(VARIANTS, [1, 2], [False, True], [False, True], [True, False],
                             ["batched", "unbatched", "packed"], [False, True])  # fmt: skip
    for (kind, nonlin), layers, bidir, batch_first, bias, mode, with_h0 in grid:
        if mode == "unbatched" and batch_first:
            continue
        yield pytest.param(
            kind, nonlin, layers, bidir, batch_first, bias, mode, with_h0,
            id=f"{kind}-{nonlin or ''}-l{layers}-{'bi' if bidir else 'uni'}-"
            f"{'bf' if batch_first else 'tf'}-{'b' if bias else 'nob'}-{mode}-"
            f"{'h0' if with_h0 else 'noh0'}",
        )  # fmt: skip


def _layers(kind, nonlin=None, **kwargs):
    if nonlin:
        kwargs["nonlinearity"] = nonlin
    native = recurrent(kind, backend="native", **kwargs)
    scratch_layer = recurrent(kind, backend="scratch", **kwargs)
    scratch_layer.load_state_dict(native.state_dict())
    return native, scratch_layer


def _run(layer, x, h0, mode, batch_first, weights):
    """Outputs, final states and every gradient of a fixed random loss."""
    x = x.clone().requires_grad_(True)
    h0 = None if h0 is None else tuple(h.clone().requires_grad_(True) for h in h0)
    inp = pack(x, LENGTHS, batch_first=batch_first) if mode == "packed" else x
    out, state = layer(inp, None if h0 is None else (h0 if len(h0) == 2 else h0[0]))
    out = out.data if mode == "packed" else out
    states = list(state) if isinstance(state, tuple) else [state]
    loss = (out * weights[0][: out.numel()].view_as(out)).sum()
    for s, w in zip(states, weights[1:]):
        loss = loss + (s * w[: s.numel()].view_as(s)).sum()
    loss.backward()
    grads = [p.grad for p in layer.parameters()] + [x.grad] + [h.grad for h in h0 or ()]
    return [out.detach()] + [s.detach() for s in states], grads


def _assert_same(a, b):
    for va, vb in zip(a[0], b[0]):
        torch.testing.assert_close(vb, va, atol=1e-5, rtol=0)
    assert len(a[1]) == len(b[1])
    for ga, gb in zip(a[1], b[1]):
        torch.testing.assert_close(gb, ga, atol=1e-4, rtol=0)


@pytest.mark.parametrize("kind,nonlin,layers,bidir,batch_first,bias,mode,with_h0",
                         list(_configs()))  # fmt: skip
def test_fast_equals_readable_and_native(kind, nonlin, layers, bidir, batch_first, bias, mode,
                                         with_h0):  # fmt: skip
    torch.manual_seed(0)
    native, layer = _layers(kind, nonlin, input_size=H_IN, hidden_size=H, num_layers=layers,
                            bidirectional=bidir, batch_first=batch_first, bias=bias)  # fmt: skip
    d = 2 if bidir else 1
    x = torch.randn(L, H_IN) if mode == "unbatched" else torch.randn(L, N, H_IN)
    if batch_first and mode != "unbatched":
        x = x.transpose(0, 1).contiguous()
    batch = () if mode == "unbatched" else (N,)
    h0 = [torch.randn(d * layers, *batch, H) for _ in range(2 if kind == "lstm" else 1)]
    weights = [torch.randn(1000) for _ in range(3)]
    args = (x, h0 if with_h0 else None, mode, batch_first, weights)
    fast_result = _run(layer, *args)
    with fast.enabled(False):
        readable = _run(layer.zero_grad() or layer, *args)
    _assert_same(readable, fast_result)
    _assert_same(_run(native, *args), fast_result)


def test_grid_covers_the_axes():
    ids = [p.id for p in _configs()]
    for needle in ("relu", "lstm", "gru", "l2", "bi", "bf", "nob", "packed", "unbatched", "noh0"):
        assert any(needle in i for i in ids), needle


# --- the autograd Functions themselves, float64 gradcheck ---------------------------------

SCHEDULES = {"padded": Schedule.padded(4, 3), "packed": Schedule.from_batch_sizes(
    torch.tensor([3, 3, 2, 1]))}  # fmt: skip


def _double(*shape):
    return torch.randn(*shape, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=str)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("relu", [False, True])
def test_rnn_function_gradcheck(schedule, reverse, relu):
    torch.manual_seed(0)
    sched = SCHEDULES[schedule]
    inputs = (_double(4, 3, 2), _double(3, 2), _double(2, 2))
    fn = lambda gi, h0, w: RNNFunction.apply(gi, h0, w, sched, reverse, relu)  # noqa: E731
    assert torch.autograd.gradcheck(fn, inputs)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=str)
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_function_gradcheck(schedule, reverse):
    torch.manual_seed(0)
    sched = SCHEDULES[schedule]
    inputs = (_double(4, 3, 8), _double(3, 2), _double(3, 2), _double(8, 2))
    fn = lambda gi, h0, c0, w: LSTMFunction.apply(gi, h0, c0, w, sched, reverse)  # noqa: E731
    assert torch.autograd.gradcheck(fn, inputs)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=str)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_function_gradcheck(schedule, reverse, bias):
    torch.manual_seed(0)
    sched = SCHEDULES[schedule]
    inputs = (_double(4, 3, 6), _double(3, 2), _double(6, 2), _double(6) if bias else None)
    fn = lambda gi, h0, w, b: GRUFunction.apply(gi, h0, w, b, sched, reverse)  # noqa: E731
    assert torch.autograd.gradcheck(fn, inputs)


def test_packed_padding_rows_get_no_output_and_no_gradient():
    sched = Schedule.from_batch_sizes(torch.tensor([3, 3, 2, 1]))
    gi = torch.randn(4, 3, 6, requires_grad=True)
    out, _ = GRUFunction.apply(gi, torch.zeros(3, 2), torch.randn(6, 2), torch.randn(6),
                               sched, False)  # fmt: skip
    out.sum().backward()
    padding = sched.valid(gi.device, gi.dtype) == 0  # (L, N, 1)
    assert (gi.grad * padding).abs().max() == 0


# --- the switches ----------------------------------------------------------------------------


class _Counter:
    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


@pytest.fixture
def counters(monkeypatch):
    fast_runs, readable_runs = _Counter(fast.run_layers), _Counter(scratch.run_forward)
    monkeypatch.setattr(fast, "run_layers", fast_runs)
    monkeypatch.setattr(scratch, "run_forward", readable_runs)
    return fast_runs, readable_runs


def test_switches_select_the_path(counters):
    fast_runs, readable_runs = counters
    layer = recurrent("lstm", backend="scratch", input_size=H_IN, hidden_size=H)
    x = torch.randn(L, N, H_IN)
    layer(x)
    assert (fast_runs.calls, readable_runs.calls) == (1, 0)
    with fast.enabled(False):
        layer(x)
    assert (fast_runs.calls, readable_runs.calls) == (1, 1)  # one readable loop per direction
    layer.fast = False
    layer(x)
    assert (fast_runs.calls, readable_runs.calls) == (1, 2)
    assert fast.is_enabled()


@pytest.mark.parametrize(
    "kwargs,dtype",
    [({"proj_size": 2}, torch.float32), ({}, torch.float16)],
    ids=["proj_size", "float16"],
)
def test_outside_the_fast_conditions_the_readable_loop_runs(counters, kwargs, dtype):
    fast_runs, readable_runs = counters
    layer = recurrent("lstm", backend="scratch", input_size=H_IN, hidden_size=H, dtype=dtype,
                      **kwargs)  # fmt: skip
    assert not fast.applies(layer, dtype)
    layer(torch.randn(L, N, H_IN, dtype=dtype))
    assert fast_runs.calls == 0 and readable_runs.calls == 1


def test_native_backend_never_runs_scratch(counters):
    recurrent("gru", backend="native", input_size=H_IN, hidden_size=H)(torch.randn(L, N, H_IN))
    assert counters[0].calls == 0 and counters[1].calls == 0


# --- training-mode dropout and autocast ------------------------------------------------------


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_dropout_between_layers_in_training(kind):
    torch.manual_seed(0)
    layer = recurrent(kind, backend="scratch", input_size=H_IN, hidden_size=H, num_layers=3,
                      dropout=0.5, bidirectional=True)  # fmt: skip
    x = torch.randn(L, N, H_IN)
    results = []
    for on in (True, False):  # the same random stream gives the same masks on both paths
        torch.manual_seed(1)
        with fast.enabled(on):
            out, _ = layer(x)
        out.sum().backward()
        results.append((out.detach(), layer.weight_ih_l0.grad.clone()))
        layer.zero_grad()
    torch.testing.assert_close(results[0][0], results[1][0], atol=1e-5, rtol=0)
    torch.testing.assert_close(results[0][1], results[1][1], atol=1e-4, rtol=0)
    layer.eval()
    assert not torch.allclose(layer(x)[0], results[0][0])  # dropout was active in training


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("backend", ["native", "scratch"])
def test_bfloat16_autocast_trains_with_float32_master_weights(kind, backend):
    torch.manual_seed(0)
    layer = recurrent(kind, backend=backend, input_size=H_IN, hidden_size=H, num_layers=2,
                      bidirectional=True)  # fmt: skip
    x = torch.randn(L, N, H_IN)
    inp = pack(x, LENGTHS) if backend == "scratch" else x  # the fast path runs packed input too
    expected = layer(inp)[0]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, _ = layer(inp)
    if backend == "scratch":
        out, expected = out.data, expected.data
    out.float().sum().backward()
    torch.testing.assert_close(out.float(), expected, atol=5e-2, rtol=0)
    assert all(p.grad.dtype == torch.float32 and p.grad.isfinite().all()
               for p in layer.parameters())  # fmt: skip


def test_docstring_example():
    result = doctest.testmod(fast, extraglobs={"torch": torch})
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_backward_twice_with_retain_graph(kind):
    """The backward leaves the saved buffers intact, so a retained graph gives the same grads."""
    torch.manual_seed(0)
    layer = recurrent(kind, backend="scratch", input_size=H_IN, hidden_size=H)
    out, _ = layer(pack(torch.randn(L, N, H_IN), LENGTHS))
    out.data.sum().backward(retain_graph=True)
    first = layer.weight_hh_l0.grad.clone()
    out.data.sum().backward()
    torch.testing.assert_close(layer.weight_hh_l0.grad, 2 * first)
