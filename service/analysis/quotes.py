"""Direct quotes and reported speech, attributed to their speaker where the syntax says who.

Direct quotes are spans between quotation marks (« », “ ”, "", and '' where the marks are not
apostrophes); short quoted phrases with no speech verb around them are scare quotes, not
speech. Reported speech is the clause a speech verb governs ("a déclaré que...", "said...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.analysis.mentions import Mention
from service.analysis.syntax import Tree

_PAIRS = [
    re.compile(r"«\s*(?P<q>[^«»]+?)\s*»", re.S),
    re.compile(r"“(?P<q>[^“”]+?)”", re.S),
    re.compile(r'(?<![\w])"(?P<q>[^"\n]+?)"(?![\w])'),
    # Single marks only where they cannot be apostrophes: not between two letters.
    re.compile(r"(?<![\w\u2019'])['\u2018](?P<q>[^\n']*?\w[.!?,]?)['\u2019](?![\w])"),
]
_MIN_WORDS_UNATTRIBUTED = 4


@dataclass(slots=True, kw_only=True)
class Quote:
    """Quoted or reported content and who said it."""

    kind: str  # "direct" or "reported"
    start: int
    end: int
    sentence: int
    speaker: Mention | None = None
    speaker_start: int | None = None
    speaker_end: int | None = None
    verb: int | None = None


def _introducing(tree: Tree, sentence: int, start: int) -> list[int]:
    """The quote's sentence, and earlier ones that lead straight into it ("a déclaré : «")."""
    out = [sentence]
    text = tree.doc.text
    for s in range(sentence - 1, max(-1, sentence - 3), -1):
        if len(text[tree.doc.sentences[s].end : start].strip(" \n\t:«“\"'")) > 2:
            break
        out.append(s)
    return out


def _speech_verbs(tree: Tree, sentence: int) -> list[int]:
    s = tree.doc.sentences[sentence]
    return [
        i
        for i in range(s.token_start, s.token_end)
        if tree.lemma(i) in tree.kb.speech_verbs and tree.tokens[i].upos in ("VERB", "AUX")
    ]


def _subject(tree: Tree, verb: int, quote_end: int | None = None) -> int | None:
    """Who speaks: the active subject, or the agent of a passive ("informés par X");
    a passive subject is the one spoken to. After a quote, the subject may follow the verb
    ("..., a déclaré un responsable"), which parsers often take for an object."""
    for k in tree.children(verb, "nsubj", "csubj", "obl:agent"):
        if tree.tokens[k].deprel in ("nsubj", "csubj", "obl:agent"):
            return k
    if tree.children(verb, "nsubj:pass"):
        return None
    if quote_end is not None and quote_end <= tree.tokens[verb].start:
        for k in tree.children(verb, "obj"):
            if tree.tokens[k].start > tree.tokens[verb].start:
                return k
    # "S'adressant au Cabinet, M. Johnson a promis": a participle shares its head's subject.
    head = tree.tokens[verb].head
    if head >= 0 and tree.tokens[verb].deprel in ("advcl", "xcomp", "conj"):
        return _subject(tree, head)
    return None


def _attribute(tree: Tree, quote: Quote, verb: int, by_head: dict[int, Mention]) -> None:
    subject = _subject(tree, verb, quote.end if quote.kind == "direct" else None)
    quote.verb = verb
    if subject is None:
        return
    span = tree.subtree(subject)
    quote.speaker_start = tree.tokens[span[0]].start
    quote.speaker_end = tree.tokens[span[-1]].end
    quote.speaker = by_head.get(subject) or next(
        (m for i in span if (m := by_head.get(i)) is not None), None
    )


def find_quotes(tree: Tree, mentions: list[Mention]) -> list[Quote]:
    """Every direct quote and reported clause, in text order."""
    by_head = {m.head: m for m in mentions if m.head is not None}
    direct = _direct_quotes(tree, by_head)
    covered = [(q.start, q.end) for q in direct]
    return sorted(direct + _reported(tree, by_head, covered), key=lambda q: q.start)


def _direct_quotes(tree: Tree, by_head: dict[int, Mention]) -> list[Quote]:
    """Spans between quotation marks that are speech, each attributed where possible."""
    quotes: list[Quote] = []
    for pattern in _PAIRS:
        for match in pattern.finditer(tree.doc.text):
            start, end = match.span("q")
            if any(q.start <= start < q.end for q in quotes):
                continue
            quote = _direct_quote(tree, start, end, by_head)
            if quote is not None:
                quotes.append(quote)
    return quotes


def _direct_quote(tree: Tree, start: int, end: int, by_head: dict[int, Mention]) -> Quote | None:
    inside = tree.tokens_in(start, end)
    if not inside:
        return None
    sentence = tree.tokens[inside[0]].sentence
    quote = Quote(kind="direct", start=start, end=end, sentence=sentence)
    verbs = [
        v
        for s in _introducing(tree, sentence, start)
        for v in _speech_verbs(tree, s)
        if not start <= tree.tokens[v].start < end
    ]
    if verbs:
        # The verb governing the quote, else the nearest one.
        governing = [v for v in verbs if inside[0] in tree.subtree(v)]
        nearest = min(verbs, key=lambda v: abs(tree.tokens[v].start - start))
        _attribute(tree, quote, governing[-1] if governing else nearest, by_head)
    elif len(tree.doc.text[start:end].split()) < _MIN_WORDS_UNATTRIBUTED:
        return None  # a scare quote, not speech
    return quote


def _reported(
    tree: Tree, by_head: dict[int, Mention], covered: list[tuple[int, int]]
) -> list[Quote]:
    """The clauses speech verbs govern ("a déclaré que..."), outside direct quotes."""
    quotes = []
    for s in range(len(tree.doc.sentences)):
        for verb in _speech_verbs(tree, s):
            for clause in tree.children(verb, "ccomp"):
                span = [
                    i
                    for i in tree.subtree(clause)
                    if tree.tokens[i].deprel != "mark" or tree.tokens[i].head != clause
                ]
                start, end = tree.tokens[span[0]].start, tree.tokens[span[-1]].end
                if any(a <= start < b for a, b in covered):
                    continue
                quote = Quote(kind="reported", start=start, end=end, sentence=s)
                _attribute(tree, quote, verb, by_head)
                quotes.append(quote)
    return quotes
