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
from service.engines.clearnlp import CLEARNLP_MARKERS, to_universal
from service.engines.entity_ruler import load_ruler
from service.engines.lemma_fixes import load_fixes

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


# spaCy's small CPU pipelines gain nothing from larger batches, and the batch of 32 its
# config asks for was slower than small ones (docs/performance.md, figure 3).
_BATCH_SIZE = 4


class SpacyEngine:
    """One spaCy pipeline for one language; thread-safe through a lock."""

    def __init__(self, language: str, candidate: SpacyCandidate, entity_ruler: bool = True) -> None:
        """Load the pipeline and, unless ``entity_ruler`` is False, the language's gazetteer."""
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
        parser_labels = set(nlp.get_pipe("parser").labels) if "parser" in nlp.pipe_names else set()
        self._clearnlp = bool(parser_labels & CLEARNLP_MARKERS)
        model = f"{candidate.package} {nlp.meta['version']}"
        provided = {"tokenize", NER, POS, LEMMA, DEPPARSE}
        models = {p: model for p in sorted(provided)}
        self.ner_labels = frozenset(nlp.get_pipe("ner").labels)
        self.ruler = load_ruler(language, self.ner_labels, models) if entity_ruler else None
        self.lemma_fixes = load_fixes(language, models)
        self.info = EngineInfo("spacy", spacy.__version__, models)

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
            docs = list(self._nlp.pipe(texts, batch_size=_BATCH_SIZE))
        out = [self._convert(text, doc, processors) for text, doc in zip(texts, docs, strict=True)]
        for doc in out:
            if self.lemma_fixes is not None and LEMMA in processors:
                self.lemma_fixes.apply(doc)
            if self.ruler is not None and NER in processors:
                self.ruler.apply(doc)
        return out

    def _convert(self, text: str, doc: Any, processors: frozenset[str]) -> AnnotatedDocument:
        """The neutral document of a spaCy doc. The whole text goes through spaCy at once
        (its NER reads context across lines), but a line break always ends a sentence:
        headlines and captions have no full stop, and the parser would run them into the
        next sentence. A head across such a break is cut, and its word becomes a root."""
        out = AnnotatedDocument(text, self.language, self.info, processors=processors)
        index_of: dict[int, int] = {}  # spaCy token index -> neutral token index
        for sent in doc.sents:
            for line in _lines(sent):
                first = len(out.tokens)
                for tok in line:
                    index_of[tok.i] = len(out.tokens)
                    out.tokens.append(self._token(tok, len(out.tokens), len(out.sentences)))
                out.sentences.append(
                    Sentence(
                        len(out.sentences),
                        out.tokens[first].start,
                        out.tokens[-1].end,
                        first,
                        len(out.tokens),
                    )
                )
        if DEPPARSE in processors:
            _attach_heads(out, doc, index_of)
            if self._clearnlp:
                to_universal(out.tokens)
        out.entities = _entities(out, doc, index_of)
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
            deprel=("root" if tok.dep_ == "ROOT" else tok.dep_) or None,
        )


def _lines(sent: Any) -> list[list[Any]]:
    """The words of a sentence, cut wherever whitespace holding a line break lies between."""
    lines: list[list[Any]] = [[]]
    for tok in sent:
        if tok.is_space:
            if "\n" in tok.text and lines[-1]:
                lines.append([])
            continue
        if "\n" in tok.whitespace_ and lines[-1]:
            lines[-1].append(tok)
            lines.append([])
            continue
        lines[-1].append(tok)
    return [line for line in lines if line]


def _attach_heads(out: AnnotatedDocument, doc: Any, index_of: dict[int, int]) -> None:
    """Heads within a line's sentence; a word whose head is across a line break is a root."""
    for tok in doc:
        mine, head = index_of.get(tok.i), index_of.get(tok.head.i)
        if mine is None or head is None or head == mine:
            continue
        if out.tokens[head].sentence == out.tokens[mine].sentence:
            out.tokens[mine].head = head
        else:
            out.tokens[mine].deprel = "root"


def _entities(out: AnnotatedDocument, doc: Any, index_of: dict[int, int]) -> list[Entity]:
    """spaCy's entities with neutral types, in the sentence of their first token."""
    entities = []
    for ent in doc.ents:
        first = next((index_of[t.i] for t in ent if t.i in index_of), None)
        if first is not None:
            entities.append(
                Entity(
                    ent.start_char,
                    ent.end_char,
                    neutral_type(ent.label_),
                    ent.label_,
                    out.tokens[first].sentence,
                )
            )
    return entities
