"""How :func:`service.analysis.evidence.summarise` turns the learned model's readings and the
lexicon's words into one label: the model's mean reading decides when it is sure (neutral
included), the lexicon's words move the label only when it is unsure, and decide alone when
nothing was read. Contributions are plain data here; the real model's readings in answers
are tests/test_polarity_wiring.py's."""

from __future__ import annotations

import pytest

from service.analysis.evidence import WEIGHTS as W
from service.analysis.evidence import (
    Contribution,
    Kind,
    Probabilities,
    model_decides,
    model_mean,
    summarise,
)


def reading(probs: Probabilities, sentence: int = 0, kind_share: float = 1.0) -> Contribution:
    return Contribution(
        token=0,
        sentence=sentence,
        value=probs[2] - probs[0],
        weight=kind_share,
        kind=Kind.MODEL,
        span=(0, 6),
        probabilities=probs,
    )


def word(value: float, sentence: int = 0) -> Contribution:
    return Contribution(
        token=2, sentence=sentence, value=value, weight=W.what_it_does, kind=Kind.WHAT_IT_DOES
    )


SURE_NEUTRAL = (0.05, 0.9, 0.05)
# Likeliest class below the threshold: the model is unsure.
UNSURE_NEUTRAL = (0.3, W.model_sure - 0.05, 0.75 - W.model_sure)


def test_a_sure_neutral_reading_is_the_label_whatever_the_lexicon_says():
    summary = summarise([word(-1.0), word(-0.8), reading(SURE_NEUTRAL)])
    assert summary.label == "neutral" and summary.source == "model"
    assert summary.score == 0.0 and summary.confidence == SURE_NEUTRAL[1]
    # The lexicon's words stay in the evidence, beside the reading.
    (_, shown), *_ = summary.evidence
    assert {c.kind for c in shown} == {Kind.WHAT_IT_DOES, Kind.MODEL}


def test_a_sure_reading_decides_against_the_lexicon():
    summary = summarise([word(1.0), reading((0.8, 0.15, 0.05))])
    assert summary.label == "negative" and summary.source == "model"
    assert summary.score == pytest.approx(-0.75)


def test_an_unsure_reading_lets_the_lexicon_move_the_label():
    assert max(UNSURE_NEUTRAL) < W.model_sure
    assert model_decides(UNSURE_NEUTRAL) is None
    summary = summarise([word(-1.0), reading(UNSURE_NEUTRAL)])
    assert summary.label == "negative" and summary.source == "model+lexicon"
    # Alone, the same unsure neutral reading pushes nothing: neutral.
    assert summarise([reading(UNSURE_NEUTRAL)]).label == "neutral"


def test_without_a_reading_the_lexicon_decides_as_before():
    summary = summarise([word(-1.0)])
    assert summary.label == "negative" and summary.source == "lexicon"
    assert summary.score == pytest.approx(-W.what_it_does / (W.what_it_does + 1))


def test_the_mean_of_an_actors_readings_is_what_decides():
    # Two sure negative readings and one sure positive: the mean is negative, sure enough.
    readings = [reading((0.9, 0.05, 0.05), 0), reading((0.9, 0.05, 0.05), 1)]
    readings.append(reading((0.05, 0.05, 0.9), 2))
    mean = model_mean(readings)
    assert mean is not None and mean[0] == pytest.approx((0.9 + 0.9 + 0.05) / 3)
    assert summarise(readings).label == model_decides(mean) == "negative"
    # A pronoun's half share counts half in the mean.
    halves = model_mean([reading((1.0, 0.0, 0.0)), reading((0.0, 0.0, 1.0), kind_share=0.5)])
    assert halves is not None and halves[0] == pytest.approx(2 / 3)
