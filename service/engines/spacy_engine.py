"""spaCy engine: the offline default, on pipelines installed from PyPI."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from typing import Any

from service.document import (
    DEPPARSE,
    LEMMA,
    NER,
    POS,
    AnnotatedDocument,
    EngineInfo,
    Entity,
    Sentence,
    Token,
)
from service.engines.base import EngineLoadError, neutral_type
from service.engines.catalog import SpacyCandidate

# Neutral processor -> spaCy components it needs (beyond the tokenizer).
_COMPONENTS = {
    NER: {"ner"},
    POS: {"tok2vec", "morphologizer", "tagger", "attribute_ruler"},
    LEMMA: {"tok2vec", "morphologizer", "tagger", "attribute_ruler", "lemmatizer"},
    DEPPARSE: {"tok2vec", "parser"},
}


def check_meta(meta: dict[str, Any], ner_labels: Sequence[str], expect: dict[str, Any]) -> None:
    """Refuse a pipeline whose meta differs from what the catalog says it is."""
    for key, wanted in expect.items():
        found = sorted(ner_labels) if key == "ner_labels" else meta.get(key)
        if found != wanted:
            raise EngineLoadError(f"spaCy pipeline meta {key!r} is {found!r}, expected {wanted!r}")


class SpacyEngine:
    """One spaCy pipeline for one language; thread-safe through a lock."""

    def __init__(self, language: str, candidate: SpacyCandidate) -> None:
        import spacy

        try:
            nlp = importlib.import_module(candidate.package).load()
        except (ImportError, OSError) as exc:
            raise EngineLoadError(f"cannot load spaCy pipeline {candidate.package}") from exc
        check_meta(nlp.meta, nlp.get_pipe("ner").labels, candidate.expect)
        if "senter" in nlp.disabled:
            # Without the parser, sentence boundaries come from the cheaper senter.
            nlp.enable_pipe("senter")
        self.language = language
        self._nlp = nlp
        self._lock = threading.Lock()
        model = f"{candidate.package} {nlp.meta['version']}"
        provided = {"tokenize", NER, POS, LEMMA, DEPPARSE}
        self.info = EngineInfo("spacy", spacy.__version__, {p: model for p in sorted(provided)})

    def _components(self, processors: frozenset[str]) -> list[str]:
        wanted: set[str] = set()
        for proc in processors:
            wanted |= _COMPONENTS.get(proc, set())
        wanted.add("parser" if "parser" in wanted else "senter")
        return [name for name in self._nlp.pipe_names if name in wanted]

    def annotate(self, texts: Sequence[str], processors: frozenset[str]) -> list[AnnotatedDocument]:
        """Annotate ``texts`` together with ``nlp.pipe``, running only what is needed."""
        enable = self._components(processors)
        with self._lock, self._nlp.select_pipes(enable=enable):
            docs = list(self._nlp.pipe(texts))
        return [self._convert(text, doc, processors) for text, doc in zip(texts, docs, strict=True)]

    def _convert(self, text: str, doc: Any, processors: frozenset[str]) -> AnnotatedDocument:
        out = AnnotatedDocument(text, self.language, self.info, processors=processors)
        index_of: dict[int, int] = {}
        sentence_of: dict[int, int] = {}
        for sent in doc.sents:
            words = [tok for tok in sent if not tok.is_space]
            if not words:
                continue
            first = len(out.tokens)
            for tok in words:
                index_of[tok.i] = len(out.tokens)
                sentence_of[tok.i] = len(out.sentences)
                out.tokens.append(self._token(tok, len(out.tokens), len(out.sentences)))
            out.sentences.append(
                Sentence(
                    len(out.sentences),
                    words[0].idx,
                    words[-1].idx + len(words[-1].text),
                    first,
                    len(out.tokens),
                )
            )
        if DEPPARSE in processors:
            for tok in doc:
                if tok.i in index_of and tok.head.i != tok.i and tok.head.i in index_of:
                    out.tokens[index_of[tok.i]].head = index_of[tok.head.i]
        for ent in doc.ents:
            first = next((t.i for t in ent if t.i in sentence_of), None)
            if first is None:
                continue
            out.entities.append(
                Entity(
                    ent.start_char,
                    ent.end_char,
                    neutral_type(ent.label_),
                    ent.label_,
                    sentence_of[first],
                )
            )
        return out

    @staticmethod
    def _token(tok: Any, index: int, sentence: int) -> Token:
        morph = str(tok.morph)
        return Token(
            index=index,
            text=tok.text,
            start=tok.idx,
            end=tok.idx + len(tok.text),
            sentence=sentence,
            lemma=tok.lemma_ or None,
            upos=tok.pos_ or None,
            feats=morph or None,
            deprel=tok.dep_ or None,
        )
