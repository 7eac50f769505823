"""Tiny trained runs of the text and sequence tasks, shared by the API tests (trained once)."""

from __future__ import annotations

import random

import pytest

import rnnkit

RUSSIAN = ["Ivanov", "Petrov", "Sidorov", "Smirnov", "Popov", "Volkov", "Sokolov", "Orlov"]
JAPANESE = ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Nakamura", "Kato"]
QUICK = {"train__num_threads": 1, "quiet": True}


@pytest.fixture(scope="package")
def classifier(tmp_path_factory):
    pairs = [(n, "Russian") for n in RUSSIAN] + [(n, "Japanese") for n in JAPANESE]
    out = tmp_path_factory.mktemp("api") / "names"
    rnnkit.fit(
        "classify",
        train=pairs * 8,
        validation=pairs,
        out=out,
        model__hidden_size=16,
        model__embedding_dim=8,
        train__epochs=6,
        train__lr=0.01,
        **QUICK,
    )
    return rnnkit.load(out)


@pytest.fixture(scope="package")
def tagger(tmp_path_factory):
    rng = random.Random(0)
    people, places = ["Peter", "Anna", "John", "Maria", "Paul"], ["Paris", "Berlin", "Rome"]

    def sentence():
        return [
            (rng.choice(people), "B-PER"),
            ("lives", "O"),
            ("in", "O"),
            (rng.choice(places), "B-LOC"),
            (".", "O"),
        ]

    out = tmp_path_factory.mktemp("api") / "ner"
    return rnnkit.fit(
        "tag",
        train=[sentence() for _ in range(200)],
        validation=[sentence() for _ in range(20)],
        out=out,
        data__scheme="bio",
        model__hidden_size=16,
        model__embedding_dim=16,
        model__char_encoder="none",
        model__casing_dim=0,
        train__epochs=3,
        train__lr=0.01,
        **QUICK,
    )


@pytest.fixture(scope="package")
def language_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "lm"
    lines = ["abcabcabc abcabc"] * 100
    return rnnkit.fit(
        "lm",
        train=lines,
        out=out,
        data__bptt=16,
        model__hidden_size=16,
        model__num_layers=1,
        train__epochs=3,
        train__batch_size=4,
        **QUICK,
    )


@pytest.fixture(scope="package")
def translator(tmp_path_factory):
    words = ["abc", "bca", "cab", "aab", "bba", "abb", "cca", "acc", "bac", "cba"]
    out = tmp_path_factory.mktemp("api") / "rev"
    return rnnkit.fit(
        "seq2seq",
        train=[(w, w[::-1]) for w in words] * 40,
        validation=[(w, w[::-1]) for w in words],
        out=out,
        model__hidden_size=32,
        model__embedding_dim=16,
        train__epochs=8,
        train__lr=0.01,
        **QUICK,
    )
