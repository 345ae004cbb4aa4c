"""Reading the dependency tree of the neutral model: heads, spans, argument roles.

Relations are Universal Dependencies (engines convert to it), so every rule here holds for
every engine and language; the few words a rule needs (prepositions, negators) come from
:mod:`service.analysis.knowledge`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from service.analysis.knowledge import Knowledge, fold
from service.document import AnnotatedDocument, Token

PREDICATE_POS = frozenset({"VERB", "AUX"})
SUBJECTS = frozenset({"nsubj", "csubj"})
# Clauses whose unexpressed subject is the subject of their head ("pourrait envahir",
# "pour soutenir", "promised to help", "examiner comment aider"): subjectless and
# non-finite, or an xcomp.
CONTROLLED = frozenset({"xcomp", "advcl", "ccomp"})
_NON_FINITE = ("VerbForm=Inf", "VerbForm=Ger", "VerbForm=Part")
_AFTER_CONTRAST, _BEFORE_CONTRAST = 1.3, 0.7

# Argument roles of a mention toward a predicate or event noun.
AGENT, PATIENT, RECIPIENT, OWNER, OTHER = "agent", "patient", "recipient", "owner", "other"


def base(deprel: str | None) -> str:
    """``obl:arg`` -> ``obl``."""
    return (deprel or "").split(":")[0]


@dataclass(frozen=True, slots=True)
class Role:
    """A mention's role: ``AGENT`` of ``predicate``, ``OWNER`` of an event noun, ..."""

    kind: str
    predicate: int  # token index of the verb or noun it is an argument of; -1 for none


class Tree:
    """Index of a document's dependency tree."""

    def __init__(self, doc: AnnotatedDocument, kb: Knowledge) -> None:
        self.doc = doc
        self.kb = kb
        self.tokens: list[Token] = doc.tokens
        self._kids: list[list[int]] = [[] for _ in doc.tokens]
        for token in doc.tokens:
            if token.head >= 0:
                self._kids[token.head].append(token.index)
        self._starts = [t.start for t in doc.tokens]
        self.forms = [fold(t.text) for t in doc.tokens]  # folded surface forms
        self.lemmas = [fold(t.lemma or t.text) for t in doc.tokens]  # folded lemmas

    def children(self, i: int, *rels: str) -> list[int]:
        """Dependents of token ``i``, optionally only with these (base) relations."""
        kids = self._kids[i]
        if not rels:
            return kids
        return [
            k for k in kids if self.tokens[k].deprel in rels or base(self.tokens[k].deprel) in rels
        ]

    def subtree(self, i: int, stop: frozenset[int] = frozenset()) -> list[int]:
        """Token ``i`` and everything below it, not descending into ``stop`` tokens."""
        out, todo = [], [i]
        while todo:
            j = todo.pop()
            out.append(j)
            todo.extend(k for k in self._kids[j] if k not in stop)
        return sorted(out)

    def tokens_in(self, start: int, end: int) -> range:
        """Indices of the tokens overlapping the character span."""
        first = max(0, bisect_right(self._starts, start) - 1)
        while first < len(self.tokens) and self.tokens[first].end <= start:
            first += 1
        last = bisect_left(self._starts, end)
        return range(first, max(first, last))

    def head_of(self, start: int, end: int) -> int | None:
        """The syntactic head of a span: its token whose head lies outside it; of several,
        one attached to the clause rather than a root the parser left alone ("Marine" torn
        off "Le Pen s'est dite...")."""
        inside = self.tokens_in(start, end)
        if not inside:
            return None
        outside = [i for i in inside if self.tokens[i].head not in inside]
        attached = [i for i in outside if self.tokens[i].head >= 0]
        return (attached or outside or [inside[0]])[0]

    def lemma(self, i: int) -> str:
        """Folded lemma (or form) of token ``i``."""
        return self.lemmas[i]

    def case_of(self, i: int) -> str | None:
        """The folded preposition marking token ``i`` ("à", "against"), if any."""
        for k in self.children(i, "case"):
            return fold(self.tokens[k].text)
        return None

    def negated(self, i: int) -> bool:
        """True when a negator depends on token ``i`` (or on its auxiliaries' head)."""
        return any(
            self.lemma(k) in self.kb.negators
            or fold(self.tokens[k].text) in self.kb.negators
            or "Polarity=Neg" in (self.tokens[k].feats or "")
            for k in self.children(i, "advmod", "neg", "det", "cc", "aux", "mark")
        )

    def hedge(self, i: int) -> float:
        """The strongest hedge on predicate ``i`` (1.0: none), from its auxiliaries, adverbs,
        or a modal head it is the complement of ("pourrait envahir")."""
        factor = 1.0
        candidates = self.children(i, "aux", "advmod")
        if base(self.tokens[i].deprel) == "xcomp" and self.tokens[i].head >= 0:
            candidates.append(self.tokens[i].head)
        for k in candidates:
            factor = min(factor, self.kb.hedges.get(self.lemma(k), 1.0))
        return factor

    def passive(self, i: int) -> bool:
        """True for a passive predicate ("a été envahie", "was invaded")."""
        return bool(self.children(i, "aux:pass")) or "Voice=Pass" in (self.tokens[i].feats or "")

    def flips(self, i: int, top: int) -> tuple[int, int]:
        """Negated predicates and shifters ("arrêter", "resist") between token ``i`` and
        ``top`` (both excluded for ``i``, included for ``top``): (negations, shifts)."""
        negations = shifts = 0
        j = self.tokens[i].head if i != top else i
        while j >= 0:
            if j != i or i == top:
                negations += self.negated(j) and self.tokens[j].upos in PREDICATE_POS
                shifts += self.lemma(j) in self.kb.shifters and j != top
            if j == top:
                break
            j = self.tokens[j].head
        return negations, shifts

    def told(self, directive: int) -> list[int]:
        """What a directive tells its addressee to do: the complement verb and its object
        ("d'arrêter sa campagne"), not the clauses hanging from it ("alors que...")."""
        return [
            o for k in self.children(directive, "xcomp", "ccomp") for o in self.children(k, "obj")
        ]

    def owned(self, i: int, top: int) -> bool:
        """True when a noun between token ``i`` and ``top`` has a possessive determiner
        ("cesser SON agression"): what is stopped is the subject's own doing."""
        j = i
        while j >= 0:
            if any(
                fold(self.tokens[k].text) in self.kb.possessives
                for k in self.children(j, "det", "nmod")
            ):
                return True
            if j == top:
                return False
            j = self.tokens[j].head
        return False

    def temporal(self, i: int) -> bool:
        """True inside a time expression ("la semaine dernière"), which says nothing of anyone."""
        token = self.tokens[i]
        return token.head >= 0 and self.lemma(token.head) in self.kb.time_nouns

    def contrast(self, i: int) -> float:
        """Weight of a word by contrast: what follows "mais"/"but" counts more, what it
        answers counts less ("expérimenté mais impopulaire" is mostly "impopulaire")."""
        j = i
        while j >= 0:
            if self._has_contrast(j):
                return _AFTER_CONTRAST
            if any(self._has_contrast(k) for k in self.children(j, "conj")):
                return _BEFORE_CONTRAST
            if self.tokens[j].upos in PREDICATE_POS or self.tokens[j].head < 0:
                return 1.0
            j = self.tokens[j].head
        return 1.0

    def _has_contrast(self, i: int) -> bool:
        return any(
            self.forms[k] in self.kb.contrast for k in self.children(i, "cc", "mark", "advmod")
        )

    def intensity(self, i: int) -> float:
        """Product of intensifiers and diminishers modifying token ``i``."""
        factor = 1.0
        for k in self.children(i, "advmod", "amod"):
            factor *= self.kb.intensifiers.get(fold(self.tokens[k].text), 1.0)
        return factor

    def controlled_chain(self, predicate: int) -> list[int]:
        """The predicate and the non-finite clauses that share its subject."""
        chain, todo = [], [predicate]
        while todo:
            p = todo.pop()
            chain.append(p)
            if self.lemma(p) in self.kb.speech_verbs:
                continue  # what one says or tells others to do is not what one does
            reasons = self.reason_clauses(p) if self.children(p, "obj") else []
            for k in self.children(p, *CONTROLLED):
                if (
                    not self.children(k, *SUBJECTS, "nsubj:pass")
                    and self.tokens[k].upos in PREDICATE_POS
                    and k not in reasons
                ):
                    todo.append(k)
        return chain

    def reason_clauses(self, i: int) -> list[int]:
        """Clauses under token ``i`` saying why an object was acted on ("fined Apple for
        abusing its position", "condamné Apple pour avoir abusé"): subjectless, opened by
        a reason word, not a plain infinitive ("pour soutenir" is a purpose). Under the
        verb (when it has an object) or under the object itself, as parsers attach them,
        their unexpressed subject is the object: what they say is the object's act."""
        return [
            k
            for k in self.children(i, "advcl")
            if not self.children(k, *SUBJECTS)
            and "VerbForm=Inf" not in (self.tokens[k].feats or "")
            and any(self.forms[m] in self.kb.reasons for m in self.children(k, "mark", "case"))
        ]

    def role(self, head: int) -> Role:
        """The role of the mention whose syntactic head is ``head``."""
        token = self.tokens[head]
        rel, full = base(token.deprel), token.deprel or ""
        governor = token.head
        if rel == "compound" and governor >= 0 and self._undergone(governor):
            return Role(OWNER, governor)  # "the Meta fine": the fine is Meta's
        if rel in ("conj", "appos", "flat", "compound") and governor >= 0:
            return self.role(governor)  # a conjunct or apposition shares its head's role
        if governor < 0:
            return Role(OTHER, -1)
        if full in ("nsubj:pass", "csubj:pass"):
            return Role(PATIENT, governor)
        if rel in SUBJECTS:
            return Role(AGENT, governor)
        if rel == "obj":
            return Role(PATIENT, governor)
        if rel == "iobj":
            return Role(RECIPIENT, governor)
        if full == "nmod:poss":
            return Role(OWNER, governor)
        return Role(self._marked_role(head, rel, full), governor)

    def _undergone(self, noun: int) -> bool:
        """True for a noun of an act its possessor undergoes (a penalty: verbs.json's
        ``owner``), which a bare modifier names, not shares the role of."""
        frame = self.kb.verbs.get(self.lemmas[noun])
        return frame is not None and frame.owner == PATIENT and self.tokens[noun].upos == "NOUN"

    def _marked_role(self, head: int, rel: str, full: str) -> str:
        """The role of an oblique or nominal modifier, from its preposition ("à", "by")."""
        case = self.case_of(head)
        for kind in (AGENT, PATIENT, RECIPIENT):
            if case in self.kb.preps.get(kind, ()) and rel in ("obl", "nmod"):
                return kind
        if rel == "nmod" and (case is None or case in self.kb.preps.get(OWNER, ())):
            return OWNER
        return AGENT if full == "obl:agent" else OTHER
