"""Sampling from a trained ``lm`` task: priming texts, conditions, samples and plots for the
report.

:class:`GenerationMixin` is mixed into :class:`~rnnkit.tasks.lm.LanguageModelTask`; it needs
the task's ``vocab``, ``categories``, ``device``, ``config``, ``words``, ``_tokens`` and
``_join``.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd
import torch

from rnnkit.errors import ConfigError, DataError

EOS = "<eos>"  # the boundary token of a folder (conditional) model: <eos> name <eos>


class GenerationMixin:
    """``generate`` (``rnnkit generate``), ``samples`` and the checks they make."""

    def check_conditions(self, names: list[str]) -> list[int]:
        """Category ids of ``names``; an unknown one is an error listing the known ones."""
        if not self.categories:
            raise ConfigError(
                "this model is not conditional (it was trained on one text), so it takes no "
                "condition; drop the condition (--condition)"
            )
        ids = []
        for name in names:
            if name not in self.categories:
                close = difflib.get_close_matches(name, self.categories, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(
                    f"unknown condition {name!r}{hint}; known: {', '.join(self.categories)}"
                )
            ids.append(self.categories.index(name))
        return ids

    def encode_prime(self, prime: str) -> list[int]:
        """Ids of a priming text; characters outside the vocabulary are an error naming them
        (words outside it are ``<unk>``, as in training)."""
        tokens = self._tokens(prime)
        unknown = [] if self.words else self.vocab.unknown(tokens)
        if unknown:
            shown = ", ".join(repr(t) for t in unknown)
            raise DataError(
                f"prime has characters outside the vocabulary: {shown} (the model knows "
                f"{len(self.vocab) - len(self.vocab.specials)} characters)"
            )
        return self.vocab.encode(tokens)

    def generate(
        self,
        model,
        *,
        prime: str = "",
        length: int = 500,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        seed: int = 0,
        condition: str | None = None,
        n: int = 1,
    ) -> list[str]:
        """``n`` samples, each the prime followed by its continuation.

        A text model continues ``prime`` (``"\\n"``, or ``<eos>`` for words and lines, when
        empty) by ``length`` characters (words: words, joined by spaces). A
        conditional model needs ``condition`` and writes whole lines (``prime`` is their
        beginning), stopping at ``<eos>`` or after ``length`` characters.
        """
        if length < 0 or n < 1:
            raise ConfigError(f"length must be >= 0 and n >= 1, received {length} and {n}")
        ids = self.encode_prime(prime)
        cond, stop = None, None
        if self.categories:
            if condition is None:
                raise ConfigError(
                    "this model is conditional: pass a condition (--condition), one of "
                    + ", ".join(self.categories)
                )
            cond = torch.tensor(self.check_conditions([condition]) * n, device=self.device)
            ids, stop = [self.vocab.stoi[EOS]] + ids, self.vocab.stoi[EOS]
        elif condition is not None:
            self.check_conditions([condition])
        elif not ids and EOS in self.vocab:  # words, lines: start as a new text
            ids, prime = [self.vocab.stoi[EOS]], ""
        elif not ids:
            ids = self.encode_prime("\n") if "\n" in self.vocab else [len(self.vocab.specials)]
            prime = self.vocab.itos[ids[0]]
        gen = torch.Generator().manual_seed(seed)
        prime_ids = torch.tensor([ids] * n, dtype=torch.long, device=self.device)
        rows = model.generate(
            prime_ids,
            length,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            generator=gen,
            condition=cond,
            stop_id=stop,
            banned_ids=tuple(
                i for i in (self.vocab.pad_index, self.vocab.unk_index) if i is not None
            ),
        )
        space = " " if self.words and prime else ""
        return [prime + space + self._join(r) for r in rows]

    def samples(self, model, per_condition: int = 5, length: int = 400) -> pd.DataFrame:
        """Samples at temperature 0.8 (seeded by train.seed): a few per category, or one
        ``length``-character text."""
        seed = self.config.train.seed
        if not self.categories:
            text = self.generate(model, length=length, temperature=0.8, seed=seed)[0]
            return pd.DataFrame({"condition": [""], "sample": [text]})
        rows = []
        for i, c in enumerate(self.categories):
            for s in self.generate(
                model, condition=c, n=per_condition, length=30, temperature=0.8, seed=seed + i
            ):
                rows.append((c, s))
        return pd.DataFrame(rows, columns=["condition", "sample"])

    # ---- report -------------------------------------------------------------------------
    def plots(self, model, plots_dir: Path, state=None):
        from rnnkit.report.walltime import plot_val_loss_by_time

        metrics = plots_dir.parent / "metrics.csv"
        path = plot_val_loss_by_time(
            metrics,
            plots_dir / "val_loss_time.png",
            f"validation loss (nats/{'word' if self.words else 'char'})",
        )
        return [("Validation loss against training time", path)] if path else []

    def report_sections(self, model) -> list[tuple[str, str]]:
        import html

        frame = self.samples(model, per_condition=3)
        if not self.categories:
            body = f"<pre>{html.escape(frame['sample'][0])}</pre>"
        else:
            items = "".join(
                f"<tr><td>{html.escape(c)}</td><td>{html.escape(', '.join(g['sample']))}</td></tr>"
                for c, g in frame.groupby("condition", sort=False)
            )
            body = f"<table><tr><th>condition</th><th>samples</th></tr>{items}</table>"
        return [("Samples (temperature 0.8)", body)]
