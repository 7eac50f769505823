"""Jordan cell and layer against a plain per-step loop written here."""

from __future__ import annotations

import pytest
import torch

from rnnkit.nn import Jordan, JordanCell, pack


def loop_jordan(x, y0, w_ih, w_yh, b_h, w_hy, b_y, act_h=torch.tanh, act_y=lambda v: v):
    """h_t = act_h(W_h x_t + U_h y_{t-1} + b_h); y_t = act_y(W_y h_t + b_y); x: (L, N, H_in)."""
    y, hs, ys = y0, [], []
    for x_t in x:
        h = act_h(x_t @ w_ih.T + y @ w_yh.T + b_h)
        y = act_y(h @ w_hy.T + b_y)
        hs.append(h)
        ys.append(y)
    return torch.stack(ys), hs[-1], ys[-1]


def _params(m, sfx=""):
    names = ("weight_ih", "weight_yh", "bias_h", "weight_hy", "bias_y")
    return [getattr(m, n + sfx) for n in names]


def test_cell_matches_loop():
    torch.manual_seed(0)
    cell = JordanCell(3, 5, 2, output_activation="sigmoid")
    x = torch.randn(6, 4, 3)
    y, outs = None, []
    for x_t in x:
        _, y = cell(x_t, y)
        outs.append(y)
    ref, _, _ = loop_jordan(x, torch.zeros(4, 2), *_params(cell), act_y=torch.sigmoid)
    torch.testing.assert_close(torch.stack(outs), ref)


def test_layer_one_direction_matches_loop_and_cell():
    torch.manual_seed(0)
    layer = Jordan(3, 5, 2, batch_first=True)
    x = torch.randn(4, 6, 3)  # (N, L, H_in)
    y0 = torch.randn(1, 4, 2)
    out, (h_n, y_n) = layer(x, y0)
    ref, h_last, y_last = loop_jordan(x.transpose(0, 1), y0[0], *_params(layer, "_l0"))
    torch.testing.assert_close(out, ref.transpose(0, 1))
    torch.testing.assert_close(h_n[0], h_last)
    torch.testing.assert_close(y_n[0], y_last)


def test_layer_bidirectional_two_layers_matches_loop():
    torch.manual_seed(0)
    layer = Jordan(3, 5, 2, num_layers=2, bidirectional=True)
    x = torch.randn(6, 4, 3)
    out, (h_n, y_n) = layer(x)
    zeros = torch.zeros(4, 2)
    f0, hf0, _ = loop_jordan(x, zeros, *_params(layer, "_l0"))
    b0, hb0, _ = loop_jordan(x.flip(0), zeros, *_params(layer, "_l0_reverse"))
    mid = torch.cat([f0, b0.flip(0)], dim=2)
    f1, hf1, yf1 = loop_jordan(mid, zeros, *_params(layer, "_l1"))
    b1, hb1, yb1 = loop_jordan(mid.flip(0), zeros, *_params(layer, "_l1_reverse"))
    torch.testing.assert_close(out, torch.cat([f1, b1.flip(0)], dim=2))
    torch.testing.assert_close(h_n, torch.stack([hf0, hb0, hf1, hb1]))
    torch.testing.assert_close(y_n[2:], torch.stack([yf1, yb1]))


def test_packed_equals_each_sequence_alone():
    torch.manual_seed(0)
    layer = Jordan(2, 4, 3, bidirectional=True)
    x = torch.randn(5, 3, 2)
    lengths = [5, 2, 4]
    out, (h_n, y_n) = layer(pack(x, lengths))
    padded, _ = torch.nn.utils.rnn.pad_packed_sequence(out)
    for i, n in enumerate(lengths):
        alone, (h_i, y_i) = layer(x[:n, i])  # unbatched
        torch.testing.assert_close(padded[:n, i], alone)
        torch.testing.assert_close(h_n[:, i], h_i)
        torch.testing.assert_close(y_n[:, i], y_i)


def test_carrying_the_returned_state_equals_one_long_run():
    torch.manual_seed(0)
    layer = Jordan(1, 8, 1)
    x = torch.randn(10, 2, 1)
    full, _ = layer(x)
    first, state = layer(x[:4])
    second, _ = layer(x[4:], state)
    torch.testing.assert_close(torch.cat([first, second]), full)


def test_jordan_errors():
    with pytest.raises(ValueError, match=r"^backend must be 'scratch' for Jordan"):
        Jordan(1, 2, 1, backend="native")
    with pytest.raises(ValueError, match=r"^output_size must be a positive integer, received 0$"):
        Jordan(1, 2, 0)
    with pytest.raises(ValueError, match=r"^y0 must have shape \(D\*num_layers, N, H_out\) = "):
        Jordan(1, 2, 1)(torch.randn(3, 4, 1), torch.zeros(1, 3, 1))
