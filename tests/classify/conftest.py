from __future__ import annotations

import random

import pytest

FILLER = "the a film movie plot actor scene was is very quite and but story it this".split()
CUES = {"pos": ["great", "superb", "loved"], "neg": ["awful", "boring", "hated"]}


def separable_rows(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` (text, label) pairs: filler words plus one cue word that decides the label."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = "pos" if i % 2 == 0 else "neg"
        words = [rng.choice(FILLER) for _ in range(rng.randint(2, 9))]
        words.insert(rng.randint(0, len(words)), rng.choice(CUES[label]))
        rows.append((" ".join(words), label))
    return rows


def write_csv(path, rows) -> None:
    path.write_text(
        "id,text,label\n" + "".join(f"{i},{t},{y}\n" for i, (t, y) in enumerate(rows)),
        encoding="utf-8",
    )


@pytest.fixture
def sentiment_files(tmp_path):
    """train.csv (96 rows) and test.csv (24 rows) of the separable sentiment data."""
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    write_csv(train, separable_rows(96, 0))
    write_csv(test, separable_rows(24, 1))
    return train, test


def sentiment_config(train, test, **model) -> dict:
    return {
        "task": "classify",
        "data": {
            "format": "csv",
            "train": str(train),
            "test": str(test),
            "level": "word",
            "validation_fraction": 0.25,
        },
        "model": {
            "cell": "gru",
            "hidden_size": 12,
            "embedding_dim": 12,
            "bidirectional": True,
            "pooling": "max",
            "dropout": 0.0,
            "embedding_dropout": 0.0,
            "embedding_std": 1.0,
            **model,
        },
        "train": {
            "epochs": 12,
            "batch_size": 12,
            "lr": 0.05,
            "log_every": 5,
            "seed": 0,
            "schedule": "constant",
            "early_stopping": 0,
            "num_threads": 1,  # resumed runs are compared bit for bit: one thread count
        },
    }


@pytest.fixture
def sentiment():
    return sentiment_config
