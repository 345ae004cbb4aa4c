"""Mentions that refer without a name: role phrases ("le Premier ministre", "the Russian
president") and singular pronouns, found here and resolved to a named actor by
:mod:`service.analysis.actors`; and the role phrases right before a name, which tell which
roles a person holds.
"""

from __future__ import annotations

from functools import cache

from service.analysis.knowledge import fold
from service.analysis.mentions import NOMINAL, PRONOUN, Mention
from service.analysis.syntax import Tree, base


def role_phrase(tree: Tree, first: int) -> tuple[str, int] | None:
    """A role phrase starting at token ``first`` ("Premier ministre britannique"): its
    folded text and the index after its last token."""
    forms = tree.forms
    start = first
    # Adjectives may come first ("the Russian president", "British Prime Minister").
    while (
        start < min(len(forms), first + 2)
        and tree.tokens[start].upos == "ADJ"
        and forms[start] not in _roles_by_first_word(tree.kb.roles)
    ):
        start += 1
    for role in _roles_by_first_word(tree.kb.roles).get(
        forms[start] if start < len(forms) else "", ()
    ):
        words = role.split()
        end = start + len(words)
        if end > len(forms) or forms[start:end] != words:
            continue
        sentence = tree.tokens[first].sentence
        while (
            end < len(forms)
            and tree.tokens[end].upos == "ADJ"
            and tree.tokens[end].sentence == sentence
        ):
            end += 1
        return " ".join(forms[first:end]), end
    return None


@cache
def _roles_by_first_word(roles: tuple[str, ...]) -> dict[str, list[str]]:
    """Roles indexed by their first word, longest first (the knowledge is immutable)."""
    index: dict[str, list[str]] = {}
    for role in roles:
        index.setdefault(role.split()[0], []).append(role)
    return index


def roles_before(tree: Tree, mention: Mention) -> set[str]:
    """Role phrases right before a name ("le président russe Vladimir Poutine")."""
    if mention.head is None:
        return set()
    first = min(tree.tokens_in(mention.start, mention.end))
    found = set()
    for back in range(max(0, first - 6), first):
        if tree.tokens[back].sentence != tree.tokens[first].sentence:
            continue
        hit = role_phrase(tree, back)
        if hit and hit[1] == first:
            found.add(hit[0])
    return found


def nominal_mentions(tree: Tree, taken: set[int]) -> list[Mention]:
    """Definite role phrases not followed by a name ("le Premier ministre"), resolved later."""
    determiners = {a.strip("' ") for a in tree.kb.articles}
    out = []
    for token in tree.tokens:
        i = token.index
        if i in taken or i == 0:
            continue
        before = tree.tokens[i - 1]
        if before.upos != "DET" and fold(before.text) not in determiners:  # "au président"
            continue
        hit = role_phrase(tree, i)
        if hit is None:
            continue
        phrase, end = hit
        if end < len(tree.tokens) and tree.tokens[end].upos == "PROPN":
            continue
        last = tree.tokens[end - 1]
        head = tree.head_of(token.start, last.end)
        out.append(
            Mention(
                start=token.start,
                end=last.end,
                sentence=token.sentence,
                name=phrase,
                type="person",
                kind=NOMINAL,
                head=head,
            )
        )
    return out


def pronoun_mentions(tree: Tree, taken: set[int]) -> list[Mention]:
    """Singular personal pronouns in subject position, resolved later (conservatively)."""
    kb = tree.kb
    singular = kb.pronouns.get("singular_masculine", frozenset()) | kb.pronouns.get(
        "singular_feminine", frozenset()
    )
    out = []
    for token in tree.tokens:
        if token.index in taken or token.upos != "PRON" or fold(token.text) not in singular:
            continue
        if base(token.deprel) != "nsubj":
            continue
        out.append(
            Mention(
                start=token.start,
                end=token.end,
                sentence=token.sentence,
                name=fold(token.text),
                type="person",
                kind=PRONOUN,
                head=token.index,
            )
        )
    return out
