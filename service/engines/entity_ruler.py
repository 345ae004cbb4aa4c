"""The entity ruler: corrects an engine's named entities with the language's gazetteer.

It runs on the neutral document after any engine, so spaCy and Stanza get the same
corrections from the same data. Two steps, in order:

1. Amounts and scores are cut out of names, whatever the NER labelled the whole ("Apple 1.8
   billion" LAW -> "Apple" MISC, which step 2 may type): "Arsenal 4-0
   Chelsea" -> "Arsenal", "Chelsea"; a name entity that is only a score goes.
2. Gazetteer names found on token boundaries (longest first, case-sensitive) are merged
   with the NER's entities: a name the NER missed is added; one the NER found with the
   same span keeps its span and takes the gazetteer's type when the types differ ("Bloomberg
   News" PER -> ORG, "Brasília" PER -> LOC); a longer NER name that contains a gazetteer name
   stays whole ("Marine Le Pen" is never cut to "Le Pen"); a gazetteer name that contains
   NER entities replaces them ("Le Monde" for "Monde"); where the two cross, the NER wins.
   Articles are no part of names (the gazetteer's ``articles``): an NER span of an article
   and a gazetteer name is that name ("The Scottish National Party", "La France"), and a
   name whose article the text merged into a preposition is found without it, with its
   whole name as canonical ("au Monde": "Monde", canonical "Le Monde").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace

from service.document import AnnotatedDocument, Entity, Token
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
# Labels whose entities are amounts; dates and times, which hold numbers of their own.
_NUMERIC = frozenset({"MONEY", "CARDINAL", "QUANTITY", "PERCENT"})
_NOT_NAMES = frozenset({"DATE", "TIME", "ORDINAL"})
_AMOUNT_REACH = 40  # characters after an entity where the amount it begins may end


@dataclass(frozen=True, slots=True)
class _Match:
    start: int
    end: int
    sentence: int
    entry: GazetteerEntry
    outer: int = -1  # the start of the article the name follows ("au" of "au Monde")


def _in_compound(text: str, start: int, end: int) -> bool:
    """True for a name inside a hyphenated word ("pro-Beijing", "Apple-backed"): the word
    is not the name."""
    before = start >= 2 and text[start - 1] == "-" and text[start - 2].isalnum()
    return before or (text[end : end + 1] == "-" and text[end + 1 : end + 2].isalnum())


def _opens_sentence(doc: AnnotatedDocument, token: Token) -> bool:
    """True for the first token of its sentence, where a capital says nothing."""
    sentences = doc.sentences
    return token.index == 0 or (
        token.sentence < len(sentences) and sentences[token.sentence].token_start == token.index
    )


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``start, end`` without the punctuation and spaces at its edges; None when no
    letter is left."""
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return (start, end) if any(c.isalpha() for c in text[start:end]) else None


def _cuts(pattern: re.Pattern[str], text: str, entity: Entity) -> list[tuple[int, int]]:
    """The amounts that begin inside the entity, cut at its end: the NER often stops a
    name's span inside the amount it glued to it ("Sanofi 2" of "Sanofi 2 milliards",
    "Arsenal 4" of "Arsenal 4-0")."""
    reach = min(len(text), entity.end + _AMOUNT_REACH)
    found = pattern.finditer(text, entity.start, reach)
    return [(m.start(), min(m.end(), entity.end)) for m in found if m.start() < entity.end]


def engine_labels(ner_labels: Collection[str]) -> dict[str, str]:
    """Gazetteer type -> the label an engine with these NER labels uses for it."""
    return {t: _ONTONOTES.get(t, t) if _ONTONOTES.get(t) in ner_labels else t for t in COARSE}


def _amount_pattern(number_words: tuple[str, ...], bare: bool = True) -> re.Pattern[str]:
    """Amounts with a currency or a number word ("1.8 billion euros", "€5m"); with
    ``bare``, also scores and bare decimals ("4-0", "1.8"), which inside a non-name
    entity may be a version or a title ("Windows 3.1")."""
    words = "|".join(re.escape(w) for w in sorted(number_words, key=len, reverse=True))
    unit = rf"(?:{_CURRENCY}|(?:{words})(?!\w))"
    amount = rf"{_CURRENCY}\s?{_NUMBER}(?:\s?{unit})*|{_NUMBER}(?:\s?{unit})+"
    if bare:
        amount = rf"{_SCORE}|{amount}|\d+[.,]\d+"
    return re.compile(rf"(?<!\w)(?:{amount})(?!\w)", re.IGNORECASE)


class EntityRuler:
    """One language's gazetteer applied to the entities of an engine's documents."""

    def __init__(self, gazetteer: Gazetteer, ner_labels: Collection[str]) -> None:
        self.gazetteer = gazetteer
        self._labels = engine_labels(ner_labels)
        self._amount = _amount_pattern(gazetteer.number_words)
        self._money = _amount_pattern(gazetteer.number_words, bare=False)
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
        """The parts of an entity that are not amounts or scores: a name entity keeps its
        name parts (none when it is only an amount); other entities go to
        :meth:`_name_before_amount`, dates and times excepted."""
        if entity.label in _NOT_NAMES:
            yield entity
            return
        if entity.label not in COARSE:
            yield from self._name_before_amount(text, entity)
            return
        cuts = _cuts(self._amount, text, entity)
        bounds = [entity.start, *(x for m in cuts for x in m), entity.end]
        for start, end in zip(bounds[::2], bounds[1::2], strict=True):
            piece = _trimmed(text, start, end)
            if piece is not None:
                yield replace(entity, start=piece[0], end=piece[1])

    def _name_before_amount(self, text: str, entity: Entity) -> Iterator[Entity]:
        """A non-name entity that is a name glued to an amount ("Apple 1.8 billion" LAW,
        "Google 4.3 billion dollars" MONEY): the capitalised words before the amount
        become a name of unknown type (MISC), which the gazetteer may then type; a number
        entity keeps its amounts, another loses them. Without such an amount, as is."""
        cuts = _cuts(self._money, text, entity)
        piece = _trimmed(text, entity.start, cuts[0][0]) if cuts else None
        if piece is None or not text[piece[0]].isupper():
            yield entity
            return
        yield replace(entity, start=piece[0], end=piece[1], type="misc", label="MISC")
        if entity.label in _NUMERIC:
            yield from (replace(entity, start=start, end=end) for start, end in cuts)

    def _matches(self, doc: AnnotatedDocument) -> Iterator[_Match]:
        """Gazetteer names on token boundaries, longest first, left to right, without
        overlaps. A name may run over a sentence boundary the engine put inside it (the
        French parser cuts "Marine | Le Pen") but never over a line break. After a word
        that holds the name's article ("au Monde", "du Caire"), the name matches without
        it, the span being what the text shows ("Monde")."""
        text, names, tokens = doc.text, self.gazetteer.names, doc.tokens
        reached = -1
        for i, first in enumerate(tokens):
            start = first.start
            outer, article = self._article_before(doc, i)
            if start < reached or (text[start] not in self._first and not article):
                continue
            found = None
            for j in range(i, len(tokens)):
                end = tokens[j].end
                if end - start > self._longest or "\n" in text[start:end]:
                    break
                entry = names.get(surface_key(text[start:end]))
                if entry is None and article:
                    space = "" if article[-1] in "'\u2019" else " "  # "L'Équipe"
                    entry = names.get(surface_key(f"{article}{space}{text[start:end]}"))
                if entry is not None:
                    found = _Match(start, end, first.sentence, entry, outer)
            if found is not None and not _in_compound(text, found.start, found.end):
                reached = found.end
                yield found

    def _article_before(self, doc: AnnotatedDocument, i: int) -> tuple[int, str]:
        """The start of the article just before token ``i`` ("the", "l'", "au") and the
        article a name that has one begins with ("au" -> "Le", "the" -> "The"); (-1, "")
        for none. Read from the text, since an engine may split "au" into "à" + "le" (both
        words then span "au"). Never inside a name ("la Coupe du Monde": a capital
        before)."""
        text, tokens = doc.text, doc.tokens
        if i == 0:
            return -1, ""
        before = tokens[i - 1]
        word = text[before.start : before.end]
        gap = text[before.end : tokens[i].start]
        held = self.gazetteer.articles.get(word.lower())
        if held is None or not (gap in (" ", "\u00a0") or (not gap and word[-1] in "'\u2019")):
            return -1, ""
        previous = next((t for t in reversed(tokens[:i]) if t.start < before.start), None)
        if (
            previous is not None
            and text[previous.start : previous.start + 1].isupper()
            and not _opens_sentence(doc, previous)
        ):
            return -1, ""
        return before.start, held

    def _merge(self, entities: list[Entity], match: _Match) -> list[Entity]:
        """``entities`` with one gazetteer match merged in (see the module's docstring)."""
        overlapping = [e for e in entities if e.start < match.end and match.start < e.end]
        for e in overlapping:
            if e.start <= match.start and match.end <= e.end:  # the NER span covers it
                if e.end == match.end and e.start in (match.start, match.outer):
                    # the same name, or with an article the NER took in ("du Caire",
                    # "The Scottish National Party"): the name's span
                    retyped = replace(self._retyped(e, match.entry), start=match.start)
                    return [retyped if x is e else x for x in entities]
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
