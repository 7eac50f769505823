"""Predictors of the tasks that write sequences: ``lm`` (sample and score text) and
``seq2seq`` (translate a source into a target).

>>> lm = rnnkit.load("runs/names")                                       # doctest: +SKIP
>>> lm.generate(condition="Russian", n=3, seed=1)
['Bakhtin', 'Zhakov', 'Rakhmanov']
>>> lm.score(["Ivanov"], condition="Russian")                     # nats per character
[1.62]
>>> rnnkit.load("runs/dates").translate(["the 3rd of March, 1987"])
['1987-03-03']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
import torch

from rnnkit.api.predict_text import as_texts
from rnnkit.api.predictors import RunPredictor
from rnnkit.errors import ConfigError


class LMPredictor(RunPredictor):
    """A trained ``lm`` run: samples text (or lines of a category) and scores texts."""

    @property
    def categories(self) -> list[str]:
        """The categories of a conditional model (empty for a model of one text)."""
        return list(self.task.categories)

    def generate(
        self,
        prime: str = "",
        length: int | None = None,
        temperature: float = 0.8,
        top_k: int = 0,
        top_p: float = 1.0,
        condition: str | None = None,
        seed: int = 0,
        n: int = 1,
    ) -> list[str]:
        """``n`` samples, each ``prime`` and its continuation. A text model continues
        ``prime`` (a newline when empty) by ``length`` characters (default 500); a conditional
        model writes whole lines of ``condition`` that begin with ``prime`` (at most
        ``length`` characters, default 30). ``temperature`` 0 takes the most likely character
        at every step; ``top_k``/``top_p`` restrict sampling; ``seed`` fixes the draws."""
        if length is None:
            length = 30 if self.task.categories else 500
        with torch.no_grad():
            return self.task.generate(
                self.model,
                prime=prime,
                length=length,
                temperature=temperature,
                top_k=top_k,
                top_p=top_p,
                seed=seed,
                condition=condition,
                n=n,
            )

    def score(
        self, texts: str | Iterable[str], condition: str | list[str] | None = None
    ) -> list[float]:
        """Nats per predicted character of each text, read from a zero state (a conditional
        model needs ``condition``: one category, or one per text; its closing ``<eos>``
        counts as a character). Lower is more likely; bits per character = nats / ln 2."""
        texts = as_texts(texts)
        conditions = condition if isinstance(condition, list) else [condition] * len(texts)
        if len(conditions) != len(texts):
            raise ConfigError(
                f"condition must be one category or one per text, received {len(conditions)} "
                f"for {len(texts)} texts"
            )
        out = []
        with torch.no_grad():
            for text, cond in zip(texts, conditions):
                nats, count = self.task.text_nats(self.model, text, cond)
                out.append(nats / max(1, count))
        return out

    def predict_lines(self, lines: list[str]) -> list[str]:
        raise ConfigError(
            "task lm writes text rather than predicting from lines: use `rnnkit generate RUN` "
            "(or `rnnkit evaluate RUN --data FILE` to score a text)"
        )


@dataclass(frozen=True)
class Translation:
    """A decoded source: the output, the tokens of both sides, the attention weights
    ``(len(output_tokens), len(source_tokens))`` (each row sums to 1; the last output token
    is ``</s>`` when the decoder wrote it) and the decoder's score (log probability, divided
    by ``length ** length_penalty`` under beam search)."""

    source: str
    output: str
    source_tokens: list[str]
    output_tokens: list[str]
    attention: np.ndarray
    score: float


class Seq2SeqPredictor(RunPredictor):
    """A trained ``seq2seq`` run: a target sequence per source."""

    @overload
    def translate(
        self, sources: str | Iterable[str], beam: int | None = ..., attention: Literal[False] = ...
    ) -> list[str]: ...

    @overload
    def translate(
        self, sources: str | Iterable[str], beam: int | None = ..., *, attention: Literal[True]
    ) -> list[Translation]: ...

    def translate(self, sources, beam=None, attention=False):
        """The decoded target of each source (a single str is one source): greedy when
        ``beam`` is 1, beam search of that width otherwise (default: ``model.beam_size`` of
        the run's config). ``attention=True`` returns :class:`Translation` objects."""
        sources = as_texts(sources, "sources")
        task = self.task
        with torch.no_grad():
            decoded = task.translate(self.model, sources, beam=beam)
        if not attention:
            return [task.to_text(d.ids) for d in decoded]
        out = []
        for source, d in zip(sources, decoded):
            tokens = task.tgt_vocab.decode(d.ids)
            weights = d.attention.float().numpy()
            tokens += ["</s>"] * (weights.shape[0] - len(tokens))
            out.append(
                Translation(
                    source, task.to_text(d.ids), task.tokenize(source), tokens, weights, d.score
                )
            )
        return out

    def predict_lines(self, lines: list[str]) -> list[str]:
        """One source per line in, its decoded target out."""
        return self.translate(lines)


__all__ = ["LMPredictor", "Seq2SeqPredictor", "Translation"]
