"""Neutral documents from hand-written CoNLL-U, read by Stanza's CoNLL-U reader and converted
by the Stanza engine's adapter (the path the stanza fixture's samples take): a rule can be
tested on exactly the tree it is written for, with no model and no parser's mistakes."""

from __future__ import annotations

import textwrap

from stanza.utils.conll import CoNLL

from service.document import ALL_PROCESSORS, SENTIMENT, AnnotatedDocument, EngineInfo
from service.engines.stanza_engine import convert

INFO = EngineInfo("conllu", "test")


def conllu_document(conllu: str, language: str = "en") -> AnnotatedDocument:
    """The neutral document of ``conllu``, whose ten columns may be separated by runs of
    spaces (the forms in these tests hold none); the text is rebuilt from the forms and
    ``SpaceAfter=No``, and entities come from ``ner=`` (BIOES) in MISC."""
    lines = [
        line if line.startswith("#") or not line.strip() else "\t".join(line.split())
        for line in textwrap.dedent(conllu).strip().splitlines()
    ]
    doc = CoNLL.conll2doc(input_str="\n".join(lines) + "\n\n", reconstruct_text=True)
    return convert(doc, language, INFO, ALL_PROCESSORS - {SENTIMENT})
