"""Tiny, really-trained Stanza models for testing the service's Stanza engine without a model hub.

:func:`build_tiny_resources` trains (once, then from a cache) a tokenizer, POS tagger, dictionary
lemmatizer, dependency parser and NER model for French and English, plus an English sentence
sentiment classifier, on synthetic Russia/Ukraine diplomacy news, and returns a Stanza resources
directory::

    res = build_tiny_resources(tmp_cache)
    nlp = stanza.Pipeline("en", dir=str(res), processors=pipeline_processors("en"),
                          download_method=None)

Entity labels: PER, ORG, LOC, MISC for French (WikiNER style); PERSON, ORG, GPE, NORP for English
(OntoNotes style).  ``SAMPLE_CONLLU`` holds small hand-written CoNLL-U files, with ``ner=`` in
MISC, for reading with ``stanza.utils.conll.CoNLL.conll2doc``.
"""

from __future__ import annotations

from pathlib import Path

from .build import PACKAGE, build_tiny_resources, cache_key, pipeline_processors, processors
from .corpus import LANGUAGES

SAMPLE_CONLLU: dict[str, Path] = {
    lang: Path(__file__).resolve().parent / f"sample_{lang}.conllu" for lang in ("fr", "en")
}
"""Hand-written CoNLL-U samples, by language."""

NER_LABELS: dict[str, frozenset[str]] = {code: spec.labels for code, spec in LANGUAGES.items()}
"""The entity types each language's tiny NER model predicts."""

__all__ = [
    "NER_LABELS",
    "PACKAGE",
    "SAMPLE_CONLLU",
    "build_tiny_resources",
    "cache_key",
    "pipeline_processors",
    "processors",
]
