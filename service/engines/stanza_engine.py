"""Stanza engine: the production engine, loading models from a resources directory.

Models load from ``STANZA_RESOURCES_DIR`` with ``download_method=None``: the service never
downloads while serving. ``python -m service models download`` fetches them beforehand.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from service.document import (
    DEPPARSE,
    LEMMA,
    NER,
    POS,
    SENTIMENT,
    TOKENIZE,
    AnnotatedDocument,
    EngineInfo,
    Entity,
    Sentence,
    Token,
)
from service.engines.base import EngineLoadError, neutral_type
from service.engines.catalog import stanza_missing_files, stanza_processors
from service.engines.entity_ruler import load_ruler
from service.engines.lemma_fixes import load_fixes
from service.engines.segments import segments

# Neutral processor -> Stanza processors it needs; Stanza's lemma and depparse read POS.
_NEEDS = {
    TOKENIZE: {"tokenize"},
    NER: {"ner"},
    POS: {"pos"},
    LEMMA: {"pos", "lemma"},
    DEPPARSE: {"pos", "lemma", "depparse"},
    SENTIMENT: {"sentiment"},
}
# Stanza's sentiment classes, in label order.
_SENTIMENT_SCORE = {0: -1.0, 1: 0.0, 2: 1.0}

logger = logging.getLogger(__name__)


class StanzaEngine:
    """One Stanza pipeline for one language; thread-safe through a lock."""

    def __init__(
        self, language: str, resources_dir: Path, torch_threads: int = 1, entity_ruler: bool = True
    ) -> None:
        """Load the models and, unless ``entity_ruler`` is False, the language's gazetteer."""
        processors = stanza_processors(resources_dir, language)
        missing = stanza_missing_files(resources_dir, language)
        if processors is None or missing:
            raise EngineLoadError(f"Stanza models missing for {language!r}: {missing}")
        import stanza
        import torch

        # Several workers share the cores; one intra-op thread each avoids oversubscription.
        torch.set_num_threads(torch_threads)
        try:
            self._pipeline = stanza.Pipeline(
                language,
                dir=str(resources_dir),
                processors=dict(processors),
                # Without package=None Stanza adds every other default processor
                # (constituency for English), which the service never uses.
                package=None,
                download_method=None,
                use_gpu=False,
                logging_level="WARN",
            )
        except Exception as exc:  # stanza raises many types for unreadable models
            raise EngineLoadError(f"cannot load Stanza models for {language!r}: {exc}") from exc
        self.language = language
        self._loaded = set(self._pipeline.processors)
        self._lock = threading.Lock()
        models = dict(sorted(processors.items()))
        ner = self._pipeline.processors.get("ner")
        self.ner_labels = frozenset(ner.get_known_tags() if ner is not None else ())
        self.ruler = load_ruler(language, self.ner_labels, models) if entity_ruler else None
        self.lemma_fixes = load_fixes(language, models)
        self.info = EngineInfo("stanza", stanza.__version__, models)

    def provides(self) -> frozenset[str]:
        """Neutral processors this pipeline can run."""
        return frozenset(p for p, needs in _NEEDS.items() if needs <= self._loaded)

    def annotate(self, texts: Sequence[str], processors: frozenset[str]) -> list[AnnotatedDocument]:
        """Annotate ``texts`` in one bulk call, running only the processors needed."""
        import stanza

        wanted = {"tokenize", "mwt"}
        for proc in processors:
            wanted |= _NEEDS.get(proc, set())
        run = wanted & self._loaded
        pieces = [segments(text) for text in texts]
        docs = [stanza.Document([], text=seg) for piece in pieces for _, seg in piece]
        with self._lock:
            parsed = iter(self._pipeline.bulk_process(docs, processors=run) if docs else [])
        done = processors & self.provides()
        out = []
        for text, piece in zip(texts, pieces, strict=True):
            document = AnnotatedDocument(text, self.language, self.info, processors=done)
            for offset, _ in piece:
                append(document, offset, next(parsed))
            if self.lemma_fixes is not None and LEMMA in done:
                self.lemma_fixes.apply(document)
            if self.ruler is not None and NER in done:
                self.ruler.apply(document)
            out.append(document)
        return out


def convert(
    doc: Any, language: str, info: EngineInfo, processors: frozenset[str]
) -> AnnotatedDocument:
    """Turn a ``stanza.Document`` into the neutral model (also used on CoNLL-U documents)."""
    out = AnnotatedDocument(doc.text, language, info, processors=processors)
    append(out, 0, doc)
    return out


def append(out: AnnotatedDocument, offset: int, doc: Any) -> None:
    """Add a ``stanza.Document`` of a segment starting at ``offset`` to ``out``."""
    for sent in doc.sentences:
        first = len(out.tokens)
        s_index = len(out.sentences)
        for token in sent.tokens:
            for word in token.words:
                out.tokens.append(
                    Token(
                        index=len(out.tokens),
                        text=word.text,
                        start=offset + token.start_char,
                        end=offset + token.end_char,
                        sentence=s_index,
                        lemma=word.lemma,
                        upos=word.upos,
                        feats=word.feats,
                        head=first + word.head - 1 if word.head else -1,
                        deprel=word.deprel,
                    )
                )
        if len(out.tokens) == first:
            continue
        sentiment = getattr(sent, "sentiment", None)
        out.sentences.append(
            Sentence(
                s_index,
                out.tokens[first].start,
                out.tokens[-1].end,
                first,
                len(out.tokens),
                _SENTIMENT_SCORE.get(sentiment) if sentiment is not None else None,
            )
        )
        for ent in sent.ents:
            out.entities.append(
                Entity(
                    offset + ent.start_char,
                    offset + ent.end_char,
                    neutral_type(ent.type),
                    ent.type,
                    s_index,
                )
            )
