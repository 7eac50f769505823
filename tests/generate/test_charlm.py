"""The character LM: inputs, tied weights, conditions, configuration errors, sampling."""

from __future__ import annotations

import pytest
import torch

from rnnkit.errors import ConfigError
from rnnkit.models.charlm import CharLM
from rnnkit.models.sampling import filter_logits, sample_next
from rnnkit.tasks.lm import LMModel


def model(**kw) -> CharLM:
    torch.manual_seed(0)
    conditions = kw.pop("conditions", 0)
    cfg = LMModel(hidden_size=16, num_layers=1, embedding_dim=8, **kw)
    return CharLM(cfg, vocab_size=9, num_conditions=conditions).eval()


def test_shapes_and_loss_in_nats():
    m = model()
    x = torch.randint(0, 9, (3, 5))
    with torch.no_grad():
        logits, loss, (h, c) = m(x, x)
    assert logits.shape == (3, 5, 9) and h.shape == c.shape == (1, 3, 16)
    expected = torch.nn.functional.cross_entropy(logits.reshape(-1, 9), x.reshape(-1))
    assert float(loss) == pytest.approx(float(expected))


def test_tied_weights_share_one_matrix():
    m = model(tie_weights=True)
    assert not hasattr(m, "decoder") and "embed.weight" in m.state_dict()  # E is W_o
    assert isinstance(m.project, torch.nn.Linear) and m.project.out_features == 8
    untied = model()
    count = lambda mod: sum(p.numel() for p in mod.parameters())  # noqa: E731
    assert count(untied) - count(m) == 9 * 16 - 16 * 8 - 8  # decoder V*H vs projection H*E+E
    x = torch.tensor([[1, 2]])
    with torch.no_grad():
        features = m.project(m.rnn(m.embed(x))[0])
        expected = features @ m.embed.weight.T + m.decoder_bias
        torch.testing.assert_close(m(x)[0], expected)


def test_one_hot_input():
    m = model(input="onehot")
    assert m.rnn.input_size == 9
    assert m(torch.tensor([[1, 2, 3]]))[0].shape == (1, 3, 9)


@pytest.mark.parametrize(
    "settings,message",
    [
        (
            {"input": "onehot", "tie_weights": True},
            "model.tie_weights needs model.input = 'embedding' (one-hot input has no embedding "
            "to share), received input = 'onehot'",
        ),
        (
            {"bidirectional": True},
            "model.bidirectional must be false for a language model (the backward direction "
            "would read the characters it has to predict), received true",
        ),
        ({"input": "bytes"}, "model.input must be embedding or onehot, received 'bytes'"),
    ],
)
def test_configuration_errors(settings, message):
    with pytest.raises(ConfigError) as err:
        model(**settings)
    assert str(err.value) == message


def test_the_condition_changes_the_prediction():
    m = model(conditions=3)
    x = torch.tensor([[1, 2, 3], [1, 2, 3]])
    logits, _, _ = m(x, condition=torch.tensor([0, 2]))
    assert not torch.allclose(logits[0], logits[1])
    with pytest.raises(ValueError, match="this model is conditional"):
        m(x)


def test_temperature_to_zero_equals_greedy():
    m = model(conditions=2)
    prime, cond = torch.tensor([[1, 4], [2, 2]]), torch.tensor([0, 1])
    greedy = m.generate(prime, 40, temperature=0.0, condition=cond)
    for seed in range(3):
        cold = m.generate(
            prime,
            40,
            temperature=1e-6,
            condition=cond,
            generator=torch.Generator().manual_seed(seed),
        )
        assert cold == greedy
    assert m.generate(prime, 40, top_k=1, condition=cond) == greedy


def test_sampling_is_seeded_and_stops_at_the_stop_token():
    m = model()
    prime = torch.tensor([[1]])
    draw = lambda seed: m.generate(prime, 60, generator=torch.Generator().manual_seed(seed))  # noqa: E731
    assert draw(5) == draw(5) and draw(5) != draw(6)
    full = draw(5)[0]
    stop = full[3]
    stopped = m.generate(prime, 60, generator=torch.Generator().manual_seed(5), stop_id=stop)[0]
    assert stopped == full[: full.index(stop)]  # the same draws, cut before the stop token
    banned = m.generate(prime, 200, generator=torch.Generator().manual_seed(0), banned_ids=(0, 1))
    assert not {0, 1} & set(banned[0])


def test_top_k_and_top_p_filters():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    keep = lambda out: torch.isfinite(out[0]).tolist()  # noqa: E731
    assert keep(filter_logits(logits, top_k=2)) == [True, True, False, False]
    assert keep(filter_logits(logits, top_p=0.5)) == [True, False, False, False]
    assert keep(filter_logits(logits, top_p=0.6)) == [True, True, False, False]
    assert keep(filter_logits(logits, top_p=0.9)) == [True, True, True, False]
    assert keep(filter_logits(logits, top_k=3, top_p=0.99)) == [True, True, True, False]
    assert sample_next(logits, temperature=0).tolist() == [0]
    with pytest.raises(
        ValueError, match=r"top_p must be in \(0, 1\] \(1 = all tokens\), received 0"
    ):
        sample_next(logits, top_p=0)
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        sample_next(logits, temperature=-1)
