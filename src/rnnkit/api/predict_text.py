"""Predictors of the text tasks: ``classify`` (a label per text) and ``tag`` (a tag per token).

>>> clf = rnnkit.load("runs/names-lstm")                                  # doctest: +SKIP
>>> clf.predict(["Dostoevsky"])
[Prediction(text='Dostoevsky', label='Russian', probability=0.97, probabilities={...})]
>>> ner = rnnkit.load("runs/conll-ner")
>>> ner.predict("Peter Blackburn met EU officials in Brussels .")[0].spans
[Entity(text='Peter Blackburn', type='PER', start=0, end=2, score=0.99, ...), ...]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
import torch

from rnnkit.api.predictors import RunPredictor
from rnnkit.data.schemes import Span
from rnnkit.data.text import word_tokenize
from rnnkit.errors import DataError
from rnnkit.tasks.tag_output import json_line, token_offsets

TOP_K = 3  # labels per line written by `rnnkit predict`


def as_texts(texts: str | Iterable[str], what: str = "texts") -> list[str]:
    """A list of strings from one string or an iterable of them; anything else is an error."""
    items = [texts] if isinstance(texts, str) else list(texts)
    if not items:
        raise DataError(f"{what} is empty")
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise DataError(f"{what}[{i}] must be a str, received {text!r:.60}")
    return items


# ---- classify ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prediction:
    """One text's label: the most probable one, its probability, and every label's."""

    text: str
    label: str
    probability: float
    probabilities: dict[str, float] = field(repr=False)

    def top(self, k: int = TOP_K) -> list[tuple[str, float]]:
        """The ``k`` most probable labels with their probabilities, most probable first."""
        return sorted(self.probabilities.items(), key=lambda item: -item[1])[:k]


class ClassifyPredictor(RunPredictor):
    """A trained ``classify`` run: one label per text."""

    @property
    def labels(self) -> list[str]:
        """The labels the model knows, in the order of its outputs."""
        return list(self.task.labels)

    def _probabilities(self, texts: list[str]) -> torch.Tensor:
        for i, text in enumerate(texts):
            if not text.strip():
                raise DataError(f"texts[{i}] is empty: there is nothing to classify")
        with torch.no_grad():
            return self.task.probabilities(self.model, texts)

    def predict(self, texts: str | Iterable[str]) -> list[Prediction]:
        """One :class:`Prediction` per text (a single str is one text)."""
        texts = as_texts(texts)
        labels = self.labels
        out = []
        for text, row in zip(texts, self._probabilities(texts).tolist()):
            best = max(range(len(row)), key=row.__getitem__)
            out.append(Prediction(text, labels[best], row[best], dict(zip(labels, row))))
        return out

    def predict_frame(self, texts: str | Iterable[str]) -> pd.DataFrame:
        """``text, label, probability`` and one column of probabilities per label."""
        texts = as_texts(texts)
        probs = self._probabilities(texts).numpy()
        best = probs.argmax(axis=1)
        frame = pd.DataFrame(
            {
                "text": texts,
                "label": [self.labels[i] for i in best],
                "probability": probs[range(len(texts)), best],
            }
        )
        return pd.concat([frame, pd.DataFrame(probs, columns=self.labels)], axis=1)

    def predict_lines(self, lines: list[str]) -> list[str]:
        """``<text>  <label> <p>, <label> <p>, <label> <p>``: the three most probable labels."""
        return [
            f"{p.text}  " + ", ".join(f"{label} {q:.2f}" for label, q in p.top())
            for p in self.predict(lines)
        ]


# ---- tag -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    """A token, its tag (in the scheme of the training files), the probability of that tag
    (the CRF's marginal, or the softmax) and its characters ``[start_char, end_char)``."""

    text: str
    tag: str
    score: float
    start_char: int
    end_char: int


@dataclass(frozen=True)
class Entity:
    """An entity: its text and type, tokens ``[start, end)``, characters ``[start_char,
    end_char)`` of the (NFC) sentence, and its score, the mean probability of its tags."""

    text: str
    type: str
    start: int
    end: int
    score: float
    start_char: int
    end_char: int


@dataclass(frozen=True)
class TaggedSentence:
    """A tagged sentence: its text (the tokens joined by spaces when tokens were given),
    its tokens and its entities (every token is one with atomic tags, e.g. POS)."""

    text: str
    tokens: list[Token]
    spans: list[Entity]

    @property
    def tags(self) -> list[str]:
        return [t.tag for t in self.tokens]


def _token_lists(sentences) -> tuple[list[str], list[list[str]]]:
    """Texts and tokens of one sentence (a str), or of a list of str or of token lists."""
    items = [sentences] if isinstance(sentences, str) else list(sentences)
    if not items:
        raise DataError("sentences is empty")
    texts, tokens = [], []
    for i, item in enumerate(items):
        if isinstance(item, str):
            texts.append(item)
            tokens.append(word_tokenize(item))
        elif isinstance(item, (list, tuple)) and all(isinstance(t, str) for t in item):
            texts.append(" ".join(item))
            tokens.append(list(item))
        else:
            raise DataError(
                f"sentences[{i}] must be a str or a list of token strings, received {item!r:.60}"
            )
    return texts, tokens


class TagPredictor(RunPredictor):
    """A trained ``tag`` run: a tag per token, and the entities they spell."""

    def predict(self, sentences) -> list[TaggedSentence]:
        """Tag sentences: a str (tokenised by :func:`~rnnkit.data.text.word_tokenize`), or a
        list of str, or of token lists. The sentences of one call are read as one document
        (``repeat_context`` and ``document_dim`` see each other's words)."""
        texts, token_lists = _token_lists(sentences)
        with torch.no_grad():
            tagged = self.task.tag_tokens(self.model, token_lists)
        return [
            _sentence(text, tokens, *result)
            for text, tokens, result in zip(texts, token_lists, tagged)
        ]

    def predict_lines(self, lines: list[str]) -> list[str]:
        """``token TAB tag`` lines and a blank line per sentence (``data.predict_output =
        "conll"``), or one JSON object per sentence (``"json"``)."""
        out = []
        for s in self.predict(lines):
            if self.config.data.predict_output == "json":
                spans = [Span(e.type, e.start, e.end) for e in s.spans]
                out.append(json_line(s.text, [t.text for t in s.tokens], s.tags, spans))
            else:
                out.append("".join(f"{t.text}\t{t.tag}\n" for t in s.tokens))
        return out


def _sentence(text: str, tokens: list[str], tags, spans, scores) -> TaggedSentence:
    import unicodedata

    offsets = token_offsets(text, tokens)
    norm = unicodedata.normalize("NFC", text)
    toks = [Token(w, t, p, a, b) for w, t, p, (a, b) in zip(tokens, tags, scores, offsets)]
    entities = []
    for span in spans:
        first, last = offsets[span.start][0], offsets[span.end - 1][1]
        score = sum(scores[span.start : span.end]) / (span.end - span.start)
        text_of = norm[first:last]
        entities.append(Entity(text_of, span.type, span.start, span.end, score, first, last))
    return TaggedSentence(text, toks, entities)


__all__ = [
    "ClassifyPredictor",
    "Entity",
    "Prediction",
    "TagPredictor",
    "TaggedSentence",
    "Token",
]
