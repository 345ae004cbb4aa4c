"""Analysis of a neutral annotated document into the answer's plain data.

Nothing here imports an engine or the web framework: it takes an
:class:`~service.document.AnnotatedDocument` and returns dicts ready for JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from service.analysis.actors import Actor, group_actors, owner_of_entities, salience
from service.analysis.knowledge import knowledge
from service.analysis.mentions import Mention
from service.analysis.quotes import Quote, find_quotes
from service.analysis.sentiment import Scorer, document_sentiment, summarise
from service.analysis.stance import Participant, StanceFinder, summarise_stances
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

# Bump whenever the answer's shape or the analysis changes: it is part of every cache key,
# so no answer of an older shape is ever served from the cache.
ANALYSIS_VERSION = 2


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
) -> dict[str, Any]:
    """Entities, actors, sentiment, stances, quotes and targets of one document."""
    wanted = set(sections)
    tree = Tree(doc, knowledge(doc.language))
    actors = group_actors(tree)
    salience(actors, tree, title)
    out: dict[str, Any] = {"sentences": len(doc.sentences)}
    if "entities" in wanted:
        out["entities"] = _entities(doc, actors)
    resolved = resolve(tree, actors, list(targets))
    heads = frozenset(m.head for a in actors for m in a.mentions if m.head is not None)
    quotes = find_quotes(tree, [m for a in actors for m in a.mentions])
    scorer = Scorer(tree, heads, [(q.start, q.end) for q in quotes])
    score = scorer.mention if scope == "syntax" else scorer.sentence_baseline
    if "actors" in wanted:
        stances = _stances(tree, scorer, actors, resolved, quotes) if "stances" in wanted else {}
        out["actors"] = [
            _actor(doc, a, score if "sentiment" in wanted else None, tree, stances, resolved)
            for a in actors
        ]
    if "sentiment" in wanted:
        out["sentiment"] = document_sentiment(tree)
    if "quotes" in wanted:
        out["quotes"] = [_quote(doc, q, actors) for q in quotes]
    if resolved:
        out["targets"] = [_target(tree, t, score, scorer) for t in resolved]
    if "tokens" in wanted:
        out["tokens"] = _tokens(doc)
    return out


def _entities(doc: AnnotatedDocument, actors: list[Actor]) -> list[dict[str, Any]]:
    actor_of = owner_of_entities(actors)
    return [
        {
            "text": doc.span(e.start, e.end),
            "type": e.type,
            "label": e.label,
            "start": e.start,
            "end": e.end,
            "sentence": e.sentence,
            "actor": actor_of.get(i),
        }
        for i, e in enumerate(doc.entities)
    ]


def _mention(doc: AnnotatedDocument, m: Mention) -> dict[str, Any]:
    return {
        "text": doc.span(m.start, m.end),
        "start": m.start,
        "end": m.end,
        "sentence": m.sentence,
        "kind": m.kind,
    }


def _stances(
    tree: Tree, scorer: Scorer, actors: list[Actor], targets: list[Target], quotes: list[Quote]
) -> dict[str, list[dict[str, Any]]]:
    participants = [Participant(a.id, a.mentions) for a in actors]
    participants += [Participant(t.id, t.mentions) for t in targets]
    finder = StanceFinder(tree, scorer, participants)
    owner = {id(m): a.id for a in actors for m in a.mentions}
    named = [(p.id, m) for p in participants for m in p.mentions]
    for actor in actors:
        for mention in actor.mentions:
            finder.from_mention(actor.id, mention)
    for quote in quotes:
        if quote.speaker is not None and id(quote.speaker) in owner:
            finder.from_quote(owner[id(quote.speaker)], quote, named)
    # A target that resolved to an actor has that actor's mentions, so it gets the same
    # stances under its own id.
    target_ids = [t.id for t in targets]
    return {a.id: summarise_stances(tree, finder.found, a.id, target_ids) for a in actors}


def _actor(
    doc: AnnotatedDocument,
    actor: Actor,
    score: Any,
    tree: Tree,
    stances: dict[str, list[dict[str, Any]]],
    targets: list[Target],
) -> dict[str, Any]:
    mentions = [_mention(doc, m) for m in actor.mentions]
    out: dict[str, Any] = {
        "id": actor.id,
        "name": actor.name,
        "type": actor.type,
        "salience": actor.salience,
        "aliases": list(dict.fromkeys(m["text"] for m in mentions)),
        "mentions": mentions,
    }
    if score is not None:
        contributions = [c for m in actor.mentions for c in score(m)]
        out["sentiment"] = summarise(tree, contributions)
    if stances:
        out["stances"] = stances.get(actor.id, [])
    return out


def _quote(doc: AnnotatedDocument, quote: Quote, actors: list[Actor]) -> dict[str, Any]:
    speaker = next((a.id for a in actors for m in a.mentions if m is quote.speaker), None)
    has_speaker = quote.speaker_start is not None and quote.speaker_end is not None
    return {
        "kind": quote.kind,
        "text": doc.span(quote.start, quote.end),
        "start": quote.start,
        "end": quote.end,
        "sentence": quote.sentence,
        "attributed": has_speaker,
        "speaker": speaker,
        "speaker_text": doc.span(quote.speaker_start, quote.speaker_end) if has_speaker else None,
        "verb": doc.span(doc.tokens[quote.verb].start, doc.tokens[quote.verb].end)
        if quote.verb is not None
        else None,
    }


def _target(tree: Tree, target: Target, score: Any, scorer: Scorer) -> dict[str, Any]:
    contributions = [c for m in target.mentions for c in score(m)]
    if not [c for c in contributions if c.reason != "sentence sentiment"]:
        contributions += scorer.backoff(target.mentions)
    out: dict[str, Any] = {
        "id": target.id,
        "text": target.text,
        "actor": target.actor.id if target.actor else None,
        "mentions": [_mention(tree.doc, m) for m in target.mentions],
        "sentiment": summarise(tree, contributions),
    }
    if target.start is not None:
        out["start"], out["end"] = target.start, target.end
    return out


def _tokens(doc: AnnotatedDocument) -> list[dict[str, Any]]:
    return [
        {
            "text": t.text,
            "start": t.start,
            "end": t.end,
            "sentence": t.sentence,
            "lemma": t.lemma,
            "upos": t.upos,
            "feats": t.feats,
            "head": t.head,
            "deprel": t.deprel,
        }
        for t in doc.tokens
    ]
