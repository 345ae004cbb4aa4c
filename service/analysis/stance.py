"""Where each actor stands toward the others: who does what to whom, and who says what.

Sources of stance: an agent's verb frame toward its patient or recipient ("les États-Unis
fournissent des armes à l'Ukraine"), an event noun it owns against a patient ("l'agression
de la Russie contre l'Ukraine"), a directive to a recipient to stop something bad ("a dit au
président russe d'arrêter sa campagne de désinformation"), and how a speaker's quote
portrays the actors it names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from service.analysis.evidence import WEIGHTS as W
from service.analysis.evidence import Contribution, Kind, by_sentence, linked, source_of
from service.analysis.mentions import Mention
from service.analysis.model_evidence import ModelReadings
from service.analysis.quotes import Quote
from service.analysis.scorer import Scorer
from service.analysis.sentiment import polarity
from service.analysis.syntax import AGENT, OWNER, PATIENT, RECIPIENT, SUBJECTS, Tree, base

_SIGN = {"support": 1.0, "oppose": -1.0}
_THROUGH = ("nmod", "amod", "conj", "appos", "flat", "compound", "obj")
LABEL_ABOVE = 0.1  # |score| above which a stance is support or oppose, not neutral
# Chosen by hand with the rules (docs/quality.md), like the weights of evidence.py:
_DAMPING = 0.5  # added to the magnitude: one piece of evidence is no certain stance
_TOLD_TO_STOP_BELOW = -0.2  # what a directive says to stop must be this bad to oppose
_EVENT_NOUN_AT_LEAST = 0.3  # |valence| of an owned event noun that makes it a stance
_QUOTE_AT_LEAST = 0.1  # |portrayal| of a named actor in a quote that makes it a stance
_CLAUSE_LINKS = ("conj", "parataxis")  # a predicate attached so starts a clause of its own
# Mentions whose model reading is no reading of the participant: a nationality adjective
# is read as what it qualifies ("les troupes américaines", "l'occupation russe"), and a
# pronoun's own vectors say little of whom it stands for (docs/model.md).
_NOT_READ_FOR_STANCE = frozenset({"demonym", "pronoun"})
_CONTROL_DEPTH = 3  # controlling verbs climbed to find an infinitive's agent


@dataclass(slots=True)
class Participant:
    """An actor or a client's target, with its mentions."""

    id: str
    mentions: list[Mention]


class StanceFinder:
    """Collects stance contributions between participants of one document."""

    def __init__(
        self,
        tree: Tree,
        scorer: Scorer,
        participants: list[Participant],
        readings: ModelReadings | None = None,
    ) -> None:
        self.tree = tree
        self.kb = tree.kb
        self.scorer = scorer
        self.readings = readings  # the learned model's, when it serves
        self.ids_at: dict[int, set[str]] = {}
        self.mentions_at: dict[int, list[tuple[str, Mention]]] = {}
        for p in participants:
            for m in p.mentions:
                if m.head is not None:
                    self.ids_at.setdefault(m.head, set()).add(p.id)
                    self.mentions_at.setdefault(m.head, []).append((p.id, m))
        self.found: dict[tuple[str, str], list[Contribution]] = {}
        self._read: set[tuple[str, str, int]] = set()  # (source, target, mention start)

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
        if target_role == PATIENT and tree.tokens[predicate].upos == "NOUN":
            # The noun of an act: its patient is its "de"/"of" complement ("la condamnation
            # par Paris de l'offensive russe").
            owner = self.kb.preps.get(OWNER, frozenset())
            return [k for k in tree.children(predicate, "nmod") if tree.case_of(k) in owner]
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
                self._model_in_clause(source, q)
        elif role.kind == OWNER:
            self._event_noun(source, role.predicate)
            if tree.tokens[role.predicate].upos == "NOUN":
                self._frame(
                    source, role.predicate, False, role.predicate
                )  # "Britain's condemnation of"

    def _frame(self, source: str, q: int, passive: bool, top: int) -> None:
        frame = self.kb.verbs.get(self.tree.lemma(q))
        if frame is None or frame.stance not in _SIGN:
            return
        value = _SIGN[frame.stance] * frame.strength
        negations, _ = self.tree.flips(q, top)
        negations += self.tree.negated(q) and q != top
        value *= W.negation**negations
        contribution = Contribution(
            token=q,
            sentence=self.tree.tokens[q].sentence,
            value=value,
            weight=W.stance_frame,
            kind=Kind.frame(frame.stance, frame.target),
            hedge=self.tree.hedge(q),
        )
        for node in self._arguments(q, frame.target, passive):
            authors = self._authors(node)
            if authors is None:
                self._add(source, self._ids_under(node), contribution)
            else:
                # Condemning, sanctioning or defending an act is taking a stance toward
                # its author, not toward whom the act concerns (even when the engine
                # missed the author's name).
                judged = replace(contribution, weight=W.stance_its_act, kind=Kind.ITS_ACT_JUDGED)
                self._add(source, authors, judged)

    def _authors(self, node: int) -> set[str] | None:
        """For an argument that is no participant but a noun with an author ("l'attaque DE
        L'IRAN", "RUSSIA'S invasion", "l'offensive RUSSE", "le bilan D'EMMANUEL MACRON"):
        the participants who are its author; None for no such noun. With a "par"/"by"
        complement, that is the author and "de"/"of" is what the act is done to
        ("l'invasion de l'Ukraine par")."""
        tree = self.tree
        if node in self.ids_at or tree.tokens[node].upos != "NOUN":
            return None
        kids = tree.children(node, "nmod", "amod")
        by = self.kb.preps.get(AGENT, frozenset())
        authors = [k for k in kids if tree.case_of(k) in by]
        if not authors:
            of = self.kb.preps.get(OWNER, frozenset())
            authors = [k for k in kids if self._owns(k, of)]
        if not authors:
            return None
        return {i for k in authors for i in self._ids_under(k, 1)}

    def _owns(self, k: int, of: frozenset[str]) -> bool:
        token = self.tree.tokens[k]
        return (
            token.deprel == "nmod:poss"
            or base(token.deprel) == "amod"
            or (self.tree.case_of(k) in of)
        )

    def _directive(self, source: str, q: int) -> None:
        tree = self.tree
        if tree.lemma(q) not in self.kb.directives:
            return
        told = {c for k in tree.told(q) for c in tree.subtree(k)}
        values = [v for i in told if (v := polarity(tree, i)) is not None]
        total = sum(values)
        if total > _TOLD_TO_STOP_BELOW:
            return
        recipient = self.kb.preps.get(RECIPIENT, frozenset())
        addressees = tree.children(q, "obj", "iobj") + [
            k for k in tree.children(q, "obl") if tree.case_of(k) in recipient
        ]
        contribution = Contribution(
            token=q,
            sentence=tree.tokens[q].sentence,
            value=max(-1.0, total),
            weight=W.stance_told_to_stop,
            kind=Kind.TOLD_TO_STOP,
        )
        for node in addressees:
            self._add(source, self._ids_under(node, 1), contribution)

    def _event_noun(self, source: str, noun: int) -> None:
        prior = polarity(self.tree, noun)
        if prior is None or abs(prior) < _EVENT_NOUN_AT_LEAST:
            return
        tree = self.tree
        wanted = PATIENT if prior < 0 else RECIPIENT
        preps = self.kb.preps.get(wanted, frozenset())
        contribution = Contribution(
            token=noun,
            sentence=tree.tokens[noun].sentence,
            value=prior,
            weight=W.stance_event_noun,
            kind=Kind.ITS_ACTION_TOWARD,
        )
        for k in tree.children(noun, "nmod"):
            if tree.case_of(k) in preps:
                self._add(source, self._ids_under(k), contribution)

    def _clause(self, q: int) -> list[int]:
        """The tokens of the clause of predicate ``q``, without the clauses under it that
        have a subject of their own or are coordinated predicates."""
        tree = self.tree
        stop = frozenset(
            k
            for k in tree.subtree(q)
            if k != q
            and (
                bool(tree.children(k, *SUBJECTS))
                or (
                    base(tree.tokens[k].deprel) in _CLAUSE_LINKS
                    and tree.tokens[k].upos in ("VERB", "AUX")
                )
            )
        )
        return tree.subtree(q, stop)

    def _model_in_clause(self, source: str, q: int) -> None:
        """The model's reading of each participant inside a clause the source is the agent
        of ("la France a accusé la Norvège de..."): evidence of the source's stance."""
        if self.readings is None or self.tree.lemma(q) in self.kb.speech_verbs:
            return  # what a speaker says is its quote (from_quote)
        for i in self._clause(q):
            for target, mention in self.mentions_at.get(i, ()):
                self._model_reading(source, target, mention, q, Kind.MODEL_IN_ITS_CLAUSE)

    def _model_reading(
        self, source: str, target: str, mention: Mention, anchor: int, kind: Kind
    ) -> None:
        """One model reading of ``target``'s mention as ``source``'s stance, once each."""
        seen = (source, target, mention.start)
        if (
            self.readings is None
            or target == source
            or seen in self._read
            or mention.kind in _NOT_READ_FOR_STANCE
        ):
            return
        self._read.add(seen)
        probs = self.readings.by_span.get((mention.start, mention.end))
        if probs is None or probs[1] >= max(probs[0], probs[2]):
            return  # a reading where neutral is likeliest is no evidence of a relation
        if self._acted_on_by_another(source, mention):
            return
        quoted = kind is Kind.MODEL_IN_WHAT_IT_SAID
        contribution = Contribution(
            token=anchor,
            sentence=mention.sentence,
            value=probs[2] - probs[0],
            weight=W.stance_model_quote if quoted else W.stance_model,
            kind=kind,
            span=(mention.start, mention.end),
            probabilities=probs,
        )
        self._add(source, [target], contribution)

    def _acted_on_by_another(self, source: str, mention: Mention) -> bool:
        """Whether the mention is the patient or recipient of another participant's act:
        then the model's reading portrays what is done to it ("les États-Unis ont déclaré
        que la Russie pourrait envahir l'Ukraine": Ukraine read negative, the victim), not
        the source's stance toward it."""
        tree = self.tree
        if mention.head is None:
            return False
        role = tree.role(mention.head)
        if role.kind not in (PATIENT, RECIPIENT) or role.predicate < 0:
            return False
        return bool(self._agents(role.predicate) - {source})

    def _agents(self, predicate: int) -> set[str]:
        """The participants who are the agent of a predicate, through the verbs that
        control it ("la Russie pourrait envahir": Russie for "envahir")."""
        tree = self.tree
        q = predicate
        for _ in range(_CONTROL_DEPTH):
            agents = [
                k
                for k in tree.children(q, *SUBJECTS, "obl:agent")
                if tree.tokens[k].deprel != "nsubj:pass"
            ]
            if agents:
                return {i for k in agents for i in self._ids_under(k, 1)}
            if base(tree.tokens[q].deprel) != "xcomp" or tree.tokens[q].head < 0:
                return set()
            q = tree.tokens[q].head
        return set()

    def from_quote(self, source: str, quote: Quote, mentions: list[tuple[str, Mention]]) -> None:
        """A speaker stands toward the actors its quote names as the quote portrays them
        (the lexicon's portrayal, and the model's reading of the named mention)."""
        for target, mention in mentions:
            if not quote.start <= mention.start < quote.end:
                continue
            anchor = quote.verb if quote.verb is not None else mention.head or 0
            self._model_reading(source, target, mention, anchor, Kind.MODEL_IN_WHAT_IT_SAID)
            # The quote is the speaker's own word: its portrayal counts in full.
            value = sum(c.unreported for c in linked(self.scorer.mention(mention)))
            if abs(value) < _QUOTE_AT_LEAST:
                continue
            contribution = Contribution(
                token=anchor,
                sentence=mention.sentence,
                value=max(-1.0, min(1.0, value)),
                weight=W.stance_quote,
                kind=Kind.IN_WHAT_IT_SAID,
            )
            self._add(source, [target], contribution)


@dataclass(frozen=True, slots=True)
class Stance:
    """Where a source stands toward one target, with the sentences that say so."""

    target: str
    label: str
    score: float
    evidence: list[tuple[int, list[Contribution]]]
    source: str = "lexicon"


def summarise_stances(
    found: dict[tuple[str, str], list[Contribution]], source: str, always: Iterable[str] = ()
) -> list[Stance]:
    """The stances of one source actor, strongest first; ``always`` lists the targets it
    gets an entry for even without evidence (the client's targets)."""
    out = []
    targets = {t for s, t in found if s == source} | (set(always) - {source})
    for target in targets:
        items = found.get((source, target), [])
        total = sum(c.signed for c in items)
        magnitude = sum(abs(c.signed) for c in items)
        score = total / (magnitude + _DAMPING) if magnitude else 0.0
        label = (
            "support" if score > LABEL_ABOVE else "oppose" if score < -LABEL_ABOVE else "neutral"
        )
        out.append(Stance(target, label, round(score, 3), by_sentence(items, 5), source_of(items)))
    return sorted(out, key=lambda s: (-abs(s.score), s.target))
