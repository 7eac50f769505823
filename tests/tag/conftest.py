from __future__ import annotations

import random

import pytest

PEOPLE = ["Ann Lee", "Bob", "Carl Marx", "Dora", "Eve Stone", "Fred"]
PLACES = ["Paris", "New York", "Oslo", "Rome"]
GROUPS = ["Acme Corp", "UN", "Blue Bank"]
TEMPLATES = [
    "{PER} visited {LOC} .",
    "{ORG} hired {PER} in {LOC} .",
    "the {ORG} office in {LOC} is closed",
    "{PER} and {PER} met at {ORG} .",
    "nothing happened today .",
]


def make_corpus(sentences: int, seed: int) -> str:
    """A tiny NER corpus in CoNLL-2003 layout (word POS chunk NER, IOB1 tags)."""
    rng = random.Random(seed)
    pools = {"PER": PEOPLE, "LOC": PLACES, "ORG": GROUPS}
    lines = ["-DOCSTART- -X- O O", ""]
    for _ in range(sentences):
        for word in rng.choice(TEMPLATES).split():
            if word.startswith("{"):
                kind = word[1:4]
                for part in rng.choice(pools[kind]).split():
                    lines.append(f"{part} NNP I-NP I-{kind}")
            else:
                lines.append(f"{word} XX O O")
        lines.append("")
    return "\n".join(lines) + "\n"


def make_conllu(sentences: int, seed: int) -> str:
    """A tiny POS corpus in CoNLL-U (with a multiword token line now and then)."""
    rng = random.Random(seed)
    words = {"DET": ["the", "a"], "NOUN": ["dog", "cat", "car"], "VERB": ["sees", "likes"]}
    out = []
    for n in range(sentences):
        out.append(f"# sent_id = {n}")
        pattern = ["DET", "NOUN", "VERB", "DET", "NOUN"]
        if n % 4 == 0:
            out.append("1-2\tthe-dog\t_\t_\t_\t_\t_\t_\t_\t_")
        for i, pos in enumerate(pattern, 1):
            word = rng.choice(words[pos])
            out.append(f"{i}\t{word}\t{word}\t{pos}\t_\t_\t0\tdep\t_\t_")
        out.append("")
    return "\n".join(out) + "\n"


def tag_config(path: str, **sections) -> dict:
    """A seconds-long ``tag`` config; ``sections`` update data/model/train."""
    raw = {
        "task": "tag",
        "data": {  # the defaults before issue 16, which these tests were written for
            "train": path,
            "validation": path,
            "lower": False,
            "zero_digits": False,
            "singleton_unk": 0.0,
        },
        "model": {
            "hidden_size": 16,
            "embedding_dim": 16,
            "char_dim": 8,
            "char_hidden_size": 8,
            "dropout": 0.0,
            "casing_dim": 0,
            "document_dim": 0,
        },
        "train": {
            "epochs": 30,
            "batch_size": 8,
            "lr": 0.02,
            "log_every": 50,
            "clip_grad_norm": 1.0,
            "schedule": "constant",
            "early_stopping": 0,
            "time_budget": 0.0,
        },
    }
    for section, values in sections.items():
        raw[section].update(values)
    return raw


@pytest.fixture
def ner_file(tmp_path):
    path = tmp_path / "ner.conll"
    path.write_text(make_corpus(32, seed=0))
    return path


@pytest.fixture
def pos_file(tmp_path):
    path = tmp_path / "pos.conllu"
    path.write_text(make_conllu(24, seed=1))
    return path


@pytest.fixture
def config():
    return tag_config
