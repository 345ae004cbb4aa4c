"""Client-given targets: names or topics ("Russie", "sanctions"), or character spans."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.analysis.actors import Actor
from service.analysis.knowledge import fold
from service.analysis.mentions import Mention
from service.analysis.syntax import Tree

SPAN = "span"
TOPIC = "topic"


@dataclass(slots=True, kw_only=True)
class Target:
    """A target with the actor it resolved to (if any) and its mentions in the text."""

    id: str
    text: str
    start: int | None = None
    end: int | None = None
    actor: Actor | None = None
    mentions: list[Mention] = field(default_factory=list)


def _span_target(tree: Tree, actors: list[Actor], tid: str, start: int, end: int) -> Target:
    text = tree.doc.span(start, end)
    inside = tree.tokens_in(start, end)
    sentence = tree.tokens[inside[0]].sentence if inside else 0
    mention = Mention(
        start=start,
        end=end,
        sentence=sentence,
        name=text,
        type="other",
        kind=SPAN,
        head=tree.head_of(start, end),
    )
    actor = next((a for a in actors for m in a.mentions if m.start < end and start < m.end), None)
    return Target(id=tid, text=text, start=start, end=end, actor=actor, mentions=[mention])


def _topic_target(tree: Tree, actors: list[Actor], tid: str, text: str) -> Target:
    key = fold(text)
    place = tree.kb.place_of(text)
    for actor in actors:
        forms = {fold(actor.name)} | {fold(m.name) for m in actor.mentions}
        forms |= {fold(tree.doc.span(m.start, m.end)) for m in actor.mentions}
        if key in forms or (place is not None and place.name == actor.name):
            return Target(id=tid, text=text, actor=actor, mentions=list(actor.mentions))
    words = key.split()
    found = []
    tokens = tree.tokens
    for i in range(len(tokens) - len(words) + 1):
        window = tokens[i : i + len(words)]
        if all(
            fold(t.text) == w or tree.lemma(t.index) == w
            for t, w in zip(window, words, strict=True)
        ):
            start, end = window[0].start, window[-1].end
            found.append(
                Mention(
                    start=start,
                    end=end,
                    sentence=window[0].sentence,
                    name=text,
                    type="other",
                    kind=TOPIC,
                    head=tree.head_of(start, end),
                )
            )
    if not found and len(words) > 1:
        surnamed = _by_surname(actors, words[-1])
        if surnamed is not None:
            return Target(id=tid, text=text, actor=surnamed, mentions=list(surnamed.mentions))
    return Target(id=tid, text=text, mentions=found)


def _by_surname(actors: list[Actor], surname: str) -> Actor | None:
    """The one person actor named by the last word of a full-name target the text never
    spells out ("Donald Trump" for an article that says only "Trump"); None when no
    person, or more than one, goes by it."""
    people = [
        a
        for a in actors
        if a.type == "person"
        and surname in {fold(a.name).split()[-1], *(fold(m.name) for m in a.mentions)}
    ]
    return people[0] if len(people) == 1 else None


def resolve(tree: Tree, actors: list[Actor], specs: list[Any]) -> list[Target]:
    """Targets ``t1``, ``t2``... in the order the client gave them."""
    out = []
    for number, spec in enumerate(specs, 1):
        tid = f"t{number}"
        if isinstance(spec, dict):
            out.append(_span_target(tree, actors, tid, spec["start"], spec["end"]))
        else:
            out.append(_topic_target(tree, actors, tid, spec))
    return out
