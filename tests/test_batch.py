"""/v1/enrich/batch: many documents through the engine together, one slot each."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.contract import check


def _sample(name: str, language: str) -> float:
    labels = {"engine": "spacy", "language": language}
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_batch_keeps_order_ids_and_isolates_bad_documents(client):
    documents = [
        {"text": "Joe Biden a rencontré Emmanuel Macron à Paris.", "id": "fr-1"},
        {"text": "", "id": "empty"},
        "not an object",
        {"text": "NATO supports Ukraine against Russia.", "language": "en", "id": "en-1"},
        {"text": "Hallo", "language": "zz", "id": "zz"},
        {"text": "Vladimir Poutine a menacé l'Ukraine lundi.", "language": "fr", "id": "fr-2"},
    ]
    response = client.post("/v1/enrich/batch", json={"documents": documents})
    body = check(response, "/v1/enrich/batch")
    assert response.status_code == 200
    results = body["results"]
    assert len(results) == len(documents)
    assert [r.get("id") for r in results] == ["fr-1", "empty", None, "en-1", "zz", "fr-2"]
    assert results[0]["language"] == "fr"
    assert {"Joe Biden", "Emmanuel Macron"} <= {a["name"] for a in results[0]["actors"]}
    assert results[1]["error"]["type"].endswith(":validation-error")
    assert results[2]["error"]["status"] == 422
    assert results[3]["language"] == "en" and results[3]["cache"] in ("MISS", "HIT")
    assert results[4]["error"]["type"].endswith(":unsupported-language")
    assert "Vladimir Poutine" in {a["name"] for a in results[5]["actors"]}


def test_batch_runs_each_language_through_the_engine_in_one_call(client):
    texts = [
        f"Le ministre {name} a rencontré Olaf Scholz à Berlin."
        for name in ("Jean Dupont", "Marie Curie", "Paul Martin", "Anne Hidalgo")
    ]
    calls_before = _sample("enrich_engine_seconds_count", "fr")
    docs_before = _sample("enrich_documents_total", "fr")
    response = client.post(
        "/v1/enrich/batch",
        json={"documents": [{"text": t, "language": "fr"} for t in texts]},
    )
    assert response.status_code == 200
    assert _sample("enrich_documents_total", "fr") - docs_before == 4
    calls = _sample("enrich_engine_seconds_count", "fr") - calls_before
    assert calls == 1, "four documents, one engine call"
    again = client.post(
        "/v1/enrich/batch", json={"documents": [{"text": t, "language": "fr"} for t in texts]}
    ).get_json()
    assert [r["cache"] for r in again["results"]] == ["HIT"] * 4
    single = client.post("/v1/enrich", json={"text": texts[0], "language": "fr"})
    assert single.headers["X-Cache"] == "HIT"
    assert single.get_json()["actors"] == again["results"][0]["actors"]


def test_batch_limits(spacy_registry):
    from service import create_app
    from tests.conftest import base_settings

    client = create_app(base_settings(max_batch_documents=2), registry=spacy_registry).test_client()
    response = client.post("/v1/enrich/batch", json={"documents": [{"text": "a b"}] * 3})
    body = check(response, "/v1/enrich/batch")
    assert response.status_code == 413 and body["limit"] == 2
    empty = client.post("/v1/enrich/batch", json={"documents": []})
    assert check(empty, "/v1/enrich/batch")["type"].endswith(":validation-error")
    missing = client.post("/v1/enrich/batch", json={"docs": []})
    assert missing.status_code == 422
