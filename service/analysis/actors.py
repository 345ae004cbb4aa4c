"""Group mentions into actors: who is in the article.

Names group by their folded form, a lone surname joins the one full name it ends
("Blinken" -> "Anthony Blinken"), near-identical spellings join ("Zelensky"/"Zelenskyy"),
countries gather their capitals, metonyms and nationality words, and role phrases and
pronouns join the actor they clearly refer to. Places that only locate events stay
entities; they become actors when they act.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from service.analysis.knowledge import fold
from service.analysis.mentions import (
    ACTOR_TYPES,
    DEMONYM,
    NAME,
    NOMINAL,
    PRONOUN,
    Mention,
    demonym_mentions,
    is_agentive,
    name_mentions,
)
from service.analysis.people import missed_people, retype_people
from service.analysis.references import nominal_mentions, pronoun_mentions, roles_before
from service.analysis.syntax import Tree

# Salience: how often an actor is mentioned, how early, whether in the title, how often as
# subject. Chosen by hand (they sum to 1), not fitted.
_BY_FREQUENCY, _BY_POSITION, _BY_TITLE, _BY_SUBJECT = 0.45, 0.2, 0.2, 0.15
# An acronym in parentheses right after a name: capitals, digits, "&", "-" and dots.
_ACRONYM = re.compile(r"\s*\(\s*([A-Z][A-Z0-9&.\-]{1,9})\s*\)")


@dataclass(slots=True, kw_only=True)
class Actor:
    """Mentions grouped under one canonical name."""

    id: str
    name: str
    type: str
    mentions: list[Mention] = field(default_factory=list)
    roles: set[str] = field(default_factory=set)
    salience: float = 0.0


def _close(a: str, b: str) -> bool:
    """Spellings one edit apart, for names long enough that this is no accident."""
    if a == b:
        return True
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _contains(words: list[str], part: list[str]) -> bool:
    """True when ``part`` is a run of ``words`` ("premier ministre" in "le premier ministre
    britannique")."""
    return any(words[i : i + len(part)] == part for i in range(len(words) - len(part) + 1))


def _same_person(a: str, b: str) -> bool:
    """Same last word, and one name is the other's tail ("Obrador", "López Obrador", "de
    Gaulle", "von Weizsäcker") or they share the first word."""
    wa, wb = a.split(), b.split()
    if not _close(wa[-1], wb[-1]):
        return False
    short, long_ = sorted((wa, wb), key=len)
    return long_[len(long_) - len(short) : -1] == short[:-1] or _close(wa[0], wb[0])


def _key(mention: Mention, people: list[str]) -> str:
    if mention.place:
        return "place:" + fold(mention.place)
    if mention.known and mention.type != "person":
        # The gazetteer's name ("RN" -> "Rassemblement national", "au Monde" -> "Le
        # Monde"); people group by their names' tails instead.
        return "known:" + fold(mention.known)
    name = fold(mention.name)
    if mention.type != "person" and any(p.endswith(" " + name) for p in people):
        # "Le Maire" typed a place, "Bruno Le Maire" a person: the tail of a person's name
        # is that person.
        mention.type = "person"
    if mention.type == "person":
        matches = [p for p in people if _same_person(name, p)]
        full = [p for p in matches if " " in p]
        if full and all(_same_person(a, b) for a in full for b in full):
            return "person:" + max(full, key=len)
        if full:
            return "person:" + name  # "Johnson" with two different Johnsons: stays apart
        if matches:
            return "person:" + max(matches, key=len)
    return f"{mention.type}:{name}"


def _keys(tree: Tree, mentions: list[Mention]) -> dict[int, str]:
    """The group key of each mention (by ``id``); a short form of an organisation takes
    the key of the name it stands for (:func:`_short_forms`)."""
    people = sorted({fold(m.name) for m in mentions if m.type == "person"}, key=len, reverse=True)
    keys = {id(m): _key(m, people) for m in mentions}
    by_name = {fold(m.name): keys[id(m)] for m in mentions}
    short = _short_forms(tree, mentions)
    for m in mentions:
        if m.place is None and short.get(id(m)) in by_name:
            keys[id(m)] = by_name[short[id(m)]]
    return keys


def _short_forms(tree: Tree, mentions: list[Mention]) -> dict[int, str]:
    """Organisations named short: an acronym given in parentheses after the name ("le
    Rassemblement national (RN)"), or the name's first words when only one organisation
    of the document starts or ends with them ("la Commission", "Commission européenne";
    "the Commission", "European Commission")."""
    organisations = [m for m in mentions if m.type != "person" and m.kind == NAME]
    acronyms = {}
    for m in organisations:
        found = _ACRONYM.match(tree.doc.text, m.end)
        if found and "organisation" in (m.type, m.place_kind):
            acronyms[fold(found.group(1))] = fold(m.name)
    names = {id(m): fold(m.name) for m in organisations}
    longer = _longer_names(set(names.values()))
    out = {}
    for m in organisations:
        name = names[id(m)]
        if name in acronyms:
            out[id(m)] = acronyms[name]
        elif len(longer.get(name, ())) == 1:
            out[id(m)] = next(iter(longer[name]))
    return out


def _longer_names(names: set[str]) -> dict[str, set[str]]:
    """For each run of first or last words of a name, the longer names it starts or ends.

    An index, not a comparison of every mention with every other: a long text dense with
    organisation names made that quadratic (16 s of 27 at 20,000 tokens)."""
    index: dict[str, set[str]] = {}
    for name in names:
        words = name.split(" ")
        for k in range(1, len(words)):
            index.setdefault(" ".join(words[:k]), set()).add(name)
            index.setdefault(" ".join(words[-k:]), set()).add(name)
    return index


def _canonical(members: list[Mention]) -> tuple[str, str]:
    named = [m for m in members if m.kind == NAME] or members
    placed = next((m for m in members if m.place), None)
    if placed is not None:
        return placed.place or "", placed.place_kind or placed.type
    known = next((m for m in members if m.known and m.type != "person"), None)
    if known is not None:
        return known.known or "", Counter(m.type for m in named).most_common(1)[0][0]
    names = Counter(m.name for m in named)
    name = max(names, key=lambda n: (len(n.split()), len(n), names[n]))
    return name, Counter(m.type for m in named).most_common(1)[0][0]


def _resolve(tree: Tree, actors: list[Actor], mention: Mention) -> Actor | None:
    """The actor a role phrase or pronoun refers to, when exactly one fits."""
    before = [a for a in actors if a.type == "person" and a.mentions[0].start < mention.start]
    if mention.kind == NOMINAL:
        exact = [a for a in before if mention.name in a.roles]
        if len(exact) == 1:
            return exact[0]
        loose = [
            a for a in before if any(_contains(r.split(), mention.name.split()) for r in a.roles)
        ]
        return loose[0] if len(loose) == 1 else None
    # A pronoun: the one person named in this or the previous sentence before it, if it
    # acts there; with two people around, it is left alone.
    near = [
        (a, m)
        for a in before
        for m in a.mentions
        if mention.sentence - 1 <= m.sentence <= mention.sentence
        and m.start < mention.start
        and m.kind != PRONOUN
    ]
    people = {id(a) for a, _ in near}  # ids are given later
    if len(people) != 1 or not any(is_agentive(tree, m) for _, m in near):
        return None
    return near[0][0]


def group_actors(tree: Tree) -> list[Actor]:
    """All actors of the document, ordered by first mention, ids ``a1``, ``a2``..."""
    doc = tree.doc
    names = _typed(tree, name_mentions(doc, tree))
    taken = {i for m in names for i in tree.tokens_in(m.start, m.end)}
    missed = missed_people(tree, taken)  # "Erling Haaland (scored twice)", "Arteta said"
    taken |= {i for m in missed for i in tree.tokens_in(m.start, m.end)}
    names += missed
    retype_people(tree, names)  # "Guardiola said", "Haaland a marqué"
    nominal = [m for m in names if m.kind == NOMINAL]
    names = [m for m in names if m.kind != NOMINAL]
    extra = demonym_mentions(doc, tree, taken)
    groups: dict[str, list[Mention]] = {}
    mentions = names + extra
    keys = _keys(tree, mentions)
    for m in mentions:
        groups.setdefault(keys[id(m)], []).append(m)
    actors = []
    for members in groups.values():
        members.sort(key=lambda m: m.start)
        if not _acts_or_is_actor(tree, members):
            continue
        name, kind = _canonical(members)
        roles = set().union(*(m.roles for m in members))
        actors.append(Actor(id="", name=name, type=kind, mentions=members, roles=roles))
    taken |= {i for a in actors for m in a.mentions for i in tree.tokens_in(m.start, m.end)}
    pending = nominal + nominal_mentions(tree, taken) + pronoun_mentions(tree, taken)
    for m in sorted(pending, key=lambda m: m.start):
        actors.sort(key=lambda a: a.mentions[0].start)
        actor = _resolve(tree, actors, m)
        if actor is not None:
            actor.mentions.append(m)
            actor.mentions.sort(key=lambda x: x.start)
    actors.sort(key=lambda a: a.mentions[0].start)
    for number, actor in enumerate(actors, 1):
        actor.id = f"a{number}"
    return actors


def _typed(tree: Tree, names: list[Mention]) -> list[Mention]:
    """Names with the role phrases right before them; a name after a role is a person
    whatever the engine typed it ("the Airbus chief executive Guillaume Faury",
    "l'entraîneur Pep Guardiola"). Other names the engine typed as no actor are dropped."""
    out = []
    for m in names:
        if m.kind != NOMINAL:
            m.roles |= roles_before(tree, m)
        if m.roles and m.place is None:
            m.type = "person"
        if m.type in ACTOR_TYPES:
            out.append(m)
    return out


def _acts_or_is_actor(tree: Tree, members: list[Mention]) -> bool:
    """People, organisations and countries are actors; a city or region only when it acts;
    nationality words alone do not make an actor."""
    if all(m.kind == DEMONYM for m in members):
        return False
    if any(m.type in ("person", "organisation") or m.place for m in members if m.kind == NAME):
        return True
    return any(is_agentive(tree, m) for m in members)


def owner_of_entities(actors: list[Actor]) -> dict[int, str]:
    """Entity index -> id of the actor it is a mention of."""
    return {m.entity: a.id for a in actors for m in a.mentions if m.entity is not None}


def salience(actors: list[Actor], tree: Tree, title: str | None) -> None:
    """Set each actor's salience in [0, 1]: how often, how early, in the title, as subject."""
    if not actors:
        return
    most = max(len(a.mentions) for a in actors)
    length = max(1, len(tree.doc.text))
    folded_title = fold(title or "")
    for actor in actors:
        frequency = len(actor.mentions) / most
        position = 1 - actor.mentions[0].start / length
        in_title = float(
            bool(folded_title)
            and any(fold(m.name) in folded_title for m in actor.mentions if m.kind == NAME)
        )
        subject = sum(is_agentive(tree, m) for m in actor.mentions) / len(actor.mentions)
        score = (
            _BY_FREQUENCY * frequency
            + _BY_POSITION * position
            + _BY_TITLE * in_title
            + _BY_SUBJECT * subject
        )
        actor.salience = round(min(1.0, score), 3)


__all__ = ["NAME", "Actor", "group_actors", "owner_of_entities", "salience"]
