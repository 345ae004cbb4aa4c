"""Operational endpoints and the contract file itself."""

from __future__ import annotations

import yaml
from openapi_spec_validator import validate

from service import create_app
from service.engines import EngineRegistry
from tests.conftest import ROOT, base_settings
from tests.contract import check


def test_openapi_file_is_a_valid_openapi_31_document():
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_openapi_is_served(client):
    response = client.get("/openapi.yaml")
    assert response.status_code == 200
    assert yaml.safe_load(response.data)["paths"]["/v1/enrich"]["post"]["operationId"] == "enrich"


def test_every_route_is_in_the_contract(app):
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        assert rule.rule in spec["paths"], f"{rule.rule} is not documented"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in spec["paths"][rule.rule], f"{method} {rule.rule}"


def test_healthz(client):
    assert check(client.get("/healthz"), "/healthz", "get") == {"status": "ok"}


def test_readyz_and_languages_when_ready(client):
    ready = client.get("/readyz")
    body = check(ready, "/readyz", "get")
    assert ready.status_code == 200 and body["status"] == "ready"
    assert body["languages"]["fr"] == {"state": "ready", "engine": "spacy"}
    languages = check(client.get("/v1/languages"), "/v1/languages", "get")["languages"]
    by_code = {entry["language"]: entry for entry in languages}
    assert by_code["en"]["state"] == "ready"
    assert "en_core_web_sm" in by_code["en"]["models"]["ner"]


def test_not_ready_while_loading_then_ready():
    registry = EngineRegistry(base_settings())  # not started: models are "loading"
    client = create_app(base_settings(), registry=registry).test_client()
    loading = client.get("/readyz")
    assert check(loading, "/readyz", "get")["status"] == "not_ready"
    assert loading.status_code == 503
    busy = client.post("/v1/enrich", json={"text": "Joe Biden parle.", "language": "fr"})
    body = check(busy, "/v1/enrich")
    assert busy.status_code == 503 and body["type"].endswith(":not-ready")
    assert busy.headers["Retry-After"]
    assert client.get("/healthz").status_code == 200, "liveness does not wait for models"
    registry.start(background=False)
    assert client.get("/readyz").status_code == 200


def test_a_configured_language_without_model_is_reported_with_its_install_command():
    settings = base_settings(languages=("fr", "de"))
    registry = EngineRegistry(settings)
    registry.start(background=False)
    client = create_app(settings, registry=registry).test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert check(ready, "/readyz", "get")["languages"]["de"]["state"] == "missing"
    entry = next(
        e
        for e in check(client.get("/v1/languages"), "/v1/languages", "get")["languages"]
        if e["language"] == "de"
    )
    assert entry["install"] == "python -m service models download de (Stanza, needs internet)"
    response = client.post("/v1/enrich", json={"text": "Guten Tag", "language": "de"})
    assert response.status_code == 422
    assert "models download de" in response.get_json()["detail"]
    # French is still served.
    ok = client.post("/v1/enrich", json={"text": "Joe Biden parle.", "language": "fr"})
    assert ok.status_code == 200


def test_metrics_count_requests_cache_and_engine(client):
    client.post("/v1/enrich", json={"text": "Le Kremlin dément.", "language": "fr"})
    client.post("/v1/enrich", json={"text": "Le Kremlin dément.", "language": "fr"})
    client.post("/v1/enrich", data=b"{", content_type="application/json")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'enrich_http_requests_total{endpoint="/v1/enrich",status="200"}' in text
    assert 'enrich_http_requests_total{endpoint="/v1/enrich",status="400"}' in text
    assert 'enrich_http_request_seconds_bucket{endpoint="/v1/enrich"' in text
    assert 'enrich_cache_total{backend="memory",result="hit"}' in text
    assert 'enrich_engine_seconds_count{engine="spacy",language="fr"}' in text
    assert 'enrich_characters_total{engine="spacy",language="fr"}' in text
