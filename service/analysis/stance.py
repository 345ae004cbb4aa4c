"""Where each actor stands toward the others: who does what to whom, and who says what.

Sources of stance: an agent's verb frame toward its patient or recipient ("les États-Unis
fournissent des armes à l'Ukraine"), an event noun it owns against a patient ("l'agression
de la Russie contre l'Ukraine"), a directive to a recipient to stop something bad ("a dit au
président russe d'arrêter sa campagne de désinformation"), and how a speaker's quote
portrays the actors it names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from service.analysis.mentions import Mention
from service.analysis.quotes import Quote
from service.analysis.sentiment import Contribution, Scorer, evidence, polarity
from service.analysis.syntax import AGENT, OWNER, PATIENT, RECIPIENT, Tree

_SIGN = {"support": 1.0, "oppose": -1.0}
_THROUGH = ("nmod", "amod", "conj", "appos", "flat", "compound", "obj")
LABEL_ABOVE = 0.1


@dataclass(slots=True)
class Participant:
    """An actor or a client's target, with its mentions."""

    id: str
    mentions: list[Mention]


class StanceFinder:
    """Collects stance contributions between participants of one document."""

    def __init__(self, tree: Tree, scorer: Scorer, participants: list[Participant]) -> None:
        self.tree = tree
        self.kb = tree.kb
        self.scorer = scorer
        self.ids_at: dict[int, set[str]] = {}
        for p in participants:
            for m in p.mentions:
                if m.head is not None:
                    self.ids_at.setdefault(m.head, set()).add(p.id)
        self.found: dict[tuple[str, str], list[Contribution]] = {}

    def _ids_under(self, node: int, depth: int = 3) -> set[str]:
        ids = set(self.ids_at.get(node, ()))
        if depth:
            for k in self.tree.children(node, *_THROUGH):
                ids |= self._ids_under(k, depth - 1)
        return ids

    def _add(self, source: str, targets: Iterable[str], contribution: Contribution) -> None:
        for target in targets:
            if target != source:
                self.found.setdefault((source, target), []).append(contribution)

    def _arguments(self, predicate: int, target_role: str, passive_agent: bool) -> list[int]:
        tree = self.tree
        if target_role == PATIENT:
            nodes = tree.children(predicate, "obj")
            return nodes + (tree.children(predicate, "nsubj:pass") if passive_agent else [])
        recipient = self.kb.preps.get(RECIPIENT, frozenset())
        nodes = tree.children(predicate, "iobj")
        nodes += [
            k for k in tree.children(predicate, "obl", "nmod") if tree.case_of(k) in recipient
        ]
        for obj in tree.children(predicate, "obj"):  # "des armes à l'Ukraine"
            nodes += [k for k in tree.children(obj, "nmod") if tree.case_of(k) in recipient]
        return nodes

    def from_mention(self, source: str, mention: Mention) -> None:
        """Stances expressed by what the mention's actor does or owns."""
        tree = self.tree
        if mention.head is None:
            return
        role = tree.role(mention.head)
        if role.predicate < 0:
            return
        if role.kind == AGENT:
            passive = tree.tokens[mention.head].deprel == "obl:agent"
            for q in tree.controlled_chain(role.predicate):
                if q != role.predicate and tree.passive(q):
                    continue  # "pourrait être envahie": the subject undergoes
                self._frame(source, q, passive, role.predicate)
                self._directive(source, q)
        elif role.kind == OWNER:
            self._event_noun(source, role.predicate)

    def _frame(self, source: str, q: int, passive: bool, top: int) -> None:
        frame = self.kb.verbs.get(self.tree.lemma(q))
        if frame is None or frame.stance not in _SIGN:
            return
        value = _SIGN[frame.stance] * frame.strength
        negations, _ = self.tree.flips(q, top)
        negations += self.tree.negated(q) and q != top
        value *= (-0.6) ** negations
        hedge = self.tree.hedge(q)
        contribution = Contribution(
            q, self.tree.tokens[q].sentence, value, 1.0, f"{frame.stance}s ({frame.target})", hedge
        )
        for node in self._arguments(q, frame.target, passive):
            self._add(source, self._ids_under(node), contribution)

    def _directive(self, source: str, q: int) -> None:
        tree = self.tree
        if tree.lemma(q) not in self.kb.directives:
            return
        told = {c for k in tree.told(q) for c in tree.subtree(k)}
        values = [v for i in told if (v := polarity(tree, i)) is not None]
        total = sum(values)
        if total > -0.2:
            return
        recipient = self.kb.preps.get(RECIPIENT, frozenset())
        addressees = tree.children(q, "obj", "iobj") + [
            k for k in tree.children(q, "obl") if tree.case_of(k) in recipient
        ]
        contribution = Contribution(
            q, tree.tokens[q].sentence, max(-1.0, total), 1.0, "told to stop"
        )
        for node in addressees:
            self._add(source, self._ids_under(node, 1), contribution)

    def _event_noun(self, source: str, noun: int) -> None:
        prior = polarity(self.tree, noun)
        if prior is None or abs(prior) < 0.3:
            return
        tree = self.tree
        wanted = PATIENT if prior < 0 else RECIPIENT
        preps = self.kb.preps.get(wanted, frozenset())
        contribution = Contribution(
            noun, tree.tokens[noun].sentence, prior, 0.8, "its action toward"
        )
        for k in tree.children(noun, "nmod"):
            if tree.case_of(k) in preps:
                self._add(source, self._ids_under(k), contribution)

    def from_quote(self, source: str, quote: Quote, mentions: list[tuple[str, Mention]]) -> None:
        """A speaker stands toward the actors its quote names as the quote portrays them."""
        for target, mention in mentions:
            if not quote.start <= mention.start < quote.end:
                continue
            contributions = self.scorer.mention(mention)
            value = sum(
                c.value * (c.weight / 0.5 if c.reported else c.weight)
                for c in contributions
                if c.reason != "sentence sentiment"
            )
            if abs(value) < 0.1:
                continue
            anchor = quote.verb if quote.verb is not None else mention.head or 0
            contribution = Contribution(
                anchor, mention.sentence, max(-1.0, min(1.0, value)), 1.0, "in what it said"
            )
            self._add(source, [target], contribution)


def summarise_stances(
    tree: Tree,
    found: dict[tuple[str, str], list[Contribution]],
    source: str,
    always: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """The stance entries of one source actor, strongest first."""
    out = []
    targets = {t for s, t in found if s == source} | (set(always) - {source})
    for target in targets:
        items = found.get((source, target), [])
        total = sum(c.signed for c in items)
        magnitude = sum(abs(c.signed) for c in items)
        score = total / (magnitude + 0.5) if magnitude else 0.0
        label = (
            "support" if score > LABEL_ABOVE else "oppose" if score < -LABEL_ABOVE else "neutral"
        )
        out.append(
            {
                "target": target,
                "label": label,
                "score": round(score, 3),
                "evidence": evidence(tree, items, 5),
            }
        )
    return sorted(out, key=lambda s: (-abs(s["score"]), s["target"]))
