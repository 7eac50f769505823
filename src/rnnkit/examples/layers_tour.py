"""A tour of rnnkit.nn: python examples/layers_tour.py"""

import torch

from rnnkit.nn import LSTM, pack, recurrent

torch.manual_seed(0)
lstm = LSTM(10, 20, num_layers=2, bidirectional=True, batch_first=True, backend="scratch")
out, (h_n, c_n) = lstm(torch.randn(3, 5, 10))  # (N, L, H_in)
print("LSTM output", tuple(out.shape), "h_n", tuple(h_n.shape), "c_n", tuple(c_n.shape))

native = recurrent(
    "lstm", input_size=10, hidden_size=20, num_layers=2, bidirectional=True, batch_first=True
)
native.load_state_dict(lstm.state_dict())
x = torch.randn(3, 5, 10)
print("scratch == native:", torch.allclose(lstm(x)[0], native(x)[0], atol=1e-5))

gru = recurrent("gru", input_size=10, hidden_size=20)
packed_out, h_n = gru(pack(torch.randn(5, 3, 10), lengths=[5, 2, 4]))
print("packed GRU h_n", tuple(h_n.shape))
