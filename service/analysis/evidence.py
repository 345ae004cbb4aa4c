"""Evidence: the kinds of things that count for or against an actor, their weights, and how
contributions add up to a label and a score.

Every rule of :mod:`~service.analysis.sentiment` and :mod:`~service.analysis.stance` yields
:class:`Contribution` objects of one :class:`Kind`, weighed by one named value of
:data:`WEIGHTS`. A learned model joins as one more kind (:attr:`Kind.MODEL`) through the
:class:`TargetModel` interface.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Kind(StrEnum):
    """Why a word counts for a mention; the value is the ``reason`` the answer shows."""

    DESCRIBED_AS = "described as"  # its adjectives, appositions, relative clauses
    SAID_TO_BE = "said to be"  # a nominal predicate: "X est un dirigeant dangereux"
    WHAT_IT_DOES = "what it does"  # the verb frame of which it is the agent
    IN_WHAT_IT_DOES = "in what it does"  # that verb's objects and adverbs
    ITS_PREDICATE = "its predicate"  # a verb without a frame, of which it is the agent
    WHAT_IS_DONE_TO_IT = "what is done to it"  # the verb frame of which it is the patient
    AROUND_WHAT_IS_DONE = "around what is done to it"  # that verb's obliques and clauses
    TOLD_TO_STOP_WHAT = "what it is told to stop"  # the object of a directive to stop
    ITS_ACTION = "its action or attribute"  # the event noun it owns: "l'agression de X"
    IN_ITS_SENTENCE = "in its sentence (no syntactic link)"  # a client's target: back-off
    IN_THE_SENTENCE = "in the sentence"  # the no-syntax baseline (``scope: sentence``)
    IN_THE_TEXT = "in the text"  # the document's tone
    SENTENCE_SENTIMENT = "sentence sentiment"  # the engine's score of the whole sentence
    MODEL = "learned model"  # a target-sentiment model's score (see TargetModel)
    # Stances: from a source actor toward a target.
    SUPPORTS_PATIENT = "supports (patient)"
    SUPPORTS_RECIPIENT = "supports (recipient)"
    OPPOSES_PATIENT = "opposes (patient)"
    OPPOSES_RECIPIENT = "opposes (recipient)"
    TOLD_TO_STOP = "told to stop"  # a directive to stop something bad
    ITS_ACTION_TOWARD = "its action toward"  # an event noun it owns, against/for a target
    ITS_ACT_JUDGED = "judges its act"  # condemns or defends the target's act: "l'attaque de X"
    IN_WHAT_IT_SAID = "in what it said"  # how its quote portrays the target
    # The learned model's polarity toward the target's mention...
    MODEL_IN_ITS_CLAUSE = "learned model, in its clause"  # ...in a clause the source acts in
    MODEL_IN_WHAT_IT_SAID = "learned model, in what it said"  # ...in the source's quote

    @classmethod
    def frame(cls, stance: str, target: str) -> Kind:
        """The stance kind of a verb frame: ``frame("oppose", "patient")``."""
        return cls(f"{stance}s ({target})")


# Kinds that judge a whole sentence rather than a word the syntax links to the mention.
SENTENCE_LEVEL = frozenset({Kind.SENTENCE_SENTIMENT})
# Kinds that come from the learned model (the answer's ``source`` says which were there).
FROM_MODEL = frozenset({Kind.MODEL, Kind.MODEL_IN_ITS_CLAUSE, Kind.MODEL_IN_WHAT_IT_SAID})
# (P(negative), P(neutral), P(positive)) of a target, from the model.
Probabilities = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Weights:
    """Every weight and factor of the rules, by name.

    ``backoff`` and ``model_sure`` were tuned on data, on the first 1,500 rows of NewsMTSC
    train, and ``model`` was chosen on NewsMTSC dev (docs/quality.md). Every other value was
    chosen by hand while the rules were written against the seed article (in-sample,
    docs/quality.md) and the rule tests; none was fitted.
    """

    described_as: float = 0.8
    said_to_be: float = 0.9  # the predicate noun or adjective itself
    said_to_be_modifier: float = 0.8  # the words modifying it
    what_it_does: float = 1.0
    in_what_it_does: float = 0.6
    its_predicate: float = 0.8  # a frameless verb tells less than a verb frame
    what_is_done_to_it: float = 1.0
    around_what_is_done: float = 0.4
    told_to_stop_what: float = 0.6
    its_action: float = 0.9  # the event noun itself
    its_action_modifier: float = 0.6  # its adjectives
    sentence_sentiment: float = 0.25  # per mention, beside the words that reach it
    document_sentence_sentiment: float = 0.5  # in the document's tone
    in_the_text: float = 1.0
    in_the_sentence: float = 1.0
    backoff: float = 0.3  # tuned: NewsMTSC train, first 1,500 rows
    # Factors applied to a contribution's value or weight.
    negation: float = -0.6  # a negated word counts the other way, weaker ("pas fiable")
    reported: float = 0.5  # inside quoted or reported speech
    # Stances.
    stance_frame: float = 1.0
    stance_told_to_stop: float = 1.0
    stance_event_noun: float = 0.8
    # Judging someone's act (condemning Iran's attack) is nearly as direct as judging them.
    stance_its_act: float = 0.9
    stance_quote: float = 1.0
    # The learned model (docs/analysis.md, "The learned model"), where it is unsure (below
    # ``model_sure``): the mean of its readings of an actor's mentions (P(positive) -
    # P(negative) of their mean probabilities, none when neutral is likeliest) counts this
    # much beside the lexicon's words. Chosen on NewsMTSC dev, as the issue
    # says (one target per row, the lexicon's evidence as it is beside it: macro-F1 rises
    # from 1 to 3 and is flat beyond, with three weights files; docs/quality.md), and
    # checked on the seed article's gold (in-sample). Chosen when the push was always
    # summed, before ``model_sure``; not tuned again (it now moves few labels).
    model: float = 3.0
    # Each mention's share of that mean, by kind. A pronoun's own token vectors say little
    # of whom it stands for (model card), and a nationality adjective ("les forces
    # ukrainiennes") is no target the model was trained on (NewsMTSC targets are names
    # and noun phrases): half a name's share, by hand.
    model_pronoun: float = 0.5
    model_demonym: float = 0.5
    # The model is the main source: when its mean reading's likeliest class has at least
    # this probability, that class is the label (neutral included) and the lexicon's words
    # are only shown (model_decides); below it, ``model`` above is its push beside them.
    # Tuned on the first 1,500 rows of NewsMTSC train (bench/blend.py: macro-F1 0.896 at 0
    # (the model alone), 0.897 at 0.5, 0.894 at 0.6-0.7, 0.888 at 0.9, 0.878 never (the
    # sum)); those rows trained the model, so they flatter it; dev, reported, is flat from
    # 0.5 to 0.9 (0.819-0.823; 0.801 never). docs/quality.md.
    model_sure: float = 0.5
    # The model's reading of Y inside a clause X acts in or a quote X said: evidence of
    # X's stance, weaker than a verb frame, which names the relation itself.
    stance_model: float = 0.6
    stance_model_quote: float = 0.8


WEIGHTS = Weights()


@dataclass(slots=True, kw_only=True)
class Contribution:
    """One word's push on a mention's polarity (or a stance), and why."""

    token: int
    sentence: int
    value: float  # valence after negation and intensity, before weight
    weight: float
    kind: Kind
    hedge: float = 1.0
    reported: bool = False  # inside reported speech: counts ``WEIGHTS.reported`` as much
    # The learned model's evidence: the mention it read and its probabilities.
    span: tuple[int, int] | None = None
    probabilities: Probabilities | None = None
    # Only when the answer asks (``options.explain``): the words that pushed that reading,
    # (start, end, share), from :mod:`~service.analysis.model_words`.
    pushed_by: list[tuple[int, int, float]] | None = None

    @property
    def unreported(self) -> float:
        """The push as if it were not inside reported speech."""
        return self.value * self.weight

    @property
    def signed(self) -> float:
        """The weighted push."""
        return self.unreported * (WEIGHTS.reported if self.reported else 1.0)

    @property
    def reason(self) -> str:
        """The public reason: the kind, and "(reported)" inside reported speech."""
        return self.kind.value + (" (reported)" if self.reported else "")


def linked(contributions: Sequence[Contribution]) -> list[Contribution]:
    """The contributions that come from words linked to the mention, not the sentence."""
    return [c for c in contributions if c.kind not in SENTENCE_LEVEL]


# A weak or split push is no label: below these the answer says neutral or mixed.
NEUTRAL_BELOW = 0.1  # magnitude
NEUTRAL_SCORE = 0.05
MIXED_EACH_SIDE = 0.3  # absolute push each way that makes a weak total mixed
MIXED_SHARE = 0.35  # share of the magnitude the weaker side needs to make it mixed
NO_EVIDENCE_CONFIDENCE = 0.3


@dataclass(frozen=True, slots=True)
class Summary:
    """Label, score, magnitude and confidence of some contributions, with the sentences
    that drove them (strongest first, at most the limit asked for)."""

    label: str
    score: float
    magnitude: float
    confidence: float
    evidence: list[tuple[int, list[Contribution]]]
    source: str = "lexicon"


def source_of(contributions: Sequence[Contribution]) -> str:
    """Where a label came from: ``model``, ``lexicon`` or ``model+lexicon`` (lexicon also
    when there is no evidence at all: nothing the lexicon knows was found)."""
    model = any(c.kind in FROM_MODEL for c in contributions)
    lexicon = any(c.kind not in FROM_MODEL for c in contributions)
    return "model+lexicon" if model and lexicon else "model" if model else "lexicon"


def _label(score: float, magnitude: float, positive: float, negative: float) -> str:
    if magnitude < NEUTRAL_BELOW or abs(score) < NEUTRAL_SCORE:
        return "mixed" if min(positive, negative) >= MIXED_EACH_SIDE else "neutral"
    if min(positive, negative) >= MIXED_SHARE * magnitude:
        return "mixed"
    return "positive" if score > 0 else "negative"


def model_mean(readings: Sequence[Contribution]) -> Probabilities | None:
    """The learned model's readings of one actor's (or target's) mentions as one reading:
    the mean of their probabilities, each weighed by its mention's share (kind, reported
    speech); None without a reading. One mean, not a sum: an actor named twenty times is
    no surer than one named twice, and readings that go both ways weakly are the model's
    neutral, not a "mixed" portrayal."""
    shares = [
        (c.weight * (WEIGHTS.reported if c.reported else 1.0), c.probabilities)
        for c in readings
        if c.probabilities is not None
    ]
    total = sum(share for share, _ in shares)
    if not total:
        return None
    negative, neutral, positive = (
        sum(share * probs[k] for share, probs in shares) / total for k in range(3)
    )
    return negative, neutral, positive


def model_push(readings: Sequence[Contribution]) -> float:
    """The model's mean reading (:func:`model_mean`) as one push beside the lexicon's:
    P(positive) - P(negative), or nothing when neutral is the mean's likeliest class;
    times ``WEIGHTS.model``."""
    mean = model_mean(readings)
    if mean is None or mean[1] >= max(mean[0], mean[2]):
        return 0.0
    return WEIGHTS.model * (mean[2] - mean[0])


def model_decides(mean: Probabilities | None) -> str | None:
    """The label of a mean reading the model is sure of (its likeliest class at least
    ``WEIGHTS.model_sure``), neutral included; None when there is no reading or the model
    is unsure, and the lexicon's words then count beside its push."""
    if mean is None or max(mean) < WEIGHTS.model_sure:
        return None
    return _MODEL_LABELS[mean.index(max(mean))]


_MODEL_LABELS = ("negative", "neutral", "positive")


def summarise(contributions: Sequence[Contribution], max_evidence: int = 8) -> Summary:
    """Label, score, magnitude, confidence and evidence from contributions.

    The learned model is the main source: when its mean reading of the mentions
    (:func:`model_mean`) is sure, that reading is the label, the score and the confidence,
    and the lexicon's words stay in the evidence without moving them (``source: model``).
    When it is unsure, its push (:func:`model_push`) and the lexicon's words add up; without
    a reading, the lexicon's words decide alone."""
    readings = [c for c in contributions if c.kind is Kind.MODEL]
    pushes = [c.signed for c in contributions if c.kind is not Kind.MODEL]
    mean = model_mean(readings)
    if readings:
        pushes.append(model_push(readings))
    total = sum(pushes)
    magnitude = sum(abs(p) for p in pushes)
    positive = sum(p for p in pushes if p > 0)
    negative = -sum(p for p in pushes if p < 0)
    score = total / (magnitude + 1.0) if magnitude else 0.0
    hedge = min((c.hedge for c in contributions), default=1.0)
    agreement = abs(total) / magnitude if magnitude else 0.0
    confidence = (1 - math.exp(-magnitude)) * (0.5 + 0.5 * agreement) * hedge
    if not contributions:
        confidence = NO_EVIDENCE_CONFIDENCE  # neutral for lack of evidence: a weak claim
    label, source = _label(score, magnitude, positive, negative), source_of(contributions)
    decided = model_decides(mean)
    if decided is not None and mean is not None:
        label, source = decided, "model"
        score, confidence = mean[2] - mean[0], max(mean) * hedge
    return Summary(
        label,
        round(score, 3),
        round(magnitude, 3),
        round(confidence, 3),
        by_sentence(contributions, max_evidence),
        source,
    )


def by_sentence(
    contributions: Sequence[Contribution], limit: int
) -> list[tuple[int, list[Contribution]]]:
    """Contributions grouped by sentence, the strongest sentences first."""
    grouped: dict[int, list[Contribution]] = {}
    for c in contributions:
        grouped.setdefault(c.sentence, []).append(c)
    ranked = sorted(grouped.items(), key=lambda kv: -sum(abs(c.signed) for c in kv[1]))
    return ranked[:limit]


class TargetModel(Protocol):
    """A learned target-sentiment model, the seam for :attr:`Kind.MODEL` evidence.

    ``score`` takes, for each sentence text, the character spans of targets inside it, and
    returns for each target (P(negative), P(neutral), P(positive)). Analysis depends only on
    this interface; the model and its framework live elsewhere.
    """

    def score(
        self, items: Sequence[tuple[str, Sequence[tuple[int, int]]]]
    ) -> list[list[Probabilities]]:
        """Class probabilities per target, per sentence."""
        ...
