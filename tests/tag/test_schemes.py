"""Tag schemes: spans under the conlleval rules, conversions, detection, allowed moves."""

from __future__ import annotations

import doctest
import random

import pytest

import rnnkit.data.schemes as schemes_module
from rnnkit.data.schemes import (
    Span,
    allowed_transitions,
    check_scheme,
    convert,
    detect_scheme,
    encode,
    spans,
    tag_inventory,
)
from rnnkit.errors import ConfigError


def test_module_examples():
    assert doctest.testmod(schemes_module).failed == 0


def test_the_three_schemes_of_one_sentence():
    iob1 = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC"]
    bio = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC"]
    bioes = ["B-PER", "E-PER", "O", "S-LOC", "B-LOC", "E-LOC"]
    expected = [Span("PER", 0, 2), Span("LOC", 3, 4), Span("LOC", 4, 6)]
    for tags in (iob1, bio, bioes):
        assert spans(tags) == expected
    assert convert(iob1, "bio") == bio
    assert convert(iob1, "bioes") == bioes
    assert convert(bioes, "iob1") == iob1
    assert convert(bio, "iob1") == iob1


def test_conlleval_reading_of_invalid_sequences():
    assert spans(["O", "I-PER", "I-PER"]) == [Span("PER", 1, 3)]  # I- without B-
    assert spans(["B-PER", "I-LOC"]) == [Span("PER", 0, 1), Span("LOC", 1, 2)]  # type change
    assert spans(["E-PER", "E-PER"]) == [Span("PER", 0, 1), Span("PER", 1, 2)]
    assert spans(["B-PER", "O", "E-PER"]) == [Span("PER", 0, 1), Span("PER", 2, 3)]
    assert spans(["S-PER", "I-PER"]) == [Span("PER", 0, 1), Span("PER", 1, 2)]
    assert spans([]) == []


@pytest.mark.parametrize("scheme", ["iob1", "bio", "bioes"])
def test_random_spans_survive_every_encoding(scheme):
    rng = random.Random(scheme)
    for _ in range(300):
        length, entities, i = rng.randint(1, 12), [], 0
        while i < length:
            if rng.random() < 0.4:
                end = min(length, i + rng.randint(1, 4))
                entities.append(Span(rng.choice("AB"), i, end))
                i = end
            else:
                i += 1
        tags = encode(entities, length, scheme)
        assert spans(tags) == entities
        allowed, start, end = allowed_transitions(tag_inventory(["A", "B"], scheme), scheme)
        index = {t: k for k, t in enumerate(tag_inventory(["A", "B"], scheme))}
        ids = [index[t] for t in tags]
        assert start[ids[0]] and end[ids[-1]]
        assert all(allowed[a][b] for a, b in zip(ids, ids[1:])), tags


def test_forbidden_moves():
    def ok(scheme, a, b):
        tags = tag_inventory(["LOC", "PER"], scheme)
        allowed, _, _ = allowed_transitions(tags, scheme)
        return allowed[tags.index(a)][tags.index(b)]

    assert not ok("bio", "O", "I-PER")
    assert not ok("bio", "B-LOC", "I-PER")
    assert ok("bio", "B-PER", "I-PER") and ok("bio", "I-PER", "B-PER")
    assert not ok("bioes", "B-PER", "O") and not ok("bioes", "O", "E-PER")
    assert not ok("bioes", "E-PER", "I-PER") and ok("bioes", "E-PER", "S-PER")
    assert ok("bioes", "B-PER", "E-PER") and not ok("bioes", "B-PER", "E-LOC")
    assert not ok("iob1", "O", "B-PER") and not ok("iob1", "I-LOC", "B-PER")
    assert ok("iob1", "I-PER", "B-PER") and ok("iob1", "O", "I-PER")
    tags = tag_inventory(["PER"], "bioes")
    _, start, end = allowed_transitions(tags, "bioes")
    assert dict(zip(tags, start)) == {
        "O": True, "B-PER": True, "I-PER": False, "E-PER": False, "S-PER": True
    }  # fmt: skip
    assert dict(zip(tags, end)) == {
        "O": True, "B-PER": False, "I-PER": False, "E-PER": True, "S-PER": True
    }  # fmt: skip


def test_detect_scheme():
    assert detect_scheme([["I-ORG", "O"], ["B-PER", "I-PER"]]) == "iob1"
    assert detect_scheme([["B-ORG", "O"], ["B-PER", "I-PER"]]) == "bio"
    assert detect_scheme([["S-ORG", "O"]]) == "bioes"
    assert detect_scheme([["NN", "VB"]]) == "none"


def test_inventory_and_unknown_scheme():
    assert tag_inventory(["PER", "LOC"], "bio") == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    with pytest.raises(
        ConfigError, match=r"^data.scheme must be one of iob1, bio, bioes, none, received 'bilou'$"
    ):
        check_scheme("bilou", "data.scheme")
    with pytest.raises(ValueError, match=r"^tag 'NN' is not O or B-/I-/E-/S- followed by a type$"):
        spans(["NN"])
