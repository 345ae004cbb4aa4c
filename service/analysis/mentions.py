"""Find the mentions of actors in a document: names and nationality words (role phrases and
pronouns are :mod:`service.analysis.references`).

Each finder reads the neutral model and the language knowledge; grouping them into actors
is :mod:`service.analysis.actors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.analysis.knowledge import Knowledge, fold
from service.analysis.syntax import AGENT, Tree
from service.document import AnnotatedDocument, Entity

ACTOR_TYPES = frozenset({"person", "organisation", "gpe", "location"})
# Names the engine typed otherwise that may still be people: kept as mentions until the
# grouping sees whether a role phrase comes right before them.
_MAYBE_PEOPLE = frozenset({"misc"})
# Punctuation an engine sometimes leaves at the edge of an entity span (dashes, quotes).
EDGE = " \t,;:.-\u2013\u2014()[]\"'\u00ab\u00bb\u201c\u201d"
NAME, NOMINAL, PRONOUN, DEMONYM, METONYM = "name", "nominal", "pronoun", "demonym", "metonym"
_NAME_POS = frozenset({"PROPN", "NOUN", "X"})
_SENTENCE_ENDS = frozenset({".", "!", "?", "\u2026", ":"})


@dataclass(slots=True, kw_only=True)
class Mention:
    """One occurrence of an actor. ``name`` is the form without titles or determiners."""

    start: int
    end: int
    sentence: int
    name: str
    type: str
    kind: str = NAME
    head: int | None = None
    entity: int | None = None
    place: str | None = None  # the country or organisation it stands for, if known
    place_kind: str | None = None  # "country" or "organisation"
    known: str | None = None  # the engine's canonical name of a name its gazetteer knows
    roles: set[str] = field(default_factory=set)  # role phrases seen right before a name


def _prefix_length(text: str, prefixes: tuple[str, ...]) -> int:
    """How many leading characters of ``text`` are titles or determiners."""
    cut = 0
    while True:
        rest = fold(text[cut:])
        if not rest.startswith(prefixes):
            return cut
        hit = next(
            (
                p
                for p in prefixes
                if rest.startswith(p)
                and (p.endswith(("'", " ")) or rest[len(p) : len(p) + 1] == " ")
            ),
            None,
        )
        if hit is None:
            return cut
        cut += len(hit)
        cut += len(text[cut:]) - len(text[cut:].lstrip())


def _is_noise(doc: AnnotatedDocument, tree: Tree, entity: Entity, name: str) -> bool:
    kb = tree.kb
    if len(name) < 2 or not any(c.isalpha() for c in name) or fold(name) in kb.noise:
        return True
    if kb.place_of(name) is not None or entity.canonical is not None:
        return False  # a known name ("LFI") whatever the tagger made of it
    if (
        "\n" in doc.span(entity.start, entity.end)
        or fold(doc.span(entity.start, entity.end)) in kb.noise
    ):
        return True
    tokens = [tree.tokens[i] for i in tree.tokens_in(entity.start, entity.end)]
    # A common word tagged as a name ("Hier", "Comparer" at a sentence start): the tagger
    # that ran alongside the NER says it is no noun.
    return (
        bool(tokens)
        and all(t.upos for t in tokens)
        and not any(t.upos in _NAME_POS for t in tokens)
    )


def _in_caption(text: str, start: int, noise: frozenset[str]) -> bool:
    """True for a name in a credit line: "(Image: Daily Express)"."""
    before = fold(text[max(0, start - 12) : start]).rstrip()
    return before.endswith(":") and any(before[:-1].rstrip().endswith(n) for n in noise)


def _split_title(tree: Tree, start: int, end: int) -> tuple[int, str | None]:
    """For a span like "ministre ukrainien des Affaires étrangères Dmytro Kuleba", where
    the engine took the title into the name: the start of the trailing name and the role."""
    kb = tree.kb
    inside = list(tree.tokens_in(start, end))
    if not inside:
        return start, None
    text = fold(tree.doc.span(start, end))
    if not text.startswith(kb.role_openings):
        return start, None
    k = len(inside)
    while k > 0 and tree.tokens[inside[k - 1]].text[:1].isupper():
        k -= 1
    if k == 0 or k == len(inside):
        return start, text if k == len(inside) else None
    name_start = tree.tokens[inside[k]].start
    return name_start, fold(tree.doc.span(start, tree.tokens[inside[k - 1]].end))


def _joined(doc: AnnotatedDocument) -> list[tuple[int, Entity]]:
    """The engine's entities as (index, span), two person spans that touch ("Andrés
    Manuel" + "López Obrador", nothing but a space between) joined into one name under the
    first one's index (the second entity then belongs to no actor)."""
    out: list[tuple[int, Entity]] = []
    joined = False
    for index, entity in enumerate(doc.entities):
        if out and not joined and _touch(doc, out[-1][1], entity):
            first, previous = out[-1]
            span = Entity(previous.start, entity.end, "person", previous.label, entity.sentence)
            out[-1], joined = (first, span), True
            continue
        out.append((index, entity))
        joined = False
    return out


def _touch(doc: AnnotatedDocument, left: Entity, right: Entity) -> bool:
    return (
        left.type == right.type == "person"
        and left.sentence == right.sentence
        and left.end < right.start
        and not doc.text[left.end : right.start].strip()
    )


def _extend_left(tree: Tree, entity: Entity) -> Entity:
    """The span with what the engine left out just before it: a capitalised article inside
    a sentence ("selon Le Monde", "in The Hague"), or for a person a first name the parser
    tore off ("Marine" before "Le Pen") that is no title, place or nationality word."""
    inside = tree.tokens_in(entity.start, entity.end)
    start = entity.start
    if not inside or inside[0] == 0:
        return entity
    before = tree.tokens[inside[0] - 1]
    if tree.doc.text[before.end : start].strip():
        return entity
    # The sentence splitter is no guide: it sometimes cuts a torn-off first name off.
    first = before.index == 0 or tree.tokens[before.index - 1].text in _SENTENCE_ENDS
    articles = tree.kb.articles
    article = before.text[:1].isupper() and bool(
        {fold(before.text), fold(before.text) + " "} & set(articles)
    )
    torn_off = entity.type == "person" and before.upos == "PROPN"
    # At a sentence start, a capital says nothing; there "Le" joins only when another
    # name of the document ends with it ("Le Maire" after "Bruno Le Maire").
    if article and first:
        joined = fold(tree.doc.span(before.start, entity.end))
        article = any(
            fold(tree.doc.span(e.start, e.end)).endswith(" " + joined) for e in tree.doc.entities
        )
    if article or (torn_off and _first_name(tree.kb, before.text)):
        start = before.start
    if start == entity.start:
        return entity
    return Entity(start, entity.end, entity.type, entity.label, entity.sentence, entity.canonical)


def _first_name(kb: Knowledge, word: str) -> bool:
    form = fold(word)
    return (
        word[:1].isupper()
        and word.isalpha()
        and form not in kb.role_openings
        and kb.place_of(word) is None
        and kb.demonym_of(word) is None
        and form not in kb.noise
    )


def _trim_amount(tree: Tree, start: int, end: int) -> int:
    """The end of a name without the numbers stuck after it ("Arsenal 4-0", "Apple 1.8
    billion") or a possessive clitic ("Biden's"): trailing tokens that are numbers,
    symbols, case particles or hold no letter, and any parenthesis ("Haaland (doublé)")."""
    inside = list(tree.tokens_in(start, end))
    opening = next((k for k, i in enumerate(inside) if k and tree.tokens[i].text in "(["), None)
    inside = inside[:opening]
    while len(inside) > 1:
        last = tree.tokens[inside[-1]]
        clitic = last.upos == "PART" and last.deprel == "case"  # the possessive "'s"
        if not clitic and last.upos not in ("NUM", "SYM") and any(c.isalpha() for c in last.text):
            break
        inside.pop()
    return tree.tokens[inside[-1]].end if inside else end


def _part_of(short: str, name: str, kind: str) -> bool:
    """True when ``short`` begins ``name``, or ends it for an organisation ("Commission",
    "European Commission"; the end of a person's name is a surname: "Le Pen")."""
    return name.startswith(short + " ") or (kind != "person" and name.endswith(" " + short))


def _name(kb: Knowledge, surface: str, others: frozenset[tuple[str, str]]) -> str:
    """The name without titles and determiners. A capitalised article alone before the
    name is part of it ("Le Pen", "Le Monde", "The Guardian") unless what follows is known
    without it: a country, organisation or nationality word ("La France", "The Kremlin"),
    or the start of another name in the document ("La Commission", "Commission
    européenne")."""
    cut = _prefix_length(surface, kb.titles + kb.articles)
    rest = surface[cut:].strip(EDGE)
    if (
        cut
        and cut == _prefix_length(surface, kb.articles)
        and surface[:1].isupper()
        and kb.place_of(rest) is None
        and kb.demonym_of(rest) is None
        and not any(
            o == fold(rest) or _part_of(fold(rest), o, kind)
            for o, kind in others
            if o != fold(surface.strip(EDGE))  # not the name itself
        )
    ):
        return surface.strip(EDGE)
    return rest


def name_mentions(doc: AnnotatedDocument, tree: Tree) -> list[Mention]:
    """Mentions from the engine's named entities, cleaned of titles, determiners and
    amounts, noise filtered."""
    out: list[Mention] = []
    others = frozenset((fold(doc.span(e.start, e.end).strip(EDGE)), e.type) for e in doc.entities)
    for index, entity in _joined(doc):
        if entity.type not in ACTOR_TYPES | _MAYBE_PEOPLE:
            continue
        mention = _entity_mention(tree, index, entity, others)
        if mention is not None:
            # The name may reach beyond the engine's span ("Marine" + "Le Pen"); the
            # mention's offsets stay inside it, as the answer's contract says.
            own = doc.entities[index]
            mention.start, mention.end = max(mention.start, own.start), min(mention.end, own.end)
            out.append(mention)
    return out


def _entity_mention(
    tree: Tree, index: int, entity: Entity, others: frozenset[tuple[str, str]]
) -> Mention | None:
    doc, kb = tree.doc, tree.kb
    core, entity = entity, _extend_left(tree, entity)
    start, role = _split_title(tree, entity.start, entity.end)
    end = entity.end
    if kb.place_of(doc.span(start, end)) is None:
        end = _trim_amount(tree, start, end)  # "G 7" is a name; "Arsenal 4-0" is not
    name = _name(kb, doc.span(start, end), others)
    if _is_noise(doc, tree, entity, name):
        return None
    if role is not None and start == entity.start:
        # A bare role phrase ("ministre russe des Affaires étrangères"): nominal.
        return Mention(
            start=entity.start,
            end=entity.end,
            sentence=entity.sentence,
            name=role,
            type="person",
            kind=NOMINAL,
            head=tree.head_of(entity.start, entity.end),
            entity=index,
        )
    if _in_caption(doc.text, entity.start, kb.noise):
        return None
    trimmed = Entity(
        entity.start, end, entity.type, entity.label, entity.sentence, entity.canonical
    )
    mention = _named(tree, index, trimmed, start, name, role)
    if entity is not core:
        # What the engine left out plays no part in the clause: the head is the core's.
        mention.head = tree.head_of(max(start, core.start), end)
    return mention


def _named(
    tree: Tree, index: int, entity: Entity, start: int, name: str, role: str | None
) -> Mention:
    """A name, with the country or organisation it stands for when it is one: by name,
    capital or metonym (a capital only when it acts), or by nationality word."""
    kb = tree.kb
    head = tree.head_of(start, entity.end)
    place = kb.place_of(name)
    if place is None and entity.canonical:
        place = kb.place_of(entity.canonical)  # "du Caire": "Caire", known as "Le Caire"
    form = fold(name)
    capital = place is not None and form in place.capitals
    if capital and not (head is not None and tree.role(head).kind == AGENT):
        place = None  # "à Kiev" is a city; "Moscou a répondu" is the state
    kind_of = NAME if place is None or form in place.names else METONYM
    if place is None and (place := kb.demonym_of(name)) is not None:
        kind_of = DEMONYM  # "les Russes" stand for Russia
    mention = Mention(
        start=start,
        end=entity.end,
        sentence=entity.sentence,
        name=name,
        # A capital the engine took for a person ("Kyiv said") is a place all the same.
        type="person" if role is not None else "gpe" if capital else entity.type,
        kind=kind_of,
        head=head,
        entity=index,
        place=place.name if place else None,
        place_kind=place.kind if place else None,
        known=entity.canonical,
    )
    if role:
        mention.roles.add(role)
    return mention


def demonym_mentions(doc: AnnotatedDocument, tree: Tree, taken: set[int]) -> list[Mention]:
    """Nationality words that stand for their country ("l'occupation russe", "the
    Russians"), except inside a role phrase ("le président russe" names a person)."""
    kb = tree.kb
    out = []
    for token in doc.tokens:
        if token.index in taken:
            continue
        place = kb.demonym_of(token.text)
        if place is None or token.upos not in ("ADJ", "NOUN", "PROPN"):
            continue
        governor = token.head
        if governor >= 0 and fold(doc.tokens[governor].lemma or "").startswith(kb.role_heads):
            continue
        out.append(
            Mention(
                start=token.start,
                end=token.end,
                sentence=token.sentence,
                name=place.name,
                type="gpe",
                kind=DEMONYM,
                head=token.index,
                place=place.name,
                place_kind=place.kind,
            )
        )
    return out


def is_agentive(tree: Tree, mention: Mention) -> bool:
    """True when the mention acts: the subject of a predicate or a passive's agent ("par
    la Russie"). The owner of an event noun ("l'agression de la Russie") does not count."""
    if mention.head is None:
        return False
    return tree.role(mention.head).kind == AGENT
