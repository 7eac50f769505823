"""Stream batching for truncated BPTT, and the carried state equal to one whole pass."""

from __future__ import annotations

import pytest
import torch

from rnnkit.data.stream import StreamBatches
from rnnkit.errors import DataError
from rnnkit.models.charlm import CharLM
from rnnkit.nn import detach_state
from rnnkit.tasks.lm import LMModel


def test_one_epoch_covers_the_text_once_in_order():
    ids = torch.arange(103)  # T = 103, rows = 4 -> S = 25, one token left out
    stream = StreamBatches(ids, rows=4, bptt=7)
    batches = list(stream.batches())
    assert len(stream) == len(batches) == 4  # 7 + 7 + 7 + 4 columns
    assert [x.shape for x, _ in batches] == [(4, 7), (4, 7), (4, 7), (4, 4)]
    rows = torch.cat([x for x, _ in batches], dim=1)  # (4, 25): batch b+1 continues batch b
    assert torch.equal(rows, torch.arange(100).view(4, 25))
    assert torch.equal(torch.cat([y for _, y in batches], dim=1), rows + 1)
    seen = torch.cat([x.flatten() for x, _ in batches])
    assert torch.equal(seen.sort().values, torch.arange(100))  # every position exactly once
    assert stream.tokens == 100


def test_ranks_share_the_rows_of_every_batch():
    stream = StreamBatches(torch.arange(65), rows=4, bptt=5)
    for (x, _), (x0, _), (x1, _) in zip(
        stream.batches(), stream.batches(0, 2), stream.batches(1, 2)
    ):
        assert torch.equal(x[0::2], x0) and torch.equal(x[1::2], x1)


def test_too_short_a_stream_is_an_error():
    with pytest.raises(DataError) as err:
        StreamBatches(torch.arange(4), rows=4, bptt=2)
    assert str(err.value) == (
        "a stream of 4 tokens is too short for 4 parallel rows: it needs at least 5 tokens "
        "(lower train.batch_size or give more text)"
    )


def lm(cell: str, backend: str = "native") -> CharLM:
    torch.manual_seed(0)
    cfg = LMModel(cell=cell, backend=backend, hidden_size=12, num_layers=2, embedding_dim=6)
    return CharLM(cfg, vocab_size=11).eval()


@pytest.mark.parametrize(
    "cell,backend", [("lstm", "native"), ("gru", "scratch"), ("rnn", "native")]
)
def test_carried_state_equals_one_pass_over_the_stream(cell, backend):
    model = lm(cell, backend)
    ids = torch.randint(0, 11, (97,), generator=torch.Generator().manual_seed(1))
    stream = StreamBatches(ids, rows=3, bptt=5)
    with torch.no_grad():
        whole, _, _ = model(stream.inputs)  # (3, 32, V): each row in one call
        state, parts = None, []
        for x, _ in stream.batches():
            logits, _, state = model(x, state=state)
            state = detach_state(state)
            parts.append(logits)
    torch.testing.assert_close(torch.cat(parts, dim=1), whole, rtol=0, atol=1e-5)
