"""API keys, request ids, logs that never carry the article, and the time budget."""

from __future__ import annotations

import json
import logging
import time

import pytest

from service import create_app
from service.logs import JsonFormatter
from tests.conftest import base_settings
from tests.contract import check

SECRET = "news-enrich-test-key-1"
ARTICLE = "Vladimir Poutine a menacé l'Ukraine lundi, selon Joe Biden. Mot secret: zanzibar."


@pytest.fixture
def locked(spacy_registry):
    settings = base_settings(api_keys=(SECRET, "second-key"))
    return create_app(settings, registry=spacy_registry).test_client()


def test_without_keys_the_api_is_open(client):
    assert client.get("/v1/languages").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"X-API-Key": SECRET + "x"}, {"Authorization": SECRET}],
)
def test_a_missing_or_wrong_key_is_401(locked, headers):
    response = locked.post("/v1/enrich", json={"text": "Joe Biden parle."}, headers=headers)
    body = check(response, "/v1/enrich")
    assert response.status_code == 401 and body["type"].endswith(":unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "headers", [{"Authorization": f"Bearer {SECRET}"}, {"X-API-Key": "second-key"}]
)
def test_a_valid_key_passes(locked, headers):
    response = locked.post(
        "/v1/enrich", json={"text": "Joe Biden parle.", "language": "fr"}, headers=headers
    )
    assert response.status_code == 200


def test_probes_metrics_and_contract_stay_open_with_keys(locked):
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.yaml"):
        assert locked.get(path).status_code == 200, path


def test_no_endpoint_or_repr_reveals_secrets(locked, spacy_registry):
    settings = base_settings(api_keys=(SECRET,), redis_url="redis://:hunter2@cache:6379/0")
    assert SECRET not in repr(settings) and "hunter2" not in repr(settings)
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.yaml", "/v1/languages"):
        text = locked.get(path, headers={"X-API-Key": SECRET}).get_data(as_text=True)
        assert SECRET not in text and "hunter2" not in text


def test_logs_are_json_with_the_request_id_and_without_the_text(client, caplog):
    with caplog.at_level(logging.DEBUG):
        client.post(
            "/v1/enrich",
            json={"text": ARTICLE, "language": "fr"},
            headers={"X-Request-ID": "req-42"},
        )
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    access = [e for e in lines if e["logger"] == "service.access"]
    assert access and access[-1]["request_id"] == "req-42"
    assert access[-1]["status"] == 200 and access[-1]["duration_ms"] >= 0
    assert not [e for e in lines if "zanzibar" in json.dumps(e, ensure_ascii=False)]


def test_a_hostile_request_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "x" * 500})
    assert response.headers["X-Request-ID"] != "x" * 500
    assert len(response.headers["X-Request-ID"]) == 32


def test_over_budget_answers_503_then_the_finished_work_is_a_hit(spacy_registry, article_fr):
    settings = base_settings(request_timeout_seconds=0.001)
    client = create_app(settings, registry=spacy_registry).test_client()
    text = article_fr + "\n\nBudget."
    slow = client.post("/v1/enrich", json={"text": text, "language": "fr"})
    body = check(slow, "/v1/enrich")
    assert slow.status_code == 503 and body["type"].endswith(":timeout")
    assert slow.headers["Retry-After"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        again = client.post("/v1/enrich", json={"text": text, "language": "fr"})
        if again.status_code == 200:
            break
        time.sleep(0.2)
    assert again.status_code == 200 and again.headers["X-Cache"] == "HIT"


def test_over_budget_in_a_batch_fails_only_the_slow_slots(spacy_registry, article_fr, caplog):
    settings = base_settings(request_timeout_seconds=0.001)
    client = create_app(settings, registry=spacy_registry).test_client()
    with caplog.at_level(logging.ERROR):
        response = client.post(
            "/v1/enrich/batch",
            json={
                "documents": [
                    {"text": article_fr + "\n\nBatch budget.", "language": "fr"},
                    {"text": ""},
                ]
            },
        )
    results = check(response, "/v1/enrich/batch")["results"]
    assert response.status_code == 200
    assert results[0]["error"]["type"].endswith(":timeout")
    assert results[1]["error"]["status"] == 422
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "not an error to log"


def test_a_refused_key_still_gets_a_request_id(locked):
    response = locked.post("/v1/enrich", json={"text": "Joe Biden parle."})
    assert response.status_code == 401
    assert len(response.headers["X-Request-ID"]) == 32
    echoed = locked.post("/v1/enrich", json={"text": "x"}, headers={"X-Request-ID": "r-401"})
    assert echoed.headers["X-Request-ID"] == "r-401"
