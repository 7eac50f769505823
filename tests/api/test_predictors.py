"""``rnnkit.load(run)``: each task's predictor on a tiny trained run, its types and values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import rnnkit
from rnnkit import datasets
from rnnkit.api.predict_generate import LMPredictor, Seq2SeqPredictor, Translation
from rnnkit.api.predict_series import ForecastRunPredictor, RegressPredictor
from rnnkit.api.predict_text import (
    ClassifyPredictor,
    Entity,
    Prediction,
    TaggedSentence,
    TagPredictor,
    Token,
)
from rnnkit.errors import ConfigError, DataError, RunError


def test_classify_predicts_a_known_name_with_probabilities(classifier):
    assert isinstance(classifier, ClassifyPredictor)
    assert classifier.labels == ["Japanese", "Russian"]
    ivanov, tanaka = classifier.predict(["Ivanov", "Tanaka"])
    assert isinstance(ivanov, Prediction)
    assert (ivanov.label, tanaka.label) == ("Russian", "Japanese")
    assert set(ivanov.probabilities) == {"Japanese", "Russian"}
    assert sum(ivanov.probabilities.values()) == pytest.approx(1.0, abs=1e-6)
    assert ivanov.probability == ivanov.probabilities["Russian"] > 0.5
    (alone,) = classifier.predict("Ivanov")  # one str is one text
    assert alone.label == "Russian" and alone.probability == pytest.approx(ivanov.probability)


def test_classify_frame_and_lines_agree_with_predict(classifier):
    frame = classifier.predict_frame(["Ivanov", "Tanaka"])
    assert list(frame.columns) == ["text", "label", "probability", "Japanese", "Russian"]
    assert list(frame["label"]) == ["Russian", "Japanese"]
    p = classifier.predict(["Ivanov"])[0]
    assert frame["probability"][0] == pytest.approx(p.probability)
    (line,) = classifier.predict_lines(["Ivanov"])
    assert line == f"Ivanov  Russian {p.probability:.2f}, Japanese {1 - p.probability:.2f}"


def test_classify_refuses_what_is_not_text(classifier):
    with pytest.raises(DataError, match=r"^texts\[1\] must be a str, received 3$"):
        classifier.predict(["Ivanov", 3])
    with pytest.raises(DataError, match=r"^texts is empty$"):
        classifier.predict([])
    with pytest.raises(DataError, match=r"^texts\[0\] is empty: there is nothing to classify$"):
        classifier.predict([" "])


def test_tag_finds_the_known_entities_with_spans(tagger):
    assert isinstance(tagger, TagPredictor)
    text = "Anna lives in Rome ."
    (s,) = tagger.predict(text)
    assert isinstance(s, TaggedSentence) and all(isinstance(t, Token) for t in s.tokens)
    assert s.tags == ["B-PER", "O", "O", "B-LOC", "O"]
    assert [(e.text, e.type, e.start, e.end) for e in s.spans] == [
        ("Anna", "PER", 0, 1),
        ("Rome", "LOC", 3, 4),
    ]
    rome = s.spans[1]
    assert isinstance(rome, Entity) and text[rome.start_char : rome.end_char] == "Rome"
    assert 0.5 < rome.score <= 1.0 and rome.score == s.tokens[3].score
    # token lists work too, and give the same tags
    (t,) = tagger.predict([["Anna", "lives", "in", "Rome", "."]])
    assert t.tags == s.tags and t.text == text


def test_tag_scores_are_crf_marginals_in_0_1(tagger):
    (s,) = tagger.predict("Paul lives in Berlin .")
    assert all(0.0 < t.score <= 1.0 + 1e-6 for t in s.tokens)
    with pytest.raises(DataError, match=r"^sentences\[0\] must be a str or a list of token"):
        tagger.predict([3])


def test_lm_generation_at_temperature_near_0_is_greedy(language_model):
    assert isinstance(language_model, LMPredictor) and language_model.categories == []
    greedy = language_model.generate(prime="ab", length=30, temperature=0)
    for seed in (0, 1, 2):
        cold = language_model.generate(prime="ab", length=30, temperature=1e-4, seed=seed)
        assert cold == greedy
    (text,) = greedy
    assert text.startswith("ab") and len(text) == 32
    warm = language_model.generate(prime="ab", length=30, temperature=1.0, n=3, seed=0)
    assert len(warm) == 3 and warm == language_model.generate(
        prime="ab", length=30, temperature=1.0, n=3, seed=0
    )


def test_lm_scores_in_nats_per_character(language_model):
    seen, unseen = language_model.score(["abcabcabc", "cbacbacba"])
    assert 0 < seen < unseen  # the training pattern is the likelier text
    assert language_model.score("abcabcabc") == [seen]
    with pytest.raises(DataError, match="has characters outside the vocabulary: 'z'"):
        language_model.score(["abz"])


def test_seq2seq_translates_strings_and_gives_attention_on_request(translator):
    assert isinstance(translator, Seq2SeqPredictor)
    outputs = translator.translate(["abc", "cab"])
    assert all(isinstance(o, str) for o in outputs)
    assert translator.translate(["abc", "cab"], beam=1) == outputs  # greedy is beam 1
    assert len(translator.translate("abc", beam=3)) == 1
    (t,) = translator.translate(["abc"], attention=True)
    assert isinstance(t, Translation) and t.output == outputs[0] and t.source_tokens == list("abc")
    assert t.attention.shape == (len(t.output_tokens), 3)
    np.testing.assert_allclose(t.attention.sum(axis=1), 1.0, rtol=1e-5)
    assert translator.predict_lines(["abc"]) == outputs[:1]
    with pytest.raises(ConfigError, match=r"^beam must be a positive integer, received 0$"):
        translator.translate(["abc"], beam=0)


def test_forecast_predicts_a_frame_after_any_history(tmp_path):
    fc = rnnkit.fit(
        "forecast",
        train="rnnkit:airpassengers",
        out=tmp_path / "air",
        data__horizon=6,
        model__kind="seasonal_naive",
        quiet=True,
    )
    assert isinstance(fc, ForecastRunPredictor) and fc.horizon == 6
    frame = fc.predict(horizon=3)
    assert list(frame.columns) == ["id", "timestamp", "step", "value"] + [
        "q0.025",
        "q0.1",
        "q0.9",
        "q0.975",  # the calibrated intervals
    ]
    assert list(frame["timestamp"].astype(str)) == ["1961-01-01", "1961-02-01", "1961-03-01"]
    air = pd.read_csv(datasets.path("airpassengers"))
    series = pd.Series(air["#Passengers"].to_numpy(float), index=pd.to_datetime(air["Month"]))
    from_series = fc.predict(series.iloc[:-12])
    assert list(from_series["timestamp"].astype(str))[:1] == ["1960-01-01"]
    # seasonal naive: the value of 12 months before
    assert from_series["value"].tolist() == series.iloc[-24:-18].tolist()
    with pytest.raises(RunError, match="^task 'forecast' reads series, not lines: use `rnnkit"):
        fc.predict_lines(["1 2 3"])


def test_regress_predicts_the_next_values_with_dates(tmp_path):
    reg = rnnkit.fit(
        "regress", out=tmp_path / "temps", train__epochs=1, train__max_steps=30, quiet=True
    )
    assert isinstance(reg, RegressPredictor) and reg.window == 10
    temps = pd.read_csv(datasets.path("daily-min-temperatures"))
    series = pd.Series(temps["Temp"].to_numpy(float), index=pd.to_datetime(temps["Date"]))
    frame = reg.predict(series, horizon=3)
    assert list(frame.columns) == ["step", "timestamp", "value"]
    assert list(frame["timestamp"].astype(str)) == ["1991-01-01", "1991-01-02", "1991-01-03"]
    last = series.iloc[-10:].tolist()
    assert frame["value"][0] == pytest.approx(reg.next_values([last])[0])
    assert reg.predict_lines([" ".join(map(str, last))]) == [f"{frame['value'][0]:.4f}"]
    assert reg.predict(datasets.path("daily-min-temperatures"))["value"][0] == (
        pytest.approx(frame["value"][0], abs=1e-4)  # the CSV's float32 values
    )
    assert list(reg.predict(last, horizon=2).columns) == ["step", "value"]  # no dates
    with pytest.raises(DataError, match="^data has 3 values; the model reads windows of 10$"):
        reg.predict([1.0, 2.0, 3.0])
    assert math.isfinite(reg.evaluate()["rmse_next"])  # the run's own test split
