"""Group entity mentions into actors: who is in the article.

Reads only the neutral annotated document. A mention keeps the entity's span as the engine
found it; the actor's canonical name drops titles and determiners ("M. Blinken" -> "Blinken")
and is the fullest form in the text.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from service.analysis.lexicon import ActorLexicon, actor_lexicon
from service.document import AnnotatedDocument, Entity

ACTOR_TYPES = frozenset({"person", "organisation", "gpe", "location"})
# Punctuation an engine sometimes leaves at the edge of an entity span (dashes, quotes).
_EDGE_PUNCTUATION = " \t,;:.-\u2013\u2014()[]\"'\u00ab\u00bb\u201c\u201d"


@dataclass(slots=True)
class Mention:
    """One entity occurrence that belongs to an actor; ``name`` is without titles."""

    entity: int
    start: int
    end: int
    sentence: int
    name: str
    type: str


@dataclass(slots=True)
class Actor:
    """Mentions grouped under one canonical name."""

    id: str
    name: str
    type: str
    mentions: list[Mention] = field(default_factory=list)


def fold(text: str) -> str:
    """Case- and accent-insensitive key: "Sergueï" and "serguei" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _strip_prefixes(text: str, lexicon: ActorLexicon) -> int:
    """How many leading characters of ``text`` are titles or determiners."""
    cut, changed = 0, True
    while changed:
        changed = False
        rest = text[cut:].casefold()
        for prefix in lexicon.titles + lexicon.articles:
            elided = prefix.endswith(("'", "\u2019", " "))
            if rest.startswith(prefix) and (elided or rest[len(prefix) : len(prefix) + 1] == " "):
                cut += len(prefix)
                cut += len(text[cut:]) - len(text[cut:].lstrip())
                changed = True
                break
    return cut


def mention_of(doc: AnnotatedDocument, index: int, entity: Entity) -> Mention | None:
    """The actor mention for an entity, or None when it is noise or not an actor type."""
    if entity.type not in ACTOR_TYPES:
        return None
    surface = doc.span(entity.start, entity.end)
    if "\n" in surface:
        return None  # spans across paragraphs are tokenisation accidents, not names
    lexicon = actor_lexicon(doc.language)
    name = surface[_strip_prefixes(surface, lexicon) :].strip(_EDGE_PUNCTUATION)
    if len(name) < 2 or not any(c.isalpha() for c in name) or fold(name) in lexicon.noise:
        return None
    if fold(surface) in lexicon.noise:
        return None
    return Mention(index, entity.start, entity.end, entity.sentence, name, entity.type)


def _group_key(mention: Mention, surnames: dict[str, set[str]]) -> str:
    key = fold(mention.name)
    if mention.type == "person" and " " not in key and len(surnames.get(key, ())) == 1:
        return next(iter(surnames[key]))  # "Blinken" joins the one "Anthony Blinken"
    return key


def group_actors(doc: AnnotatedDocument) -> list[Actor]:
    """All actors of the document, ordered by first mention, ids ``a1``, ``a2``..."""
    mentions = [m for i, e in enumerate(doc.entities) if (m := mention_of(doc, i, e))]
    surnames: dict[str, set[str]] = {}
    for m in mentions:
        key = fold(m.name)
        if m.type == "person" and " " in key:
            surnames.setdefault(key.rsplit(" ", 1)[1], set()).add(key)
    groups: dict[str, list[Mention]] = {}
    for m in mentions:
        groups.setdefault(_group_key(m, surnames), []).append(m)
    actors = []
    for number, members in enumerate(sorted(groups.values(), key=lambda g: g[0].start), 1):
        names = Counter(m.name for m in members)
        name = max(names, key=lambda n: (len(n.split()), names[n]))
        kind = Counter(m.type for m in members).most_common(1)[0][0]
        actors.append(Actor(f"a{number}", name, kind, members))
    return actors
