"""Exact match, character accuracy and corpus BLEU on known answers."""

from __future__ import annotations

import pytest

from rnnkit.metrics.text import bleu_available, char_accuracy, corpus_bleu, exact_match

# Papineni et al. (2002) / NLTK's documented example (nltk.translate.bleu_score.corpus_bleu)
HYP1 = (
    "It is a guide to action which ensures that the military always obeys the commands of the party"
)
REF1A = "It is a guide to action that ensures that the military will forever heed Party commands"
REF1B = (
    "It is the guiding principle which guarantees the military forces always being under "
    "the command of the Party"
)
REF1C = "It is the practical guide for the army always to heed the directions of the party"
HYP2 = "he read the book because he was interested in world history"
REF2A = "he was interested in world history because he read the book"
HYPS = [HYP1, HYP2]
REFS = [[REF1A, REF1B, REF1C], [REF2A]]
PAPINENI = {"tokenize": "none", "smooth": "none"}  # unsmoothed BLEU on the given tokens
needs_sacrebleu = pytest.mark.skipif(not bleu_available(), reason="sacrebleu is an extra")


@needs_sacrebleu
def test_bleu_matches_the_published_values():
    """sacreBLEU without smoothing on whitespace tokens gives NLTK's documented values."""
    assert corpus_bleu(HYPS, REFS, **PAPINENI) == pytest.approx(100 * 0.5920778868801042)
    assert corpus_bleu(HYPS, REFS, max_order=1, **PAPINENI) == pytest.approx(
        100 * 0.9655172413793104
    )
    assert corpus_bleu(HYPS, REFS, max_order=2, **PAPINENI) == pytest.approx(
        100 * 0.8242803277698696
    )
    assert corpus_bleu(HYPS[:1], REFS[:1], **PAPINENI) == pytest.approx(50.45666840058485)


@needs_sacrebleu
def test_bleu_is_sacrebleus_default_signature():
    import sacrebleu

    outputs = ["1987-03-03", "1987-03-30", "2024-05-01"]
    refs = ["1987-03-03", "1987-03-03", "2024-05-01"]
    expected = sacrebleu.corpus_bleu(outputs, [refs]).score  # 13a, exp smoothing
    assert corpus_bleu(outputs, refs) == pytest.approx(expected)
    assert corpus_bleu(outputs, refs, tokenize="char") == pytest.approx(
        sacrebleu.corpus_bleu(outputs, [refs], tokenize="char").score
    )


@needs_sacrebleu
def test_bleu_edge_cases():
    assert corpus_bleu(["2024-01-02"], ["2024-01-02"], tokenize="char") == pytest.approx(100.0)
    assert corpus_bleu(["abc"], ["abc"], tokenize="char") == 0.0  # no 4-gram at all
    # brevity: 8 of 10 characters, all n-grams right -> exp(1 - 10/8)
    assert corpus_bleu(["abcdefgh"], ["abcdefghij"], tokenize="char", smooth="none") == (
        pytest.approx(100 * 2.718281828459045 ** (1 - 10 / 8))
    )
    with pytest.raises(ValueError, match="received 2 outputs and 1 references"):
        corpus_bleu(["a", "b"], [["a"]])


def test_exact_match_and_char_accuracy():
    outputs = ["1987-03-03", "1987-03-30", "1987-03"]
    refs = ["1987-03-03", "1987-03-03", "1987-03-03"]
    assert exact_match(outputs, refs) == pytest.approx(1 / 3)
    assert char_accuracy(outputs, refs) == pytest.approx((10 + 8 + 7) / 30)
    assert char_accuracy(["abcd"], ["ab"]) == 0.5  # extra characters count against
    assert exact_match([], []) == 0.0
