"""The words that pushed the learned model (``options.explain``).

For each actor's and client target's sentiment, the first evidence sentence (as the answer
shows them, strongest first) that holds a reading of the model is explained: the reading
of its first such mention, on exactly the input the model scored, by the model's own
attribution (:class:`ExplainingModel`). The answer gets the few words with the largest push,
each with its share of the sentence's total push and its direction. The mention's own words
are left out: they are what is judged, not why.

A model without ``attribute`` (any other :class:`~service.analysis.evidence.TargetModel`)
explains nothing; analysis never imports the model's framework.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from service.analysis.evidence import Contribution, Kind, Summary
from service.analysis.model_evidence import ModelReadings

Span = tuple[int, int]
# (start, end, weight): a word of the sentence and its push, weight > 0 toward positive.
WordWeight = tuple[int, int, float]

# How many words an explanation shows: the few a reader checks at a glance.
TOP_WORDS = 5


@runtime_checkable
class ExplainingModel(Protocol):
    """A :class:`~service.analysis.evidence.TargetModel` that can also say which words
    pushed a reading: the optional half of that interface."""

    def attribute(self, items: Sequence[tuple[str, Sequence[Span], int]]) -> list[list[WordWeight]]:
        """For each (sentence, its targets' spans as scored, the index of the target to
        explain), every word of the sentence with its push on that target's reading:
        (start, end, weight) relative to the sentence, weight > 0 toward positive."""
        ...


def first_reading(found: Summary) -> Contribution | None:
    """The model's reading the answer shows first: in the first evidence sentence holding
    one, the earliest in the text."""
    for _, contributions in found.evidence:
        readings = [c for c in contributions if c.kind is Kind.MODEL and c.span is not None]
        if readings:
            return min(readings, key=lambda c: c.span or (0, 0))
    return None


def explain(readings: ModelReadings, model: ExplainingModel, found: Iterable[Summary]) -> None:
    """Set ``pushed_by`` on each summary's first shown model reading; one call of the model
    for all of them (a reading shared by an actor and a target is explained once)."""
    sent = readings.sent
    chosen = [c for s in found if (c := first_reading(s)) is not None and c.span in sent.where]
    spans = {sent.where[c.span]: c.span for c in chosen if c.span is not None}
    if not spans:
        return
    asked = list(spans)
    answers = model.attribute([(*sent.items[i], k) for i, k in asked])
    words = {
        (i, k): top([(a + sent.starts[i], b + sent.starts[i], w) for a, b, w in each], spans[i, k])
        for (i, k), each in zip(asked, answers, strict=True)
    }
    for c in chosen:
        if c.span is not None:
            c.pushed_by = words[sent.where[c.span]]


def top(words: list[WordWeight], mention: Span, limit: int = TOP_WORDS) -> list[WordWeight]:
    """The ``limit`` words with the largest push, outside the mention, strongest first,
    each with its share of the whole sentence's push (mention included), signed."""
    total = sum(abs(w) for _, _, w in words)
    if not total:
        return []
    outside = [(a, b, w) for a, b, w in words if not (a < mention[1] and b > mention[0])]
    ranked = sorted(outside, key=lambda word: -abs(word[2]))
    shown = [(a, b, round(w / total, 3)) for a, b, w in ranked[:limit]]
    return [word for word in shown if word[2]]
