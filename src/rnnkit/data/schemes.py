"""Tag schemes for spans (entities, chunks): IOB1, BIO (IOB2) and BIOES, and conversions.

A tag is ``O`` or ``P-TYPE`` with the prefix ``P`` in ``B``, ``I``, ``E``, ``S``. The schemes
write the same spans differently, e.g. ``[Peter Blackburn]PER , [EU]ORG``:

========  ==================  =====  =====
scheme    Peter  Blackburn    ,      EU
========  ==================  =====  =====
iob1      I-PER  I-PER        O      I-ORG
bio       B-PER  I-PER        O      B-ORG
bioes     B-PER  E-PER        O      S-ORG
========  ==================  =====  =====

In IOB1 an ``I-`` tag starts an entity, and ``B-`` appears only where an entity directly
follows another of the same type. :func:`spans` reads any of the three (and any sloppy mix)
with the conlleval rules, so conversions go through spans::

    >>> convert(["I-PER", "I-PER", "O", "I-ORG"], "bioes")
    ['B-PER', 'E-PER', 'O', 'S-ORG']

The scheme ``none`` is for atomic labels such as part-of-speech tags: every token is a span of
its own, labelled by its whole tag.
"""

from __future__ import annotations

from typing import NamedTuple

from rnnkit.errors import ConfigError, DataError

SCHEMES = ("iob1", "bio", "bioes", "none")
PREFIXES = {"iob1": ("I", "B"), "bio": ("B", "I"), "bioes": ("B", "I", "E", "S"), "none": ()}


class Span(NamedTuple):
    """An entity: its type and the tokens ``start <= i < end``."""

    type: str
    start: int
    end: int


def check_scheme(scheme: str, key: str = "scheme") -> str:
    """``scheme`` if known, else a ConfigError naming ``key`` and the choices."""
    if scheme not in SCHEMES:
        raise ConfigError(f"{key} must be one of {', '.join(SCHEMES)}, received {scheme!r}")
    return scheme


def split_tag(tag: str) -> tuple[str, str]:
    """``"B-PER" -> ("B", "PER")``, ``"O" -> ("O", "")``. Other tags raise ValueError."""
    if tag == "O":
        return "O", ""
    prefix, dash, kind = tag.partition("-")
    if not dash or prefix not in ("B", "I", "E", "S") or not kind:
        raise ValueError(f"tag {tag!r} is not O or B-/I-/E-/S- followed by a type")
    return prefix, kind


def is_span_tag(tag: str) -> bool:
    """True for ``O`` and ``B-X``/``I-X``/``E-X``/``S-X``."""
    try:
        split_tag(tag)
    except ValueError:
        return False
    return True


def require_span_tags(sentences, path, scheme: str) -> None:
    """Refuse the first tag of ``sentences`` (with ``.tags`` and ``.line_numbers``) that is
    not a span tag, naming ``path`` and the line: ``scheme`` cannot encode it."""
    for s in sentences:
        for tag, number in zip(s.tags, s.line_numbers):
            if not is_span_tag(tag):
                raise DataError(
                    f"{path}, line {number}: tag {tag!r} is not O or B-/I-/E-/S- and a "
                    f"type, as data.scheme {scheme!r} needs; set data.scheme = "
                    f'"none" for atomic labels such as part-of-speech tags'
                )


def _ends(prev: tuple[str, str], cur: tuple[str, str]) -> bool:
    """conlleval: does the entity holding the previous token end before the current one?"""
    if prev[0] == "O":
        return False
    return prev[0] in ("E", "S") or cur[0] in ("B", "S", "O") or cur[1] != prev[1]


def _starts(prev: tuple[str, str], cur: tuple[str, str]) -> bool:
    """conlleval: does an entity start at the current token?"""
    if cur[0] == "O":
        return False
    return cur[0] in ("B", "S") or prev[0] in ("O", "E", "S") or cur[1] != prev[1]


def spans(tags: list[str]) -> list[Span]:
    """The entities of one sentence under the conlleval rules (any scheme, even invalid ones):
    an ``I-`` after ``O`` or after another type starts an entity, ``B-``/``S-`` always start
    one, ``E-``/``S-`` always end one.

    >>> spans(["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "E-ORG"])
    [Span(type='PER', start=0, end=2), Span(type='LOC', start=3, end=4), \
Span(type='LOC', start=4, end=5), Span(type='ORG', start=5, end=6)]
    """
    out: list[Span] = []
    prev, begin = ("O", ""), 0
    for i, tag in enumerate([*tags, "O"]):
        cur = split_tag(tag)
        if _ends(prev, cur):
            out.append(Span(prev[1], begin, i))
        if _starts(prev, cur):
            begin = i
        prev = cur
    return out


def atomic_spans(tags: list[str]) -> list[Span]:
    """Scheme ``none``: every token is a one-token span labelled by its tag."""
    return [Span(tag, i, i + 1) for i, tag in enumerate(tags)]


def scheme_spans(tags: list[str], scheme: str) -> list[Span]:
    """:func:`atomic_spans` for scheme ``none``, else :func:`spans`."""
    return atomic_spans(tags) if scheme == "none" else spans(tags)


def encode(entities: list[Span], length: int, scheme: str) -> list[str]:
    """Tags of a sentence of ``length`` tokens holding the (non-overlapping) ``entities``."""
    check_scheme(scheme)
    if scheme == "none":
        raise ConfigError("scheme 'none' has no span encoding: its tags are the labels")
    tags = ["O"] * length
    previous_end, previous_type = -1, ""
    for span in sorted(entities, key=lambda s: s.start):
        size = span.end - span.start
        inner = ["I"] * size
        if scheme == "bio":
            inner[0] = "B"
        elif scheme == "bioes":
            inner = ["S"] if size == 1 else ["B"] + ["I"] * (size - 2) + ["E"]
        elif span.start == previous_end and span.type == previous_type:  # iob1
            inner[0] = "B"
        for offset, prefix in enumerate(inner):
            tags[span.start + offset] = f"{prefix}-{span.type}"
        previous_end, previous_type = span.end, span.type
    return tags


def convert(tags: list[str], scheme: str) -> list[str]:
    """The same entities in ``scheme`` (tags read with the conlleval rules)."""
    return encode(spans(tags), len(tags), scheme)


def detect_scheme(sentences: list[list[str]]) -> str:
    """Guess the scheme of tagged sentences: ``none`` if some tag is not ``O``/``P-TYPE``,
    ``bioes`` if ``E-``/``S-`` occur, ``iob1`` if an ``I-`` starts an entity, else ``bio``."""
    seen_start_i = False
    for tags in sentences:
        if not all(is_span_tag(t) for t in tags):
            return "none"
        if any(t[0] in "ES" for t in tags):
            return "bioes"
        prev = ("O", "")
        for tag in tags:
            cur = split_tag(tag)
            if cur[0] == "I" and _starts(prev, cur):
                seen_start_i = True
            prev = cur
    return "iob1" if seen_start_i else "bio"


def tag_inventory(types: list[str], scheme: str) -> list[str]:
    """All tags of ``scheme`` for the entity ``types``: ``O`` first, then type by type."""
    check_scheme(scheme)
    return ["O"] + [f"{p}-{t}" for t in sorted(types) for p in PREFIXES[scheme]]


def allowed_transitions(tags: list[str], scheme: str):
    """Which tag may follow which, and which may start or end a sentence, in ``scheme``.

    Returns ``(allowed, start, end)``: nested lists of bools, ``allowed[i][j]`` for tag i
    followed by tag j, and one bool per tag for the first and the last position. Invalid
    moves: in ``bio`` an ``I-X`` not after ``B-X``/``I-X``; in ``bioes`` also ``B-X``/``I-X``
    not followed by ``I-X``/``E-X``, and ``E-X`` not after ``B-X``/``I-X``; in ``iob1`` a
    ``B-X`` not after ``I-X``/``B-X``. Scheme ``none`` allows everything.
    """
    check_scheme(scheme)
    k = len(tags)
    if scheme == "none":
        return [[True] * k for _ in range(k)], [True] * k, [True] * k
    parts = [split_tag(t) for t in tags]

    def follows(a: tuple[str, str], b: tuple[str, str]) -> bool:
        inside = a[0] != "O" and not (scheme == "bioes" and a[0] in ("E", "S"))
        same = inside and a[1] == b[1]
        if scheme == "iob1":
            return b[0] != "B" or same
        if scheme == "bio":
            return b[0] != "I" or same
        if inside and a[0] in ("B", "I"):  # bioes: an open entity must continue
            return same and b[0] in ("I", "E")
        return b[0] in ("O", "B", "S")

    allowed = [[follows(a, b) for b in parts] for a in parts]
    start = [follows(("O", ""), b) for b in parts]
    end = [scheme != "bioes" or a[0] in ("O", "E", "S") for a in parts]
    return allowed, start, end
