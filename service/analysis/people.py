"""Names that are people by what they do (``human_verbs.json``): the active subject of a
verb only a person does ("Guardiola said", "Haaland a marqué"), or a name followed by a
parenthesis that opens with one ("Haaland (scored twice)"), is a person whatever the
engine typed it, unless a data file knows the name (places.json, or the engines' gazetteer
through the entity's canonical name). A capitalised proper noun the engine missed that
does so is a person mention of its own.
"""

from __future__ import annotations

import bisect

from service.analysis.knowledge import fold
from service.analysis.mentions import NAME, Mention
from service.analysis.references import role_phrase
from service.analysis.syntax import AGENT, Tree

# The engine's types a person's name is often mistaken for.
_MISTYPED = frozenset({"gpe", "location", "organisation"})
_OPENING = frozenset({"(", "["})


def _does_human_act(tree: Tree, head: int) -> bool:
    """True when token ``head`` is the active subject of a verb of ``human_verbs``."""
    role = tree.role(head)
    if role.kind != AGENT or role.predicate < 0 or tree.tokens[head].deprel == "obl:agent":
        return False
    predicate = role.predicate
    return (
        tree.tokens[predicate].upos == "VERB"
        and not tree.passive(predicate)
        and tree.lemma(predicate) in tree.kb.human_verbs
    )


def _opens_with_human_act(tree: Tree, after: int) -> bool:
    """True when token ``after`` opens a parenthesis whose first verb, after auxiliaries,
    is one of ``human_verbs`` ("(scored twice)", "(a marqué deux buts)")."""
    tokens = tree.tokens
    if after >= len(tokens) or tokens[after].text not in _OPENING:
        return False
    k = after + 1
    while k < len(tokens) and tokens[k].upos == "AUX":
        k += 1
    return k < len(tokens) and tree.lemma(k) in tree.kb.human_verbs and tokens[k].upos == "VERB"


def _next_token(tree: Tree, end: int) -> int:
    """The index of the first token that starts at or after character ``end`` (a binary
    search: a scan from the start for every mention made long texts quadratic)."""
    return bisect.bisect_left(tree.tokens, end, key=lambda t: t.start)


def _unknown(mention: Mention) -> bool:
    return (
        mention.type in _MISTYPED
        and mention.place is None
        and mention.known is None
        and not mention.name.isupper()  # an acronym names an organisation
    )


def retype_people(tree: Tree, mentions: list[Mention]) -> None:
    """Type as a person every mention of an unknown name typed a place or organisation
    when one of its mentions does what a person does (in place, before grouping)."""
    human = {
        fold(m.name)
        for m in mentions
        if _unknown(m)
        and (
            (m.head is not None and _does_human_act(tree, m.head))
            or _opens_with_human_act(tree, _next_token(tree, m.end))
        )
    }
    for m in mentions:
        if fold(m.name) in human and _unknown(m):
            m.type = "person"


def missed_people(tree: Tree, taken: set[int]) -> list[Mention]:
    """Runs of capitalised proper nouns the engine found no name in that do what a person
    does: the active subject of a human verb ("Ancelotti coaches"), or followed by a
    parenthesis that opens with one ("Erling Haaland (scored twice)"). Person mentions."""
    out = []
    for first, last in _proper_runs(tree, taken):
        start, end = tree.tokens[first].start, tree.tokens[last].end
        name = tree.doc.span(start, end)
        head = tree.head_of(start, end)
        if head is None or tree.kb.place_of(name) is not None or _is_role(tree, first, name):
            continue
        if _does_human_act(tree, head) or _opens_with_human_act(tree, last + 1):
            out.append(
                Mention(
                    start=start,
                    end=end,
                    sentence=tree.tokens[first].sentence,
                    name=name,
                    type="person",
                    kind=NAME,
                    head=head,
                )
            )
    return out


def _is_role(tree: Tree, first: int, name: str) -> bool:
    """True for a role phrase written with capitals ("The Prime Minister told"): a
    reference to someone, resolved by :mod:`service.analysis.references`."""
    return role_phrase(tree, first) is not None or fold(name).startswith(tree.kb.role_openings)


def _proper_runs(tree: Tree, taken: set[int]) -> list[tuple[int, int]]:
    """(first, last) token indices of each run of capitalised proper nouns of one
    sentence outside every mention."""
    runs: list[tuple[int, int]] = []
    for token in tree.tokens:
        if token.index in taken or token.upos != "PROPN" or not token.text[:1].isupper():
            continue
        joins = runs and runs[-1][1] == token.index - 1
        if joins and tree.tokens[token.index - 1].sentence == token.sentence:
            runs[-1] = (runs[-1][0], token.index)
            continue
        runs.append((token.index, token.index))
    return runs
