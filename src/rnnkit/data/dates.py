"""A parallel corpus made here: dates written in many human formats -> ISO 8601 dates.

``sample_pairs(n, seed)`` draws ``n`` dates uniformly from 1900-01-01 to 2099-12-31 and writes
each in one of :data:`FORMATS` (English, French, German and Spanish words, ordinals,
abbreviations, upper and lower case, numeric forms), paired with ``YYYY-MM-DD``::

    the 3rd of March, 1987          1987-03-03
    Tuesday, March 3, 1987          1987-03-03
    03/03/87                        1987-03-03
    Dienstag, 3. März 1987          1987-03-03

Every source determines its date: slashes are month first (US), dots day first (European),
dashes year first, and a two-digit year ``yy`` means 19yy for yy >= 50 and 20yy below (the
two-digit formats are only used for 1950-2049). Weekdays are the true ones. The same seed
gives the same corpus on every machine (Python's ``random.Random``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from rnnkit.errors import ConfigError, DataError

FIRST, LAST = date(1900, 1, 1), date(2099, 12, 31)

MONTHS = {
    "en": "January February March April May June July August September October November "
    "December".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
    "décembre".split(),
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November "
    "Dezember".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre".split(),
}
MONTHS_SHORT = {
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
    "de": "Jan. Feb. März Apr. Mai Juni Juli Aug. Sept. Okt. Nov. Dez.".split(),
}
WEEKDAYS = {  # Monday first, as date.weekday()
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split(),
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag".split(),
    "es": "lunes martes miércoles jueves viernes sábado domingo".split(),
}


def ordinal(day: int) -> str:
    """English ordinal: 1st 2nd 3rd 4th ... 11th 12th 13th ... 21st 22nd 23rd ... 31st."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _m(d: date, lang: str) -> str:
    return MONTHS[lang][d.month - 1]


def _ms(d: date, lang: str) -> str:
    return MONTHS_SHORT[lang][d.month - 1]


def _w(d: date, lang: str) -> str:
    return WEEKDAYS[lang][d.weekday()]


def _yy(d: date) -> str:
    return f"{d.year % 100:02d}"


def _fr_day(d: date) -> str:
    return "1er" if d.day == 1 else str(d.day)


# name -> (writer, uses a two-digit year)
FORMATS: dict[str, tuple[Callable[[date], str], bool]] = {
    "en_month_d_y": (lambda d: f"{_m(d, 'en')} {d.day}, {d.year}", False),
    "en_mon_d_y": (lambda d: f"{_ms(d, 'en')} {d.day}, {d.year}", False),
    "en_weekday_month_d_y": (lambda d: f"{_w(d, 'en')}, {_m(d, 'en')} {d.day}, {d.year}", False),
    "en_wkd_d_mon_y": (lambda d: f"{_w(d, 'en')[:3]}, {d.day} {_ms(d, 'en')} {d.year}", False),
    "en_d_month_y": (lambda d: f"{d.day} {_m(d, 'en')} {d.year}", False),
    "en_ord_of_month_y": (lambda d: f"{ordinal(d.day)} of {_m(d, 'en')} {d.year}", False),
    "en_the_ord_of_month_y": (
        lambda d: f"the {ordinal(d.day)} of {_m(d, 'en')}, {d.year}",
        False,
    ),
    "en_month_ord_y": (lambda d: f"{_m(d, 'en')} {ordinal(d.day)}, {d.year}", False),
    "en_d_mon_yy": (lambda d: f"{d.day} {_ms(d, 'en')} {_yy(d)}", True),
    "en_upper": (lambda d: f"{_m(d, 'en').upper()} {d.day}, {d.year}", False),
    "en_lower": (lambda d: f"{_m(d, 'en').lower()} {d.day} {d.year}", False),
    "us_mm_dd_yyyy": (lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}", False),
    "us_m_d_yy": (lambda d: f"{d.month}/{d.day}/{_yy(d)}", True),
    "iso": (lambda d: d.isoformat(), False),
    "iso_short": (lambda d: f"{d.year}-{d.month}-{d.day}", False),
    "compact": (lambda d: f"{d.year}{d.month:02d}{d.day:02d}", False),
    "eu_dd_mm_yyyy": (lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}", False),
    "eu_d_m_yy": (lambda d: f"{d.day}.{d.month}.{_yy(d)}", True),
    "yyyy_mm_dd_slash": (lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}", False),
    "fr_d_mois_y": (lambda d: f"{_fr_day(d)} {_m(d, 'fr')} {d.year}", False),
    "fr_jour_d_mois_y": (lambda d: f"{_w(d, 'fr')} {_fr_day(d)} {_m(d, 'fr')} {d.year}", False),
    "fr_le_d_mois_y": (lambda d: f"le {_fr_day(d)} {_m(d, 'fr')} {d.year}", False),
    "de_d_monat_y": (lambda d: f"{d.day}. {_m(d, 'de')} {d.year}", False),
    "de_tag_d_monat_y": (lambda d: f"{_w(d, 'de')}, {d.day}. {_m(d, 'de')} {d.year}", False),
    "de_d_mon_y": (lambda d: f"{d.day}. {_ms(d, 'de')} {d.year}", False),
    "es_d_de_mes_de_y": (lambda d: f"{d.day} de {_m(d, 'es')} de {d.year}", False),
    "es_dia_d_de_mes_de_y": (
        lambda d: f"{_w(d, 'es')}, {d.day} de {_m(d, 'es')} de {d.year}",
        False,
    ),
}


def render(d: date, fmt: str) -> str:
    """Write ``d`` in the format named ``fmt`` (a key of :data:`FORMATS`).

    >>> render(date(1987, 3, 3), "en_the_ord_of_month_y")
    'the 3rd of March, 1987'
    """
    if fmt not in FORMATS:
        raise ConfigError(f"fmt must be one of {', '.join(FORMATS)}, received {fmt!r}")
    writer, two_digit = FORMATS[fmt]
    if two_digit and not 1950 <= d.year <= 2049:
        raise DataError(f"format {fmt!r} writes a two-digit year: the year must be in 1950-2049")
    return writer(d)


def random_date(rng: random.Random) -> date:
    """A date drawn uniformly from 1900-01-01 .. 2099-12-31."""
    return FIRST + timedelta(days=rng.randrange((LAST - FIRST).days + 1))


def sample_pairs(n: int, seed: int = 0, exclude: set[str] | None = None) -> list[tuple[str, str]]:
    """``n`` (human date, ISO date) pairs with distinct sources, none of them in ``exclude``.

    >>> sample_pairs(2, seed=1)
    [('1948/03/21', '1948-03-21'), ('19420426', '1942-04-26')]
    """
    if n < 0:
        raise ConfigError(f"n must be >= 0, received {n}")
    rng, seen, pairs = random.Random(seed), set(exclude or ()), []
    names = list(FORMATS)
    while len(pairs) < n:
        d = random_date(rng)
        fmt = rng.choice(names)
        if FORMATS[fmt][1] and not 1950 <= d.year <= 2049:
            continue
        source = render(d, fmt)
        if source not in seen:
            seen.add(source)
            pairs.append((source, d.isoformat()))
    return pairs


def corpus(sizes: dict[str, int], seed: int = 0) -> dict[str, list[tuple[str, str]]]:
    """Splits (e.g. ``{"train": 30000, "validation": 1000, "test": 2000}``) drawn in that
    order from one seeded stream, with no source shared between splits."""
    seen: set[str] = set()
    out = {}
    for i, (name, n) in enumerate(sizes.items()):
        out[name] = sample_pairs(n, seed * 1000 + i, exclude=seen)
        seen.update(s for s, _ in out[name])
    return out


def write_tsv(path: str | Path, pairs: list[tuple[str, str]]) -> Path:
    """``source<TAB>target`` per line, UTF-8, written atomically."""
    from rnnkit.io import atomic_write_text

    path = Path(path)
    atomic_write_text(path, "".join(f"{s}\t{t}\n" for s, t in pairs))
    return path
