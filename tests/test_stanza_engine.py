"""The Stanza engine, for real: tiny models trained with Stanza's own trainers, loaded by the
exact production call (``StanzaEngine`` -> ``stanza.Pipeline(lang, dir=...,
download_method=None)``). Pretrained models cannot be fetched here; these learn the
fixture's vocabulary only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from stanza.utils.conll import CoNLL

from service import create_app
from service.document import ALL_PROCESSORS, NER, TOKENIZE, EngineInfo
from service.engines import EngineRegistry
from service.engines.catalog import stanza_available, stanza_missing_files
from service.engines.gazetteer_data import gazetteer
from service.engines.lemma_fixes import lemma_fixes
from service.engines.stanza_engine import StanzaEngine, convert
from tests.conftest import ROOT, base_settings
from tests.contract import check
from tests.stanza_fixture import SAMPLE_CONLLU, build_tiny_resources

pytestmark = pytest.mark.stanza


@pytest.fixture(scope="session")
def tiny_resources() -> Path:
    """A Stanza resources directory with tiny fr and en models (built once, then cached)."""
    return build_tiny_resources(ROOT / ".cache" / "stanza-tiny")


@pytest.fixture(scope="session")
def stanza_registry(tiny_resources: Path) -> EngineRegistry:
    registry = EngineRegistry(base_settings(stanza_resources_dir=tiny_resources))
    registry.start(background=False)
    assert registry.ready(), registry.statuses()
    return registry


def _entities(doc) -> list[tuple[str, str]]:
    return [(doc.span(e.start, e.end), e.type) for e in doc.entities]


def test_french_engine_fills_the_neutral_model(tiny_resources):
    engine = StanzaEngine("fr", tiny_resources)
    assert engine.info.name == "stanza"
    assert engine.info.models["ner"] == "tiny"
    (doc,) = engine.annotate(["Joe Biden a rencontré Volodymyr Zelensky à Kiev."], ALL_PROCESSORS)
    assert _entities(doc) == [
        ("Joe Biden", "person"),
        ("Volodymyr Zelensky", "person"),
        ("Kiev", "location"),
    ]
    verb = next(t for t in doc.tokens if t.text == "rencontré")
    assert verb.lemma == "rencontrer" and verb.upos == "VERB"
    assert sum(t.head == -1 for t in doc.tokens) == len(doc.sentences) == 1
    for token in doc.tokens:
        assert doc.text[token.start : token.end] == token.text


def test_english_engine_gives_sentence_sentiment_and_batches(tiny_resources):
    engine = StanzaEngine("en", tiny_resources)
    texts = ["Joe Biden met Volodymyr Zelensky in Kyiv.", "NATO supports Ukraine against Russia."]
    first, second = engine.annotate(texts, ALL_PROCESSORS)
    assert _entities(first) == [
        ("Joe Biden", "person"),
        ("Volodymyr Zelensky", "person"),
        ("Kyiv", "gpe"),
    ]
    assert _entities(second) == [("NATO", "organisation"), ("Ukraine", "gpe"), ("Russia", "gpe")]
    assert all(s.sentiment in (-1.0, 0.0, 1.0) for s in first.sentences + second.sentences)


def test_the_entity_ruler_runs_behind_stanza_too(tiny_resources):
    text = ["NATO supports Ukraine against Russia."]
    engine = StanzaEngine("en", tiny_resources)
    assert engine.info.models["gazetteer"] == gazetteer("en").label
    (doc,) = engine.annotate(text, ALL_PROCESSORS)
    assert [e.canonical for e in doc.entities] == [
        "North Atlantic Treaty Organization",
        "Ukraine",
        "Russia",
    ]
    raw = StanzaEngine("en", tiny_resources, entity_ruler=False)
    assert "gazetteer" not in raw.info.models
    assert [e.canonical for e in raw.annotate(text, ALL_PROCESSORS)[0].entities] == [None] * 3


def test_entities_only_skips_the_parser(tiny_resources):
    engine = StanzaEngine("fr", tiny_resources)
    (doc,) = engine.annotate(
        ["L'OTAN soutient l'Ukraine contre la Russie."], frozenset({TOKENIZE, NER})
    )
    assert [doc.span(e.start, e.end) for e in doc.entities] == ["OTAN", "Ukraine", "Russie"]
    assert all(t.deprel is None and t.head == -1 for t in doc.tokens)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_adapter_on_conllu_documents(language):
    doc = CoNLL.conll2doc(str(SAMPLE_CONLLU[language]), reconstruct_text=True)
    neutral = convert(doc, language, EngineInfo("stanza", "test"), ALL_PROCESSORS)
    assert len(neutral.sentences) == len(doc.sentences)
    assert len(neutral.tokens) == sum(len(s.words) for s in doc.sentences)
    assert [(e.start, e.end) for e in neutral.entities] == [
        (e.start_char, e.end_char) for e in doc.ents
    ]
    for entity in neutral.entities:
        assert neutral.span(entity.start, entity.end) == next(
            e.text for e in doc.ents if e.start_char == entity.start
        )
    # heads point inside the document and each sentence has one root
    for sentence in neutral.sentences:
        words = neutral.tokens[sentence.token_start : sentence.token_end]
        assert sum(w.head == -1 for w in words) == 1
        assert all(
            sentence.token_start <= w.head < sentence.token_end for w in words if w.head >= 0
        )


def test_service_prefers_stanza_where_its_models_are_on_disk(stanza_registry):
    client = create_app(base_settings(), registry=stanza_registry).test_client()
    response = client.post(
        "/v1/enrich",
        json={"text": "Antony Blinken a rencontré Sergueï Lavrov à Genève.", "language": "fr"},
    )
    body = check(response, "/v1/enrich")
    assert body["engine"] == {
        "name": "stanza",
        "version": body["engine"]["version"],
        "models": {
            **{p: "tiny" for p in ("depparse", "lemma", "ner", "pos", "tokenize")},
            "gazetteer": gazetteer("fr").label,
            "lemmas": lemma_fixes("fr").label,
            # The learned polarity model, where its weights are there (POLARITY_MODEL=auto).
            **({"polarity": p.identity} if (p := stanza_registry.polarity) else {}),
        },
    }
    assert {a["name"] for a in body["actors"]} >= {"Antony Blinken", "Sergueï Lavrov"}
    assert "Genève" in {e["text"] for e in body["entities"]}
    batch = client.post(
        "/v1/enrich/batch",
        json={
            "documents": [
                {"text": "Joe Biden met Olaf Scholz in Paris.", "language": "en"},
                {"text": "NATO supports Ukraine against Russia.", "language": "en"},
            ]
        },
    )
    results = check(batch, "/v1/enrich/batch")["results"]
    assert [r["engine"]["name"] for r in results] == ["stanza", "stanza"]
    assert "sentiment" in results[0]["engine"]["models"]
    assert {"NATO", "Ukraine", "Russia"} <= {a["name"] for a in results[1]["actors"]}


def test_missing_model_file_falls_back_to_spacy_in_auto(tiny_resources, tmp_path):
    partial = tmp_path / "resources"
    shutil.copytree(tiny_resources, partial)
    (partial / "fr" / "ner" / "tiny.pt").unlink()
    assert not stanza_available(partial, "fr")
    assert stanza_missing_files(partial, "fr") == [partial / "fr" / "ner" / "tiny.pt"]
    registry = EngineRegistry(base_settings(stanza_resources_dir=partial, languages=("fr",)))
    registry.start(background=False)
    assert registry.get("fr").info.name == "spacy"


def test_stanza_only_without_models_answers_422_with_the_download_command(tmp_path):
    settings = base_settings(engine="stanza", stanza_resources_dir=tmp_path, languages=("fr",))
    registry = EngineRegistry(settings)
    registry.start(background=False)
    client = create_app(settings, registry=registry).test_client()
    response = client.post("/v1/enrich", json={"text": "Joe Biden parle.", "language": "fr"})
    body = check(response, "/v1/enrich")
    assert response.status_code == 422
    assert body["install"] == "python -m service models download fr (Stanza, needs internet)"
