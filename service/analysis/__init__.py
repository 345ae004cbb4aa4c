"""Analysis of a neutral annotated document into the answer's plain data.

Nothing here imports an engine or the web framework: :func:`analyse` takes an
:class:`~service.document.AnnotatedDocument`, runs the steps the requested sections need
(docs/analysis.md) and returns dicts ready for JSON, shaped by :mod:`.answer`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from service.analysis import model_words
from service.analysis.actors import Actor, group_actors, salience
from service.analysis.answer import Findings, render
from service.analysis.evidence import Contribution, Summary, TargetModel, linked, summarise
from service.analysis.knowledge import knowledge, load_knowledge
from service.analysis.mentions import Mention
from service.analysis.model_evidence import ModelReadings, read
from service.analysis.quotes import Quote, find_quotes
from service.analysis.scorer import Scorer
from service.analysis.sentiment import backoff, document_sentiment, sentence_baseline
from service.analysis.stance import Participant, Stance, StanceFinder, summarise_stances
from service.analysis.syntax import Tree
from service.analysis.targets import Target, resolve
from service.document import DEPPARSE, LEMMA, NER, POS, SENTIMENT, TOKENIZE, AnnotatedDocument

_SYNTAX = frozenset({TOKENIZE, NER, POS, LEMMA, DEPPARSE})
# What a client may ask for in ``options.include``, and the processors each part needs.
SECTIONS: dict[str, frozenset[str]] = {
    "entities": frozenset({TOKENIZE, NER}),
    "actors": _SYNTAX,
    "sentiment": _SYNTAX | {SENTIMENT},
    "stances": _SYNTAX,
    "quotes": _SYNTAX,
    "tokens": frozenset({TOKENIZE, POS, LEMMA, DEPPARSE}),
}
DEFAULT_SECTIONS = ("entities", "actors", "sentiment", "stances", "quotes")
SCOPES = ("syntax", "sentence")
# What may score sentiment and stance (``options.sentiment``): the learned model beside the
# lexicon, or the lexicon alone.
SENTIMENT_SOURCES = ("model", "lexicon")

# Bump whenever the answer's shape or the analysis changes: it is part of every cache key,
# so no answer of an older shape is ever served from the cache.
ANALYSIS_VERSION = 6


def processors_for(sections: Iterable[str], targets: bool = False) -> frozenset[str]:
    """The engine processors that the requested sections (and targets) need."""
    needed: frozenset[str] = frozenset({TOKENIZE})
    for section in sections:
        needed |= SECTIONS[section]
    return needed | (SECTIONS["sentiment"] if targets else frozenset())


def analyse(
    doc: AnnotatedDocument,
    sections: Iterable[str],
    title: str | None = None,
    targets: Sequence[Any] = (),
    scope: str = "syntax",
    model: TargetModel | None = None,
    explain: bool = False,
) -> dict[str, Any]:
    """Entities, actors, sentiment, stances, quotes and targets of one document: only the
    steps the requested sections need run. With a ``model``, its polarity toward every
    mention (scored in one batched call) is evidence beside the lexicon's; with
    ``explain`` too, each sentiment's first shown model reading says which words
    pushed it (:mod:`.model_words`), where the model can tell."""
    wanted = frozenset(sections)
    tree = Tree(doc, knowledge(doc.language))
    found = Findings(doc=doc)
    if wanted & {"entities", "actors", "quotes"} or targets:
        found.actors = group_actors(tree)
    if "actors" in wanted:
        salience(found.actors, tree, title)
    found.targets = resolve(tree, found.actors, list(targets))
    portrayed = "actors" in wanted and bool(wanted & {"sentiment", "stances"})
    if "quotes" in wanted or portrayed or found.targets:
        found.quotes = find_quotes(tree, [m for a in found.actors for m in a.mentions])
    scorer = _scorer(tree, found)
    score = scorer.mention if scope == "syntax" else partial(sentence_baseline, tree)
    readings = _readings(tree, found, wanted, model)
    if readings is not None:
        score = partial(_with_model, score, readings, scorer)
    if "actors" in wanted and "sentiment" in wanted:
        found.sentiments = {
            a.id: summarise([c for m in a.mentions for c in score(m)]) for a in found.actors
        }
    if "actors" in wanted and "stances" in wanted:
        found.stances = _stances(tree, scorer, found, readings)
    if "sentiment" in wanted:
        found.document = document_sentiment(tree)
    found.target_sentiments = [_target_sentiment(tree, t, score) for t in found.targets]
    if explain and readings is not None and isinstance(model, model_words.ExplainingModel):
        shown = [*found.sentiments.values(), *found.target_sentiments]
        model_words.explain(readings, model, shown)
    return render(found, wanted)


def _scorer(tree: Tree, found: Findings) -> Scorer:
    """The syntax scorer: mentions' heads bound what a word can reach, quotes are reported."""
    heads = frozenset(m.head for a in found.actors for m in a.mentions if m.head is not None)
    return Scorer(tree, heads, [(q.start, q.end) for q in found.quotes])


def _readings(
    tree: Tree, found: Findings, wanted: frozenset[str], model: TargetModel | None
) -> ModelReadings | None:
    """The model's reading of every mention the answer judges (the actors' when their
    sentiment or stances are asked for, the client's targets'), in one batched call."""
    if model is None:
        return None
    mentions = [m for t in found.targets for m in t.mentions]
    if "actors" in wanted and wanted & {"sentiment", "stances"}:
        mentions += [m for a in found.actors for m in a.mentions]
    return read(tree, model, mentions) if mentions else None


def _with_model(
    score: Callable[[Mention], list[Contribution]],
    readings: ModelReadings,
    scorer: Scorer,
    mention: Mention,
) -> list[Contribution]:
    """The lexicon's contributions to a mention, and the model's reading of it."""
    out = score(mention)
    reading = readings.contribution(mention, scorer.in_reported(mention.start))
    return out if reading is None else [*out, reading]


def _stances(
    tree: Tree, scorer: Scorer, found: Findings, readings: ModelReadings | None
) -> dict[str, list[Stance]]:
    actors, targets = found.actors, found.targets
    participants = [Participant(a.id, a.mentions) for a in actors]
    participants += [Participant(t.id, t.mentions) for t in targets]
    finder = StanceFinder(tree, scorer, participants, readings)
    owner = {id(m): a.id for a in actors for m in a.mentions}
    named = [(p.id, m) for p in participants for m in p.mentions]
    for actor in actors:
        for mention in actor.mentions:
            finder.from_mention(actor.id, mention)
    for quote in found.quotes:
        if quote.speaker is not None and id(quote.speaker) in owner:
            finder.from_quote(owner[id(quote.speaker)], quote, named)
    # A target that resolved to an actor has that actor's mentions, so it gets the same
    # stances under its own id.
    target_ids = [t.id for t in targets]
    return {a.id: summarise_stances(finder.found, a.id, target_ids) for a in actors}


def _target_sentiment(
    tree: Tree, target: Target, score: Callable[[Mention], list[Contribution]]
) -> Summary:
    """A client's target: what reaches its mentions, or its sentences' words, weakly, when
    nothing does."""
    contributions = [c for m in target.mentions for c in score(m)]
    if not linked(contributions):
        contributions += backoff(tree, target.mentions)
    return summarise(contributions)


__all__ = [
    "ANALYSIS_VERSION",
    "DEFAULT_SECTIONS",
    "SCOPES",
    "SECTIONS",
    "SENTIMENT_SOURCES",
    "Actor",
    "Quote",
    "analyse",
    "load_knowledge",
    "processors_for",
]
