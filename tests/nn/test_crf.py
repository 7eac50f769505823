"""The CRF equals brute-force enumeration over every tag sequence, with and without
constraints and padding; its gradients are right; bad input gets a clear message."""

from __future__ import annotations

import doctest
import itertools
import math

import pytest
import torch

import rnnkit.nn.crf as crf_module
from rnnkit.data.schemes import allowed_transitions
from rnnkit.nn.crf import CRF


def path_score(crf: CRF, emissions: torch.Tensor, path: tuple[int, ...]) -> float:
    """score(y) written out term by term (no penalties: only allowed paths are scored)."""
    start, end, trans = (p.detach() for p in (crf.start, crf.end, crf.transitions))
    total = float(start[path[0]]) + float(end[path[-1]])
    total += sum(float(emissions[t, y]) for t, y in enumerate(path))
    total += sum(float(trans[a, b]) for a, b in zip(path, path[1:]))
    return total


def enumerate_paths(crf: CRF, emissions: torch.Tensor, allowed=None):
    """Every allowed path of one unpadded sentence ``(L, K)`` with its score."""
    k = emissions.size(1)
    out = []
    for path in itertools.product(range(k), repeat=emissions.size(0)):
        if allowed is not None:
            ok_moves, ok_start, ok_end = allowed
            if not ok_start[path[0]] or not ok_end[path[-1]]:
                continue
            if not all(ok_moves[a][b] for a, b in zip(path, path[1:])):
                continue
        out.append((path, path_score(crf, emissions, path)))
    return out


def random_crf(k: int, seed: int, allowed=None) -> CRF:
    torch.manual_seed(seed)
    crf = CRF(k, *(torch.tensor(a) for a in allowed) if allowed else ())
    with torch.no_grad():  # larger than the default init, so paths differ clearly
        for p in crf.parameters():
            p.normal_(0, 1)
    return crf.double()


CASES = [  # (tags, scheme)
    (["A", "B", "C"], "none"),
    (["O", "B-PER", "I-PER"], "bio"),
    (["O", "B-X", "I-X", "E-X", "S-X"], "bioes"),
    (["O", "I-X", "B-X", "I-Y"], "iob1"),
]


@pytest.mark.parametrize("tags, scheme", CASES)
@pytest.mark.parametrize("constrained", [False, True])
def test_log_partition_viterbi_and_nll_equal_brute_force(tags, scheme, constrained):
    allowed = allowed_transitions(tags, scheme) if constrained else None
    k, lengths = len(tags), [4, 1, 3, 2]
    crf = random_crf(k, seed=len(tags) + constrained, allowed=allowed)
    n, longest = len(lengths), max(lengths)
    emissions = torch.randn(n, longest, k, dtype=torch.float64) * 2
    mask = torch.arange(longest) < torch.tensor(lengths)[:, None]
    emissions[~mask] = 1e3  # padding must not matter, however large
    gold = torch.randint(0, k, (n, longest))
    with torch.no_grad():
        log_z = crf.log_partition(emissions, mask)
        best_path, best_score = crf.decode(emissions, mask)
        nll = crf.nll(emissions, gold, mask)
    for i, length in enumerate(lengths):
        paths = enumerate_paths(crf, emissions[i, :length], allowed)
        expected_z = math.log(sum(math.exp(s) for _, s in paths))
        assert float(log_z[i]) == pytest.approx(expected_z, abs=1e-9)
        path, score = max(paths, key=lambda item: item[1])
        assert best_path[i, :length].tolist() == list(path)
        assert best_path[i, length:].tolist() == [0] * (longest - length)
        assert float(best_score[i]) == pytest.approx(score, abs=1e-9)
        g = tuple(gold[i, :length].tolist())
        if allowed is None or g in dict(paths):
            assert float(nll[i]) == pytest.approx(expected_z - path_score(crf, emissions[i], g))


def test_forbidden_gold_path_costs_the_penalty():
    tags = ["O", "B-PER", "I-PER"]
    crf = CRF(3, *(torch.tensor(a) for a in allowed_transitions(tags, "bio")))
    emissions, mask = torch.zeros(1, 2, 3), torch.ones(1, 2, dtype=torch.bool)
    nll = crf.nll(emissions, torch.tensor([[0, 2]]), mask).detach()  # O -> I-PER
    assert float(nll) > 9000


def test_single_sentence_equals_its_padded_batch():
    crf = random_crf(4, seed=3)
    emissions = torch.randn(2, 6, 4, dtype=torch.float64)
    mask = torch.tensor([[1] * 6, [1, 1, 1, 0, 0, 0]], dtype=torch.bool)
    with torch.no_grad():
        alone = crf.log_partition(emissions[1:, :3], mask[1:, :3])
        assert torch.allclose(crf.log_partition(emissions, mask)[1:], alone)
    assert crf.decode(emissions, mask)[0][1, :3].tolist() == (
        crf.decode(emissions[1:, :3], mask[1:, :3])[0][0].tolist()
    )


def test_gradients_of_log_partition_are_the_marginals():
    crf = random_crf(3, seed=5)
    emissions = torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]], dtype=torch.bool)
    assert torch.autograd.gradcheck(lambda e: crf.log_partition(e, mask), (emissions,))
    grad = torch.autograd.grad(crf.log_partition(emissions, mask).sum(), emissions)[0]
    # d log Z / d e_t(y) is the marginal p(y_t = y): rows sum to 1 on real positions
    assert torch.allclose(grad.sum(-1), mask.double())
    gold = torch.tensor([[0, 1, 2], [2, 2, 0]])
    assert torch.autograd.gradcheck(lambda e: crf.nll(e, gold, mask), (emissions,))


@pytest.mark.parametrize("constrained", [False, True])
def test_marginals_equal_brute_force(constrained):
    allowed = allowed_transitions(["O", "B-PER", "I-PER"], "bio") if constrained else None
    crf = random_crf(3, seed=11, allowed=allowed)
    emissions = torch.randn(2, 4, 3, dtype=torch.float64)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=torch.bool)
    with torch.no_grad():  # as the predictors call it
        marginals = crf.marginals(emissions, mask)
    for n, length in enumerate((4, 2)):
        paths = enumerate_paths(crf, emissions[n, :length], allowed)
        z = sum(math.exp(s) for _, s in paths)
        expected = torch.zeros(4, 3, dtype=torch.float64)
        for path, score in paths:
            for t, y in enumerate(path):
                expected[t, y] += math.exp(score) / z
        torch.testing.assert_close(marginals[n], expected, rtol=1e-9, atol=1e-9)
    assert crf.transitions.grad is None  # the weights get no gradient


def test_float32_batch_matches_float64():
    crf64 = random_crf(5, seed=7)
    crf32 = CRF(5)
    crf32.load_state_dict({k: v.float() for k, v in crf64.state_dict().items()})
    emissions = torch.randn(8, 30, 5, dtype=torch.float64)
    mask = torch.arange(30) < torch.randint(1, 31, (8,))[:, None]
    z64 = crf64.log_partition(emissions, mask)
    z32 = crf32.log_partition(emissions.float(), mask)
    assert torch.allclose(z32.double(), z64, rtol=1e-5)


def test_errors_name_the_problem():
    crf = CRF(3)
    good = torch.zeros(2, 4, 3)
    with pytest.raises(ValueError, match=r"^num_tags must be a positive integer, received 0$"):
        CRF(0)
    with pytest.raises(ValueError, match=r"^allowed must have shape \(3, 3\), received \(2, 2\)$"):
        CRF(3, torch.ones(2, 2, dtype=torch.bool))
    shape_message = r"^emissions must be \(N, L, K=3\), received \(2, 4, 5\)$"
    with pytest.raises(ValueError, match=shape_message):
        crf.log_partition(torch.zeros(2, 4, 5), torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"^mask must be a bool tensor of shape \(2, 4\)"):
        crf.decode(good, torch.ones(2, 4))
    mask = torch.ones(2, 4, dtype=torch.bool)
    mask[1, 0] = False
    with pytest.raises(
        ValueError, match=r"^mask must be True at position 0 of every sentence \(length >= 1\)$"
    ):
        crf.nll(good, torch.zeros(2, 4, dtype=torch.long), mask)


def test_docstring_example_runs():
    result = doctest.testmod(crf_module, extraglobs={"torch": torch})
    assert result.failed == 0 and result.attempted > 0
