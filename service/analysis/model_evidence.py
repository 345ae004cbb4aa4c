"""The learned model's evidence: its polarity toward every mention of a document, scored in
one batched call, turned into :attr:`~service.analysis.evidence.Kind.MODEL` contributions.

Only sentences that hold a mention (of an actor or a client's target) are sent, each once
with all its mentions' spans; the model is reached through
:class:`~service.analysis.evidence.TargetModel` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from service.analysis.evidence import WEIGHTS as W
from service.analysis.evidence import Contribution, Kind, Probabilities, TargetModel
from service.analysis.mentions import Mention
from service.analysis.syntax import Tree

Span = tuple[int, int]
# A sentence (or stretch) as sent to the model, and its mentions' spans relative to it.
Item = tuple[str, list[Span]]

# How much one mention's model reading counts, by mention kind (``WEIGHTS``, evidence.py).
_KIND_WEIGHT = {
    "pronoun": W.model_pronoun,
    "demonym": W.model_demonym,
}


@dataclass(slots=True)
class Sent:
    """The items of the model's one call, each item's document offset, and per mention
    span the (item, target) it was scored as."""

    items: list[Item] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    where: dict[Span, tuple[int, int]] = field(default_factory=dict)


class ModelReadings:
    """The model's (negative, neutral, positive) per mention span of one document, and
    what was sent to read each (:attr:`sent`), so that a reading can be explained on the
    very input that produced it."""

    def __init__(
        self, tree: Tree, by_span: dict[Span, Probabilities], sent: Sent | None = None
    ) -> None:
        self.tree = tree
        self.by_span = by_span
        self.sent = sent or Sent()

    def contribution(self, mention: Mention, reported: bool) -> Contribution | None:
        """The model's reading of one mention as evidence about its actor or target."""
        probs = self.by_span.get((mention.start, mention.end))
        if probs is None:
            return None
        token = mention.head if mention.head is not None else self._first_token(mention)
        return Contribution(
            token=token,
            sentence=mention.sentence,
            value=probs[2] - probs[0],
            weight=_KIND_WEIGHT.get(mention.kind, 1.0),  # its share of the model's mean
            kind=Kind.MODEL,
            reported=reported,
            span=(mention.start, mention.end),
            probabilities=probs,
        )

    def _first_token(self, mention: Mention) -> int:
        inside = self.tree.tokens_in(mention.start, mention.end)
        return inside[0] if inside else self.tree.doc.sentences[mention.sentence].token_start


def _segments(tree: Tree, mentions: list[Mention]) -> list[int]:
    """The first sentence of the stretch each sentence belongs to: a sentence stands alone
    unless a mention runs across its end (an engine split "Le Royaume-| Uni, qui..."), which
    joins it to the next."""
    sentences = tree.doc.sentences
    joined: set[int] = set()
    for m in mentions:
        i = m.sentence
        while i + 1 < len(sentences) and sentences[i].end < m.end:
            joined.add(i)
            i += 1
    first = list(range(len(sentences)))
    for i in sorted(joined):
        first[i + 1] = first[i]
    return first


def read(tree: Tree, model: TargetModel, mentions: Iterable[Mention]) -> ModelReadings:
    """Score every distinct mention span in ONE call of the model: per sentence holding
    a mention, its text and the mentions' spans relative to it."""
    doc = tree.doc
    wanted = [m for m in mentions if 0 <= m.sentence < len(doc.sentences) and m.start < m.end]
    first = _segments(tree, wanted)
    spans: dict[int, list[Span]] = {}
    for m in wanted:
        found = spans.setdefault(first[m.sentence], [])
        if (m.start, m.end) not in found:
            found.append((m.start, m.end))
    last = {f: i for i, f in enumerate(first)}  # a stretch's last sentence
    order = sorted(spans)
    items = []
    for index in order:
        start, end = doc.sentences[index].start, doc.sentences[last[index]].end
        relative = [(a - start, b - start) for a, b in spans[index]]
        items.append((doc.span(start, end), relative))
    by_span: dict[Span, Probabilities] = {}
    sent = Sent(items, [doc.sentences[index].start for index in order])
    if items:
        for i, (index, probs) in enumerate(zip(order, model.score(items), strict=True)):
            for k, (span, p) in enumerate(zip(spans[index], probs, strict=True)):
                by_span[span] = (round(p[0], 3), round(p[1], 3), round(p[2], 3))
                sent.where[span] = (i, k)
    return ModelReadings(tree, by_span, sent)
