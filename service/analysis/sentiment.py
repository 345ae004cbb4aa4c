"""How the article portrays an actor, without the syntax: the lexicon's prior polarity of a
word, the document's tone, every word of a mention's sentence (the ``scope: sentence``
baseline) and the weak back-off for a client's target the syntax links nothing to. The
rules that reach a mention through the tree are :mod:`service.analysis.scorer`.
"""

from __future__ import annotations

from service.analysis.evidence import WEIGHTS as W
from service.analysis.evidence import Contribution, Kind, Summary, summarise
from service.analysis.mentions import Mention
from service.analysis.syntax import Tree

_CONTENT = frozenset({"ADJ", "NOUN", "VERB", "ADV", "INTJ"})


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


def backoff(tree: Tree, mentions: list[Mention]) -> list[Contribution]:
    """For a target the client named that the syntax links no word to: the words of
    its sentences, weakly. Actors found in the text get no such back-off."""
    out = []
    for mention in mentions:
        for c in sentence_baseline(tree, mention):
            c.weight, c.kind = W.backoff, Kind.IN_ITS_SENTENCE
            out.append(c)
    return out


def sentence_baseline(tree: Tree, mention: Mention) -> list[Contribution]:
    """Every lexicon word of the mention's sentence, no syntax (the evaluation baseline)."""
    sentence = tree.doc.sentences[mention.sentence]
    out = []
    for i in range(sentence.token_start, sentence.token_end):
        prior = polarity(tree, i)
        if prior is not None and not (mention.start <= tree.tokens[i].start < mention.end):
            out.append(
                Contribution(
                    token=i,
                    sentence=mention.sentence,
                    value=prior,
                    weight=W.in_the_sentence,
                    kind=Kind.IN_THE_SENTENCE,
                )
            )
    return out


def document_sentiment(tree: Tree) -> Summary:
    """The article's overall tone: every lexicon word with its own negation and intensity,
    and the engine's sentence sentiment where it has one, normalised by length so that a
    long article is not "more negative" for being long."""
    scale = max(1.0, len(tree.doc.sentences) / 3)
    contributions = []
    for token in tree.tokens:
        prior = polarity(tree, token.index)
        if prior is None:
            continue
        value = prior * tree.intensity(token.index)
        if tree.negated(token.index):
            value *= W.negation
        contributions.append(
            Contribution(
                token=token.index,
                sentence=token.sentence,
                value=value,
                weight=W.in_the_text / scale,
                kind=Kind.IN_THE_TEXT,
            )
        )
    for sentence in tree.doc.sentences:
        if sentence.sentiment:
            contributions.append(
                Contribution(
                    token=sentence.token_start,
                    sentence=sentence.index,
                    value=sentence.sentiment,
                    weight=W.document_sentence_sentiment / scale,
                    kind=Kind.SENTENCE_SENTIMENT,
                )
            )
    return summarise(contributions, max_evidence=5)
