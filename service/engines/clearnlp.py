"""ClearNLP dependencies (spaCy's English pipelines) to Universal Dependencies.

The neutral model speaks UD, as Stanza and spaCy's French pipelines do. spaCy's English
parser uses ClearNLP labels and hangs a preposition's object under the preposition; here the
labels are renamed and prepositional phrases re-hung the UD way (the noun under the verb or
noun, the preposition as its ``case``), so analysis code has one scheme to read.
"""

from __future__ import annotations

from service.document import Token

_RENAME = {
    "ROOT": "root",
    "nsubjpass": "nsubj:pass",
    "csubjpass": "csubj:pass",
    "dobj": "obj",
    "auxpass": "aux:pass",
    "neg": "advmod",
    "poss": "nmod:poss",
    "relcl": "acl:relcl",
    "acomp": "xcomp",
    "oprd": "xcomp",
    "attr": "xcomp",
    "npadvmod": "obl:npmod",
    "prt": "compound:prt",
    "intj": "discourse",
    "meta": "discourse",
    "predet": "det:predet",
    "preconj": "cc:preconj",
    "quantmod": "advmod",
    "dative": "iobj",
}
_PREPOSITIONS = {"prep", "agent", "dative"}
_PREP_OBJECTS = {"pobj", "pcomp"}
_PREDICATES = {"VERB", "AUX", "ADJ"}

# Labels that only exist in ClearNLP: their presence identifies the scheme.
CLEARNLP_MARKERS = frozenset({"dobj", "pobj", "nsubjpass", "prep"})


def to_universal(tokens: list[Token]) -> None:
    """Rewrite ``tokens`` (one document, heads as document indices) in place."""
    # Children as parsed: both passes below read the tree as ClearNLP left it.
    children: dict[int, list[Token]] = {}
    for token in tokens:
        children.setdefault(token.head, []).append(token)
    for prep in tokens:
        if prep.deprel in _PREPOSITIONS:
            _lift_object(tokens, prep, children.get(prep.index, []))
    for cc in tokens:
        # ClearNLP hangs "but" on the first conjunct, UD on the conjunct it introduces.
        if cc.deprel == "cc" and cc.head >= 0:
            following = [
                c for c in children.get(cc.head, []) if c.deprel == "conj" and c.index > cc.index
            ]
            if following:
                cc.head = following[0].index
    for token in tokens:
        if token.deprel in _RENAME:
            if token.deprel == "neg" and not token.feats:
                token.feats = "Polarity=Neg"
            token.deprel = _RENAME[token.deprel]


def _lift_object(tokens: list[Token], prep: Token, kids: list[Token]) -> None:
    """UD heads a prepositional phrase by its object, with the preposition as its ``case``."""
    obj = next((c for c in kids if c.deprel in _PREP_OBJECTS), None)
    if obj is None:
        if prep.deprel != "dative":
            prep.deprel = "case"
        return
    governor = prep.head
    on_predicate = governor >= 0 and tokens[governor].upos in _PREDICATES
    obj.head = governor
    if prep.deprel == "agent":
        obj.deprel = "obl:agent"
    elif obj.deprel == "pcomp":
        obj.deprel = "advcl"
    else:
        obj.deprel = "obl" if on_predicate else "nmod"
    prep.head, prep.deprel = obj.index, "case"
