"""How the article portrays an actor: lexical evidence reached through the syntax.

A word counts for a mention only through the tree: the mention's modifiers and appositions,
the verb it is the agent of (and the clauses that share that subject), what it undergoes as
patient or recipient, the event noun it owns. Negation flips and dampens, intensifiers scale,
hedges lower confidence, reported speech halves the weight, shifters ("stop", "arrêter")
invert what they govern.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from service.analysis.mentions import Mention
from service.analysis.syntax import AGENT, OWNER, PATIENT, RECIPIENT, Tree

_CONTENT = frozenset({"ADJ", "NOUN", "VERB", "ADV", "INTJ"})
_NEGATION = -0.6  # a negated word counts the other way, weaker ("pas fiable" is not "menteur")
_REPORTED = 0.5
# Weight of sentence words when the syntax links none to a mention (tuned on NewsMTSC train).
_BACKOFF = 0.3
NEUTRAL_BELOW = 0.1


@dataclass(slots=True)
class Contribution:
    """One word's push on a mention's polarity, and why."""

    token: int
    sentence: int
    value: float  # valence after negation and intensity, before weight
    weight: float
    reason: str
    hedge: float = 1.0
    reported: bool = False

    @property
    def signed(self) -> float:
        """The weighted push."""
        return self.value * self.weight


def polarity(tree: Tree, i: int) -> float | None:
    """Prior polarity of token ``i`` from the news lexicon, then the general one."""
    token = tree.tokens[i]
    if token.upos not in _CONTENT or tree.temporal(i):
        return None
    kb = tree.kb
    lemma, form = tree.lemmas[i], tree.forms[i]
    if form in kb.negators or form in kb.intensifiers or lemma in kb.hedges:
        return None
    if lemma in kb.shifters:
        return None  # "stop" only turns around what it governs
    for key in (lemma, form):
        if key in kb.valence:
            return kb.valence[key]
    if token.upos in kb.general_upos:
        for key in (form, lemma):
            if key in kb.general:
                return kb.general[key]
    return None


class Scorer:
    """Collects contributions for mentions of one document."""

    def __init__(
        self, tree: Tree, blocked: frozenset[int], reported: list[tuple[int, int]]
    ) -> None:
        self.tree = tree
        self.kb = tree.kb
        self.blocked = blocked  # heads of mentions: their modifiers belong to them
        self.reported = reported  # character spans of quoted or reported content
        self._span = (0, 0)  # the mention being scored

    def _in_reported(self, start: int) -> bool:
        return any(a <= start < b for a, b in self.reported)

    def _word(
        self,
        i: int,
        weight: float,
        reason: str,
        top: int | None = None,
        shift: bool = True,
        hedge: float = 1.0,
    ) -> Contribution | None:
        """A lexicon word, with its own negation and intensity, and the negations and
        shifters between it and ``top`` (the predicate or noun it reaches the mention by)."""
        prior = polarity(self.tree, i)
        start = self.tree.tokens[i].start
        if prior is None or self._span[0] <= start < self._span[1]:
            return None  # words of the mention itself ("Premier ministre") are no evidence
        value = prior * self.tree.intensity(i) * self.tree.contrast(i)
        if self.tree.negated(i):
            value *= _NEGATION
        if top is not None and top != i:
            negations, shifts = self.tree.flips(i, top)
            value *= _NEGATION**negations
            if shift and shifts % 2 and not self.tree.owned(i, top):
                value = -value
        return Contribution(i, self.tree.tokens[i].sentence, value, weight, reason, hedge)

    def _words(
        self,
        roots: list[int],
        weight: float,
        reason: str,
        skip: int,
        top: int | None,
        shift: bool = True,
        hedge: float = 1.0,
    ) -> list[Contribution | None]:
        out: list[Contribution | None] = []
        seen = {skip}
        for root in roots:
            for i in self.tree.subtree(root, self.blocked - {skip}):
                if i not in seen and i not in self.blocked:
                    seen.add(i)
                    out.append(self._word(i, weight, reason, top, shift, hedge))
        return out

    def _frame(
        self, predicate: int, side: str, weight: float, top: int, hedge: float
    ) -> Contribution | None:
        tree = self.tree
        frame = self.kb.verbs.get(tree.lemma(predicate))
        if frame is None:
            # Without a frame a verb's valence says something of its agent only: "tuer"
            # portrays the killer, not the victim.
            if side != AGENT:
                return None
            return self._word(predicate, weight * 0.8, "its predicate", top, hedge=hedge)
        value = frame.agent if side == AGENT else frame.patient
        if not value:
            return None
        negations, _ = tree.flips(predicate, top)
        value *= _NEGATION ** (negations + (tree.negated(predicate) and predicate != top))
        reason = "what it does" if side == AGENT else "what is done to it"
        return Contribution(
            predicate, tree.tokens[predicate].sentence, value, weight, reason, hedge
        )

    def mention(self, mention: Mention) -> list[Contribution]:
        """Every contribution reaching one mention through the syntax."""
        head = mention.head
        if head is None:
            return []
        self._span = (mention.start, mention.end)
        tree = self.tree
        out = self._words(
            tree.children(head, "amod", "appos", "acl"), 0.8, "described as", head, head
        )
        role = tree.role(head)
        p = role.predicate
        verbal = p >= 0 and tree.tokens[p].upos in ("VERB", "AUX")
        if verbal and role.kind == AGENT:
            out += self._as_subject(head, p)
        elif p >= 0 and role.kind == AGENT:
            # A nominal predicate ("Poutine est un dirigeant dangereux"): what it is said to be.
            out.append(self._word(p, 0.9, "said to be", p))
            kids = [k for k in tree.children(p, "amod", "nmod", "acl", "advmod", "conj")]
            out += self._words(kids, 0.8, "said to be", head, p)
        elif verbal and role.kind in (PATIENT, RECIPIENT):
            out += self._as_patient(head, p)
        elif p >= 0 and role.kind == OWNER:
            out.append(self._word(p, 0.9, "its action or attribute", p))
            out += self._words(tree.children(p, "amod"), 0.6, "its action or attribute", head, p)
        found = [c for c in out if c is not None]
        if self._in_reported(mention.start):
            for c in found:
                c.weight *= _REPORTED
                c.reported = True
        sentiment = tree.doc.sentences[mention.sentence].sentiment if tree.doc.sentences else None
        if sentiment:
            found.append(
                Contribution(head, mention.sentence, sentiment, 0.25, "sentence sentiment")
            )
        return found

    def _as_subject(self, head: int, p: int) -> list[Contribution | None]:
        tree = self.tree
        out: list[Contribution | None] = []
        chain = tree.controlled_chain(p)
        for q in chain:
            hedge = tree.hedge(q)
            if tree.passive(q):
                # "l'Ukraine pourrait être envahie": the subject undergoes.
                out.append(self._frame(q, PATIENT, 1.0, p, hedge))
                continue
            out.append(self._frame(q, AGENT, 1.0, p, hedge))
            if tree.lemma(q) in self.kb.speech_verbs:
                continue  # what it says is a quote, not a portrayal of the speaker
            args = [
                k
                for k in tree.children(q, "obj", "xcomp", "obl", "advmod", "iobj")
                if k not in chain
            ]
            out += self._words(args, 0.6, "in what it does", head, p, hedge=hedge)
        return out

    def _as_patient(self, head: int, p: int) -> list[Contribution | None]:
        tree = self.tree
        hedge = tree.hedge(p)
        out = [self._frame(p, PATIENT, 1.0, p, hedge)]
        if tree.lemma(p) in self.kb.directives:
            # Told to stop something: what it is told about is its own doing.
            out += self._words(tree.told(p), 0.6, "what it is told to stop", head, p, False, hedge)
        out += self._words(
            tree.children(p, "obl", "advcl"), 0.4, "around what is done to it", head, p, hedge=hedge
        )
        return out

    def backoff(self, mentions: list[Mention]) -> list[Contribution]:
        """For a target the client named that the syntax links no word to: the words of
        its sentences, weakly. Actors found in the text get no such back-off."""
        out = []
        for mention in mentions:
            for c in self.sentence_baseline(mention):
                c.weight, c.reason = _BACKOFF, "in its sentence (no syntactic link)"
                out.append(c)
        return out

    def sentence_baseline(self, mention: Mention) -> list[Contribution]:
        """Every lexicon word of the mention's sentence, no syntax (the evaluation baseline)."""
        sentence = self.tree.doc.sentences[mention.sentence]
        out = []
        for i in range(sentence.token_start, sentence.token_end):
            prior = polarity(self.tree, i)
            if prior is not None and not (mention.start <= self.tree.tokens[i].start < mention.end):
                out.append(Contribution(i, mention.sentence, prior, 1.0, "in the sentence"))
        return out


def summarise(
    tree: Tree, contributions: list[Contribution], max_evidence: int = 8
) -> dict[str, Any]:
    """Label, score, magnitude, confidence and evidence from contributions."""
    total = sum(c.signed for c in contributions)
    magnitude = sum(abs(c.signed) for c in contributions)
    positive = sum(c.signed for c in contributions if c.signed > 0)
    negative = -sum(c.signed for c in contributions if c.signed < 0)
    score = total / (magnitude + 1.0) if magnitude else 0.0
    if magnitude < NEUTRAL_BELOW or abs(score) < 0.05:
        label = "mixed" if min(positive, negative) >= 0.3 else "neutral"
    elif min(positive, negative) >= 0.35 * magnitude:
        label = "mixed"
    else:
        label = "positive" if score > 0 else "negative"
    hedge = min((c.hedge for c in contributions), default=1.0)
    agreement = abs(total) / magnitude if magnitude else 0.0
    confidence = (1 - math.exp(-magnitude)) * (0.5 + 0.5 * agreement) * hedge
    if not contributions:
        confidence = 0.3  # neutral for lack of evidence: a weak claim
    return {
        "label": label,
        "score": round(score, 3),
        "magnitude": round(magnitude, 3),
        "confidence": round(confidence, 3),
        "evidence": evidence(tree, contributions, max_evidence),
    }


def evidence(tree: Tree, contributions: list[Contribution], limit: int) -> list[dict[str, Any]]:
    """The sentences that drove a score, strongest first, with the words in them."""
    by_sentence: dict[int, list[Contribution]] = {}
    for c in contributions:
        by_sentence.setdefault(c.sentence, []).append(c)
    ranked = sorted(by_sentence.items(), key=lambda kv: -sum(abs(c.signed) for c in kv[1]))
    out = []
    for index, items in ranked[:limit]:
        sentence = tree.doc.sentences[index]
        words = []
        for c in sorted(items, key=lambda c: tree.tokens[c.token].start):
            token = tree.tokens[c.token]
            words.append(
                {
                    "text": tree.doc.span(token.start, token.end),
                    "start": token.start,
                    "end": token.end,
                    "value": round(c.signed, 3),
                    "reason": c.reason + (" (reported)" if c.reported else ""),
                }
            )
        out.append(
            {
                "sentence": index,
                "start": sentence.start,
                "end": sentence.end,
                "text": tree.doc.span(sentence.start, sentence.end),
                "words": words,
            }
        )
    return out


def document_sentiment(tree: Tree) -> dict[str, Any]:
    """The article's overall tone: every lexicon word with its own negation and intensity,
    and the engine's sentence sentiment where it has one."""
    contributions = []
    for token in tree.tokens:
        prior = polarity(tree, token.index)
        if prior is None:
            continue
        value = prior * tree.intensity(token.index)
        if tree.negated(token.index):
            value *= _NEGATION
        contributions.append(Contribution(token.index, token.sentence, value, 1.0, "in the text"))
    for sentence in tree.doc.sentences:
        if sentence.sentiment:
            contributions.append(
                Contribution(
                    sentence.token_start,
                    sentence.index,
                    sentence.sentiment,
                    0.5,
                    "sentence sentiment",
                )
            )
    # Normalised by length, so a long article is not "more negative" for being long.
    scale = max(1.0, len(tree.doc.sentences) / 3)
    for c in contributions:
        c.weight /= scale
    return summarise(tree, contributions, max_evidence=5)
