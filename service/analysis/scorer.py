"""How the article portrays an actor: lexical evidence reached through the syntax.

A word counts for a mention only through the tree: the mention's modifiers and appositions,
the verb it is the agent of (and the clauses that share that subject), what it undergoes as
patient or recipient, the event noun it owns. Negation flips and dampens, intensifiers scale,
hedges lower confidence, reported speech weighs less, shifters ("stop", "arrêter") invert what
they govern; every weight is a named one of :data:`~service.analysis.evidence.WEIGHTS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.analysis.evidence import WEIGHTS as W
from service.analysis.evidence import Contribution, Kind
from service.analysis.mentions import Mention
from service.analysis.sentiment import polarity
from service.analysis.syntax import AGENT, OWNER, PATIENT, RECIPIENT, Tree


@dataclass(frozen=True, slots=True)
class Link:
    """How words reach a mention: the kind and weight they count with, the predicate or
    noun they reach it by (``top``), whether shifters between turn them around, the hedge."""

    kind: Kind
    weight: float
    top: int | None = None
    shift: bool = True
    hedge: float = 1.0


Span = tuple[int, int]


class Scorer:
    """Collects contributions for mentions of one document. It holds only what is fixed for
    the document; the mention being scored is an argument of every method."""

    def __init__(self, tree: Tree, blocked: frozenset[int], reported: list[Span]) -> None:
        self.tree = tree
        self.kb = tree.kb
        self.blocked = blocked  # heads of mentions: their modifiers belong to them
        self.reported = reported  # character spans of quoted or reported content

    def in_reported(self, start: int) -> bool:
        """Whether a character offset lies in quoted or reported content."""
        return any(a <= start < b for a, b in self.reported)

    def _word(self, i: int, link: Link, span: Span) -> Contribution | None:
        """A lexicon word, with its own negation and intensity, and the negations and
        shifters between it and ``link.top``; None for no word or one inside ``span``, the
        mention itself ("Premier ministre" is no evidence about the minister)."""
        tree = self.tree
        prior = polarity(tree, i)
        start = tree.tokens[i].start
        if prior is None or span[0] <= start < span[1]:
            return None
        value = prior * tree.intensity(i) * tree.contrast(i)
        if tree.negated(i):
            value *= W.negation
        top = link.top
        if top is not None and top != i:
            negations, shifts = tree.flips(i, top)
            value *= W.negation**negations
            if link.shift and shifts % 2 and not tree.owned(i, top):
                value = -value
        return Contribution(
            token=i,
            sentence=tree.tokens[i].sentence,
            value=value,
            weight=link.weight,
            kind=link.kind,
            hedge=link.hedge,
        )

    def _words(
        self, roots: list[int], link: Link, skip: int, span: Span
    ) -> list[Contribution | None]:
        """Every word under ``roots``, not crossing into other mentions (``skip`` is the
        mention's own head)."""
        out: list[Contribution | None] = []
        seen = {skip}
        for root in roots:
            if root in self.blocked and root != skip:
                continue  # another mention: what is under it is its own
            for i in self.tree.subtree(root, self.blocked - {skip}):
                if i not in seen and i not in self.blocked:
                    seen.add(i)
                    out.append(self._word(i, link, span))
        return out

    def _frame(
        self, predicate: int, side: str, top: int, hedge: float, span: Span
    ) -> Contribution | None:
        tree = self.tree
        frame = self.kb.verbs.get(tree.lemma(predicate))
        if frame is None:
            # Without a frame a verb's valence says something of its agent only: "tuer"
            # portrays the killer, not the victim.
            if side != AGENT:
                return None
            return self._word(
                predicate, Link(Kind.ITS_PREDICATE, W.its_predicate, top, hedge=hedge), span
            )
        value = frame.agent if side == AGENT else frame.patient
        if not value:
            return None
        negations, _ = tree.flips(predicate, top)
        value *= W.negation ** (negations + (tree.negated(predicate) and predicate != top))
        agent = side == AGENT
        return Contribution(
            token=predicate,
            sentence=tree.tokens[predicate].sentence,
            value=value,
            weight=W.what_it_does if agent else W.what_is_done_to_it,
            kind=Kind.WHAT_IT_DOES if agent else Kind.WHAT_IS_DONE_TO_IT,
            hedge=hedge,
        )

    def mention(self, mention: Mention) -> list[Contribution]:
        """Every contribution reaching one mention through the syntax."""
        head = mention.head
        if head is None:
            return []
        span = (mention.start, mention.end)
        described = self.tree.children(head, "amod", "appos", "acl")
        out = self._words(described, Link(Kind.DESCRIBED_AS, W.described_as, head), head, span)
        out += self._by_role(head, span)
        for k in self.tree.reason_clauses(head):  # "Google, pour avoir trompé": its act
            out += self._as_subject(head, k, span)
        found = [c for c in out if c is not None]
        if self.in_reported(mention.start):
            for c in found:
                c.reported = True
        sentiment = self._sentence_sentiment(mention.sentence)
        if sentiment:
            found.append(
                Contribution(
                    token=head,
                    sentence=mention.sentence,
                    value=sentiment,
                    weight=W.sentence_sentiment,
                    kind=Kind.SENTENCE_SENTIMENT,
                )
            )
        return found

    def _sentence_sentiment(self, sentence: int) -> float | None:
        sentences = self.tree.doc.sentences
        return sentences[sentence].sentiment if sentences else None

    def _by_role(self, head: int, span: Span) -> list[Contribution | None]:
        """What the mention's role in its clause says of it: what it does or undergoes,
        what it is said to be, the event noun it owns."""
        tree = self.tree
        role = tree.role(head)
        p = role.predicate
        if p < 0:
            return []
        verbal = tree.tokens[p].upos in ("VERB", "AUX")
        if verbal and role.kind == AGENT:
            return self._as_subject(head, p, span)
        if role.kind == AGENT:
            return self._said_to_be(head, p, span)
        if verbal and role.kind in (PATIENT, RECIPIENT):
            return self._as_patient(head, p, span)
        if role.kind == OWNER:
            own = Link(Kind.ITS_ACTION, W.its_action, p)
            modifier = Link(Kind.ITS_ACTION, W.its_action_modifier, p)
            return [
                self._word(p, own, span),
                *self._words(tree.children(p, "amod"), modifier, head, span),
            ]
        return []

    def _said_to_be(self, head: int, p: int, span: Span) -> list[Contribution | None]:
        """A nominal predicate ("Poutine est un dirigeant dangereux"): what it is said to be."""
        kids = self.tree.children(p, "amod", "nmod", "acl", "advmod", "conj")
        modifier = Link(Kind.SAID_TO_BE, W.said_to_be_modifier, p)
        return [
            self._word(p, Link(Kind.SAID_TO_BE, W.said_to_be, p), span),
            *self._words(kids, modifier, head, span),
        ]

    def _as_subject(self, head: int, p: int, span: Span) -> list[Contribution | None]:
        tree = self.tree
        out: list[Contribution | None] = []
        chain = tree.controlled_chain(p)
        for q in chain:
            hedge = tree.hedge(q)
            if tree.passive(q):
                # "l'Ukraine pourrait être envahie": the subject undergoes.
                out.append(self._frame(q, PATIENT, p, hedge, span))
                continue
            out.append(self._frame(q, AGENT, p, hedge, span))
            if tree.lemma(q) in self.kb.speech_verbs:
                continue  # what it says is a quote, not a portrayal of the speaker
            args = [
                k
                for k in tree.children(q, "obj", "xcomp", "obl", "advmod", "iobj")
                if k not in chain
            ]
            link = Link(Kind.IN_WHAT_IT_DOES, W.in_what_it_does, p, hedge=hedge)
            out += self._words(args, link, head, span)
        return out

    def _as_patient(self, head: int, p: int, span: Span) -> list[Contribution | None]:
        tree = self.tree
        hedge = tree.hedge(p)
        out = [self._frame(p, PATIENT, p, hedge, span)]
        if tree.lemma(p) in self.kb.directives:
            # Told to stop something: what it is told about is its own doing.
            link = Link(Kind.TOLD_TO_STOP_WHAT, W.told_to_stop_what, p, shift=False, hedge=hedge)
            out += self._words(tree.told(p), link, head, span)
        reasons = tree.reason_clauses(p) if tree.tokens[head].deprel == "obj" else []
        for k in reasons:
            out += self._as_subject(head, k, span)  # "fined Apple for abusing": Apple abused
        around = Link(Kind.AROUND_WHAT_IS_DONE, W.around_what_is_done, p, hedge=hedge)
        rest = [k for k in tree.children(p, "obl", "advcl") if k not in reasons]
        out += self._words(rest, around, head, span)
        return out
