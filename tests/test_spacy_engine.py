"""The spaCy engine adapter on the offline pipelines installed from PyPI."""

from __future__ import annotations

import pytest

from service.document import ALL_PROCESSORS, NER, TOKENIZE
from service.engines.base import EngineLoadError
from service.engines.catalog import installed_spacy_package
from service.engines.spacy_engine import SpacyEngine, check_meta


def test_english_pipeline_is_the_one_it_claims_to_be():
    candidate = installed_spacy_package("en")
    assert candidate is not None
    engine = SpacyEngine("en", candidate)
    assert engine.info.models["ner"].endswith("3.8.0")


def test_a_pipeline_with_unexpected_meta_is_refused():
    meta = {"lang": "en", "version": "3.7.1", "author": "Explosion", "license": "MIT"}
    with pytest.raises(EngineLoadError, match="version"):
        check_meta(meta, ["PERSON"], {"lang": "en", "version": "3.8.0"})
    with pytest.raises(EngineLoadError, match="ner_labels"):
        check_meta(meta, ["PER"], {"ner_labels": ["PERSON"]})


def test_neutral_document_from_spacy(spacy_registry):
    engine = spacy_registry.get("fr")
    text = "Le président Emmanuel Macron a reçu Olaf Scholz.\n\nIls ont parlé de l'Ukraine."
    (doc,) = engine.annotate([text], ALL_PROCESSORS)
    assert len(doc.sentences) == 2
    assert not [t for t in doc.tokens if not t.text.strip()], "no whitespace tokens"
    assert [doc.span(e.start, e.end) for e in doc.entities] == [
        "Emmanuel Macron",
        "Olaf Scholz",
        "Ukraine",
    ]
    assert [e.sentence for e in doc.entities] == [0, 0, 1]
    for sentence in doc.sentences:
        words = doc.tokens[sentence.token_start : sentence.token_end]
        assert sum(w.head == -1 for w in words) == 1
        assert text[sentence.start : sentence.end].startswith(words[0].text)


def test_batch_equals_single_calls(spacy_registry):
    engine = spacy_registry.get("en")
    texts = ["Joe Biden met Olaf Scholz.", "NATO warned Russia.", "Kyiv is calm."]
    together = engine.annotate(texts, frozenset({TOKENIZE, NER}))
    alone = [engine.annotate([t], frozenset({TOKENIZE, NER}))[0] for t in texts]
    assert [[(e.start, e.end, e.type) for e in d.entities] for d in together] == [
        [(e.start, e.end, e.type) for e in d.entities] for d in alone
    ]
