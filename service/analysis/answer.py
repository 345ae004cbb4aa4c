"""The answer's JSON shape: the one place that turns analysis results into plain dicts.

Analysis modules return typed results (actors, quotes, summaries of evidence); this module
renders them, and the enrichment use case wraps them with the language, engine and timings.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import orjson

from service.analysis.actors import Actor, owner_of_entities
from service.analysis.evidence import Contribution, Summary
from service.analysis.mentions import Mention
from service.analysis.quotes import Quote
from service.analysis.stance import Stance
from service.analysis.targets import Target
from service.document import AnnotatedDocument


@dataclass(slots=True, kw_only=True)
class Findings:
    """What the analysis found in one document: everything the answer is built from."""

    doc: AnnotatedDocument
    actors: list[Actor] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    sentiments: dict[str, Summary] = field(default_factory=dict)  # actor id -> summary
    stances: dict[str, list[Stance]] = field(default_factory=dict)  # actor id -> stances
    target_sentiments: list[Summary] = field(default_factory=list)  # one per target
    document: Summary | None = None


def render(found: Findings, sections: Collection[str]) -> dict[str, Any]:
    """The analysis part of the answer, with the sections asked for (``targets`` whenever
    the client gave targets)."""
    doc = found.doc
    out: dict[str, Any] = {"sentences": len(doc.sentences)}
    if "entities" in sections:
        out["entities"] = _entities(doc, found.actors)
    if "actors" in sections:
        out["actors"] = [_actor(found, a, sections) for a in found.actors]
    if found.document is not None:
        out["sentiment"] = summary(doc, found.document)
    if "quotes" in sections:
        out["quotes"] = [_quote(doc, q, found.actors) for q in found.quotes]
    if found.targets:
        out["targets"] = [
            _target(doc, t, s) for t, s in zip(found.targets, found.target_sentiments, strict=True)
        ]
    if "tokens" in sections:
        out["tokens"] = _tokens(doc)
    return out


def envelope(
    language: str,
    confidence: float | None,
    doc: AnnotatedDocument,
    analysis: dict[str, Any],
    timings: dict[str, float],
    models: dict[str, str] | None = None,
) -> bytes:
    """The whole answer as JSON bytes (without the client's ``id``); ``confidence`` is the
    language detector's, None when the client named the language; ``models`` adds what
    served beside the engine (the polarity model) to ``engine.models``."""
    engine = doc.engine.as_dict()
    engine["models"] = {**doc.engine.models, **(models or {})}
    answer = {
        "language": language,
        "language_detected": confidence is not None,
        **({"language_confidence": confidence} if confidence is not None else {}),
        "engine": engine,
        **analysis,
        "timings": timings,
    }
    return orjson.dumps(answer)


def with_fields(body: bytes, **fields: object) -> bytes:
    """Prefix fields (``id``, a batch slot's ``cache``) to a stored JSON answer without
    re-encoding it, which keeps cache hits cheap; None values are left out."""
    extra = {k: v for k, v in fields.items() if v is not None}
    if not extra:
        return body
    return orjson.dumps(extra)[:-1] + b"," + body[1:]


def summary(doc: AnnotatedDocument, found: Summary) -> dict[str, Any]:
    """A sentiment: label, score, magnitude, confidence and evidence."""
    return {
        "label": found.label,
        "score": found.score,
        "magnitude": found.magnitude,
        "confidence": found.confidence,
        "source": found.source,
        "evidence": evidence(doc, found.evidence),
    }


def evidence(
    doc: AnnotatedDocument, ranked: list[tuple[int, list[Contribution]]]
) -> list[dict[str, Any]]:
    """The sentences that drove a score, strongest first, with the words in them."""
    out = []
    for index, items in ranked:
        sentence = doc.sentences[index]
        out.append(
            {
                "sentence": index,
                "start": sentence.start,
                "end": sentence.end,
                "text": doc.span(sentence.start, sentence.end),
                "words": [_word(doc, c) for c in sorted(items, key=lambda c: _start(doc, c))],
            }
        )
    return out


def _start(doc: AnnotatedDocument, c: Contribution) -> int:
    return c.span[0] if c.span is not None else doc.tokens[c.token].start


def _word(doc: AnnotatedDocument, c: Contribution) -> dict[str, Any]:
    """A word that drove a score; for the learned model's evidence, the mention it read
    and its probabilities."""
    token = doc.tokens[c.token]
    start, end = c.span if c.span is not None else (token.start, token.end)
    out: dict[str, Any] = {
        "text": doc.span(start, end),
        "start": start,
        "end": end,
        "value": round(c.signed, 3),
        "reason": c.reason,
    }
    if c.probabilities is not None:
        negative, neutral, positive = c.probabilities
        out["probabilities"] = {"negative": negative, "neutral": neutral, "positive": positive}
    if c.pushed_by is not None:
        out["pushed_by"] = [_push(doc, *word) for word in c.pushed_by]
    return out


def _push(doc: AnnotatedDocument, start: int, end: int, share: float) -> dict[str, Any]:
    """A word that pushed the model's reading: its share of the push, and which way."""
    return {
        "text": doc.span(start, end),
        "start": start,
        "end": end,
        "weight": share,
        "toward": "positive" if share > 0 else "negative",
    }


def _stance(doc: AnnotatedDocument, stance: Stance) -> dict[str, Any]:
    return {
        "target": stance.target,
        "label": stance.label,
        "score": stance.score,
        "source": stance.source,
        "evidence": evidence(doc, stance.evidence),
    }


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


def _actor(found: Findings, actor: Actor, sections: Collection[str]) -> dict[str, Any]:
    doc = found.doc
    mentions = [_mention(doc, m) for m in actor.mentions]
    out: dict[str, Any] = {
        "id": actor.id,
        "name": actor.name,
        "type": actor.type,
        "salience": actor.salience,
        "aliases": list(dict.fromkeys(m["text"] for m in mentions)),
        "mentions": mentions,
    }
    if "sentiment" in sections:
        out["sentiment"] = summary(doc, found.sentiments[actor.id])
    if "stances" in sections:
        out["stances"] = [_stance(doc, s) for s in found.stances.get(actor.id, [])]
    return out


def _quote(doc: AnnotatedDocument, quote: Quote, actors: list[Actor]) -> dict[str, Any]:
    speaker = next((a.id for a in actors for m in a.mentions if m is quote.speaker), None)
    has_speaker = quote.speaker_start is not None and quote.speaker_end is not None
    verb = doc.tokens[quote.verb] if quote.verb is not None else None
    return {
        "kind": quote.kind,
        "text": doc.span(quote.start, quote.end),
        "start": quote.start,
        "end": quote.end,
        "sentence": quote.sentence,
        "attributed": has_speaker,
        "speaker": speaker,
        "speaker_text": doc.span(quote.speaker_start, quote.speaker_end) if has_speaker else None,
        "verb": doc.span(verb.start, verb.end) if verb is not None else None,
    }


def _target(doc: AnnotatedDocument, target: Target, sentiment: Summary) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": target.id,
        "text": target.text,
        "actor": target.actor.id if target.actor else None,
        "mentions": [_mention(doc, m) for m in target.mentions],
        "sentiment": summary(doc, sentiment),
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
