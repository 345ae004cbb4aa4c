"""Analysis of a neutral annotated document into the answer's plain data.

Nothing here imports an engine or the web framework: it takes an
:class:`~service.document.AnnotatedDocument` and returns dicts ready for JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from service.analysis.actors import Actor, group_actors
from service.document import DEPPARSE, LEMMA, NER, POS, TOKENIZE, AnnotatedDocument

# What a client may ask for in ``options.include``, and the processors each part needs.
SECTIONS: dict[str, frozenset[str]] = {
    "entities": frozenset({TOKENIZE, NER}),
    "actors": frozenset({TOKENIZE, NER}),
    "tokens": frozenset({TOKENIZE, POS, LEMMA, DEPPARSE}),
}
DEFAULT_SECTIONS = ("entities", "actors")

# Bump whenever the answer's shape or the analysis changes: it is part of every cache key,
# so no answer of an older shape is ever served from the cache.
ANALYSIS_VERSION = 1


def processors_for(sections: Iterable[str]) -> frozenset[str]:
    """The engine processors that the requested sections need."""
    needed: frozenset[str] = frozenset({TOKENIZE})
    for section in sections:
        needed |= SECTIONS[section]
    return needed


def analyse(doc: AnnotatedDocument, sections: Iterable[str]) -> dict[str, Any]:
    """Entities, actors and (on request) tokens of one document, as plain data."""
    wanted = set(sections)
    actors = group_actors(doc)
    actor_of = {m.entity: actor.id for actor in actors for m in actor.mentions}
    out: dict[str, Any] = {"sentences": len(doc.sentences)}
    if "entities" in wanted:
        out["entities"] = [
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
    if "actors" in wanted:
        out["actors"] = [_actor_dict(doc, actor) for actor in actors]
    if "tokens" in wanted:
        out["tokens"] = [
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
    return out


def _actor_dict(doc: AnnotatedDocument, actor: Actor) -> dict[str, Any]:
    mentions = [
        {"text": doc.span(m.start, m.end), "start": m.start, "end": m.end, "sentence": m.sentence}
        for m in actor.mentions
    ]
    aliases = list(dict.fromkeys(m["text"] for m in mentions))
    return {
        "id": actor.id,
        "name": actor.name,
        "type": actor.type,
        "aliases": aliases,
        "mentions": mentions,
    }
