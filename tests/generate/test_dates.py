"""The generated dates corpus: reproducible, right weekdays, unambiguous, disjoint splits."""

from __future__ import annotations

from datetime import date

import pytest

from rnnkit.data.dates import FORMATS, corpus, ordinal, render, sample_pairs


def test_formats_of_one_date():
    d = date(1987, 3, 3)  # a Tuesday
    assert render(d, "en_weekday_month_d_y") == "Tuesday, March 3, 1987"
    assert render(d, "en_the_ord_of_month_y") == "the 3rd of March, 1987"
    assert render(d, "us_m_d_yy") == "3/3/87"
    assert render(d, "eu_dd_mm_yyyy") == "03.03.1987"
    assert render(d, "de_tag_d_monat_y") == "Dienstag, 3. März 1987"
    assert render(d, "es_dia_d_de_mes_de_y") == "martes, 3 de marzo de 1987"
    assert render(date(2024, 5, 1), "fr_le_d_mois_y") == "le 1er mai 2024"
    assert render(date(2001, 12, 25), "compact") == "20011225"
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"
    ]  # fmt: skip


def test_two_digit_years_only_where_they_are_unambiguous():
    with pytest.raises(ValueError, match="the year must be in 1950-2049"):
        render(date(1920, 1, 1), "us_m_d_yy")
    assert render(date(2049, 12, 31), "us_m_d_yy") == "12/31/49"
    for source, target in sample_pairs(3000, seed=4):
        parts = source.split("/")
        if len(parts) == 3 and len(parts[0]) <= 2 and len(parts[2]) == 2:  # m/d/yy
            year = int(source.split("/")[-1])
            assert int(target[:4]) == (1900 + year if year >= 50 else 2000 + year)


def test_the_corpus_is_reproducible_and_its_splits_disjoint():
    a = corpus({"train": 500, "validation": 50, "test": 100}, seed=7)
    b = corpus({"train": 500, "validation": 50, "test": 100}, seed=7)
    assert a == b and corpus({"train": 500}, seed=8)["train"] != a["train"]
    sources = [s for split in a.values() for s, _ in split]
    assert len(sources) == len(set(sources)) == 650
    assert all(date.fromisoformat(t).isoformat() == t for split in a.values() for _, t in split)
    used = set()
    for source, target in a["train"]:
        d = date.fromisoformat(target)
        two_digit_ok = 1950 <= d.year <= 2049
        used |= {
            f
            for f, (_, yy) in FORMATS.items()
            if (two_digit_ok or not yy) and render(d, f) == source
        }
    assert used == set(FORMATS)  # every format appears in 500 pairs
