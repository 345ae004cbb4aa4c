"""The entity ruler: corrects an engine's named entities with the language's gazetteer.

It runs on the neutral document after any engine, so spaCy and Stanza get the same
corrections from the same data. Two steps, in order:

1. Amounts and scores are cut out of names: "Apple 1.8 billion" -> "Apple", "Arsenal 4-0
   Chelsea" -> "Arsenal", "Chelsea"; a name entity that is only a score goes.
2. Gazetteer names found on token boundaries (longest first, case-sensitive) are merged
   with the NER's entities: a name the NER missed is added; one the NER found with the
   same span keeps its span and takes the gazetteer's type when the types differ ("Bloomberg
   News" PER -> ORG, "Brasília" PER -> LOC); a longer NER name that contains a gazetteer name
   stays whole ("Marine Le Pen" is never cut to "Le Pen"); a gazetteer name that contains
   NER entities replaces them ("Le Monde" for "Monde"); where the two cross, the NER wins.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace

from service.document import AnnotatedDocument, Entity
from service.engines.base import EngineLoadError, neutral_type
from service.engines.gazetteer_data import (
    Gazetteer,
    GazetteerEntry,
    GazetteerError,
    gazetteer,
    surface_key,
)

# Engine label -> the gazetteer's coarse type; labels not here (DATE, EVENT...) are not names.
COARSE = {
    "PER": "PER",
    "PERSON": "PER",
    "ORG": "ORG",
    "LOC": "LOC",
    "GPE": "LOC",
    "FAC": "LOC",
    "MISC": "MISC",
    "NORP": "MISC",
}
# OntoNotes-style label sets (spaCy's English, Stanza's English) name persons and
# countries or cities differently from CoNLL/WikiNER-style ones (PER, LOC).
_ONTONOTES = {"PER": "PERSON", "LOC": "GPE"}
_NUMBER = r"\d+(?:[.,\u00a0\u202f]\d{3})*(?:[.,]\d+)?"
_CURRENCY = r"[$€£¥%]"
_SCORE = r"\d+\s?[-\u2013\u2014:]\s?\d+"


@dataclass(frozen=True, slots=True)
class _Match:
    start: int
    end: int
    sentence: int
    entry: GazetteerEntry


def _in_compound(text: str, start: int, end: int) -> bool:
    """True for a name inside a hyphenated word ("pro-Beijing", "Apple-backed"): the word
    is not the name."""
    before = start >= 2 and text[start - 1] == "-" and text[start - 2].isalnum()
    return before or (text[end : end + 1] == "-" and text[end + 1 : end + 2].isalnum())


def engine_labels(ner_labels: Collection[str]) -> dict[str, str]:
    """Gazetteer type -> the label an engine with these NER labels uses for it."""
    return {t: _ONTONOTES.get(t, t) if _ONTONOTES.get(t) in ner_labels else t for t in COARSE}


def _amount_pattern(number_words: tuple[str, ...]) -> re.Pattern[str]:
    words = "|".join(re.escape(w) for w in sorted(number_words, key=len, reverse=True))
    unit = rf"(?:{_CURRENCY}|(?:{words})(?!\w))"
    amount = rf"{_CURRENCY}\s?{_NUMBER}(?:\s?{unit})*|{_NUMBER}(?:\s?{unit})+|\d+[.,]\d+"
    return re.compile(rf"(?<!\w)(?:{_SCORE}|{amount})(?!\w)", re.IGNORECASE)


class EntityRuler:
    """One language's gazetteer applied to the entities of an engine's documents."""

    def __init__(self, gazetteer: Gazetteer, ner_labels: Collection[str]) -> None:
        self.gazetteer = gazetteer
        self._labels = engine_labels(ner_labels)
        self._amount = _amount_pattern(gazetteer.number_words)
        self._first = frozenset(key[0] for key in gazetteer.names)
        self._longest = max(len(key) for key in gazetteer.names)

    def apply(self, doc: AnnotatedDocument) -> None:
        """Replace ``doc.entities`` by the corrected entities."""
        doc.entities = self.entities(doc)

    def entities(self, doc: AnnotatedDocument) -> list[Entity]:
        """The document's entities with amounts cut out and the gazetteer merged in."""
        entities = [piece for e in doc.entities for piece in self._without_amounts(doc.text, e)]
        for match in self._matches(doc):
            entities = self._merge(entities, match)
        return sorted(entities, key=lambda e: (e.start, e.end))

    def _without_amounts(self, text: str, entity: Entity) -> Iterator[Entity]:
        """The parts of a name entity that are not amounts or scores (the entity itself
        when it has none; nothing when it is only one)."""
        if entity.label not in COARSE:
            yield entity
            return
        cuts = list(self._amount.finditer(text, entity.start, entity.end))
        if not cuts:
            yield entity
            return
        bounds = [entity.start, *(x for m in cuts for x in m.span()), entity.end]
        for start, end in zip(bounds[::2], bounds[1::2], strict=True):
            while start < end and not text[start].isalnum():
                start += 1
            while end > start and not text[end - 1].isalnum():
                end -= 1
            if any(c.isalpha() for c in text[start:end]):
                yield replace(entity, start=start, end=end)

    def _matches(self, doc: AnnotatedDocument) -> Iterator[_Match]:
        """Gazetteer names on token boundaries, longest first, left to right, without
        overlaps. A name may run over a sentence boundary the engine put inside it (the
        French parser cuts "Marine | Le Pen") but never over a line break."""
        text, names, tokens = doc.text, self.gazetteer.names, doc.tokens
        reached = -1
        for i, first in enumerate(tokens):
            start = first.start
            if start < reached or text[start] not in self._first:
                continue
            found = None
            for j in range(i, len(tokens)):
                end = tokens[j].end
                if end - start > self._longest or "\n" in text[start:end]:
                    break
                entry = names.get(surface_key(text[start:end]))
                if entry is not None:
                    found = _Match(start, end, first.sentence, entry)
            if found is not None and not _in_compound(text, found.start, found.end):
                reached = found.end
                yield found

    def _merge(self, entities: list[Entity], match: _Match) -> list[Entity]:
        """``entities`` with one gazetteer match merged in (see the module's docstring)."""
        overlapping = [e for e in entities if e.start < match.end and match.start < e.end]
        for e in overlapping:
            if e.start <= match.start and match.end <= e.end:  # the NER span covers it
                if (e.start, e.end) == (match.start, match.end):
                    return [self._retyped(x, match.entry) if x is e else x for x in entities]
                return entities
        if any(e.start < match.start or match.end < e.end for e in overlapping):
            return entities  # crossing spans: the NER's reading stands
        label = self._labels[match.entry.type]
        added = Entity(
            match.start,
            match.end,
            neutral_type(label),
            label,
            match.sentence,
            match.entry.canonical,
        )
        gone = {id(e) for e in overlapping}
        return [e for e in entities if id(e) not in gone] + [added]

    def _retyped(self, entity: Entity, entry: GazetteerEntry) -> Entity:
        """An NER entity with the gazetteer's span: its type when the two disagree and the
        name is unambiguous, and the canonical name when they then agree."""
        if COARSE.get(entity.label) == entry.type:
            return replace(entity, canonical=entry.canonical)
        if entry.ambiguous:
            return entity
        label = self._labels[entry.type]
        return replace(entity, type=neutral_type(label), label=label, canonical=entry.canonical)


def ruler_for(language: str, ner_labels: Collection[str]) -> EntityRuler | None:
    """The entity ruler of ``language`` for an engine with these NER labels; None when the
    language has no gazetteer. A malformed gazetteer raises :class:`GazetteerError`."""
    data = gazetteer(language)
    return EntityRuler(data, ner_labels) if data is not None else None


def load_ruler(
    language: str, ner_labels: Collection[str], models: dict[str, str]
) -> EntityRuler | None:
    """An engine's ruler, named in its ``models`` (so the cache key follows the data);
    a malformed gazetteer stops the engine's load."""
    try:
        ruler = ruler_for(language, ner_labels)
    except GazetteerError as exc:
        raise EngineLoadError(str(exc)) from exc
    if ruler is not None:
        models["gazetteer"] = ruler.gazetteer.label
    return ruler
