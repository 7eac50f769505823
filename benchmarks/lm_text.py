"""Write the text the contextual-embedding language models of issue 17 learn from: the training
text of CoNLL-2003, UD English-EWT and IMDB, mixed by document.

    python benchmarks/lm_text.py --out runs/lm-mixed.txt [--conll-repeat 3] [--ewt-repeat 2]

Sources (never a test or validation set of a task rnnkit scores with these models):
- CoNLL-2003 ``eng.train``: its documents (``-DOCSTART-``), a sentence a line, tokens joined
  by spaces (how the tagger hands sentences to the models), ``--conll-repeat`` times;
- UD English-EWT ``en_ewt-ud-train.conllu``: its documents, the same way, ``--ewt-repeat``;
- IMDB ``train.tsv``: each training review's text on one line, ``<br />`` as a space (the test
  reviews are never read).

The ``lm`` task reads a text file as one stream cut into batch rows, so a file of one source
after another would give some rows only IMDB: the documents of all sources (each repeat its
own) are shuffled together with ``--seed``, so that every stretch of the stream mixes them.
The file's last ``validation_fraction`` (examples/conll_lm_fwd.toml) then scores the models.
What went in is written beside it (``OUT.json``), for ``tag_conll.py --lm-text OUT``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from itertools import groupby
from pathlib import Path

from rnnkit.data.conll import read_conll, read_conllu

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "text"


def documents(sentences) -> list[str]:
    """One block of lines per document, a sentence a line, tokens joined by spaces."""
    return [
        "".join(" ".join(s.tokens) + "\n" for s in group)
        for _, group in groupby(sentences, key=lambda s: s.document)
    ]


def reviews(path: Path) -> list[str]:
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [" ".join(r["text"].replace("<br />", " ").split()) + "\n" for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=DATA, help="../shared/datasets/text")
    parser.add_argument("--conll-repeat", type=int, default=3)
    parser.add_argument("--ewt-repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    conll = documents(read_conll(args.data / "conll2003" / "eng.train"))
    ewt = documents(read_conllu(args.data / "ud_english_ewt" / "en_ewt-ud-train.conllu"))
    imdb = reviews(args.data / "imdb" / "train.tsv")
    blocks = conll * args.conll_repeat + ewt * args.ewt_repeat + imdb
    random.Random(args.seed).shuffle(blocks)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(blocks), encoding="utf-8")
    sources = {
        "CoNLL-2003": ("eng.train", conll, args.conll_repeat),
        "EWT": ("en_ewt-ud-train.conllu", ewt, args.ewt_repeat),
        "IMDB": ("train.tsv's reviews", imdb, 1),
    }
    mix = {
        "command": " ".join(["python benchmarks/lm_text.py", *sys.argv[1:]]),
        "characters": sum(map(len, blocks)),
        "sources": {
            name: {"what": what, "characters": sum(map(len, docs)), "repeat": repeat}
            for name, (what, docs, repeat) in sources.items()
        },
    }
    sidecar = args.out.with_name(args.out.name + ".json")  # read by benchmarks/_flair.py
    sidecar.write_text(json.dumps(mix, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(mix, indent=2))


if __name__ == "__main__":
    main()
