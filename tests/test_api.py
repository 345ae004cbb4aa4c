"""The API through real HTTP handling in the Flask app, on the real offline models."""

from __future__ import annotations

import pytest

from tests.contract import check

ENGLISH = (
    "President Joe Biden said on Tuesday that Russia could invade Ukraine at any moment. "
    "Secretary of State Antony Blinken will fly to Kyiv to meet Volodymyr Zelensky, "
    "and Mr. Blinken will then see Sergei Lavrov in Geneva. NATO allies are worried."
)


def _actor(body: dict, name: str) -> dict:
    matches = [a for a in body["actors"] if a["name"] == name]
    assert matches, f"no actor {name!r} in {[a['name'] for a in body['actors']]}"
    return matches[0]


def test_french_article_people_organisations_places_with_exact_offsets(client, sample_text):
    response = client.post("/v1/enrich", json={"text": sample_text, "id": "article-1"})
    body = check(response, "/v1/enrich")
    assert response.status_code == 200
    assert body["id"] == "article-1"
    assert body["language"] == "fr" and body["language_detected"] is True
    assert body["engine"]["name"] == "spacy"
    assert "fr_core_news_sm" in body["engine"]["models"]["ner"]
    assert body["sentences"] > 20
    for entity in body["entities"]:
        assert sample_text[entity["start"] : entity["end"]] == entity["text"]
    for actor in body["actors"]:
        for mention in actor["mentions"]:
            assert sample_text[mention["start"] : mention["end"]] == mention["text"]
    people = {a["name"] for a in body["actors"] if a["type"] == "person"}
    assert {"Vladimir Poutine", "Anthony Blinken", "Boris Johnson", "Sergueï Lavrov"} <= people
    assert {"CIA", "OTAN"} <= {a["name"] for a in body["actors"] if a["type"] == "organisation"}
    countries = {a["name"] for a in body["actors"] if a["type"] == "country"}
    assert {"Russie", "Ukraine", "États-Unis", "Royaume-Uni"} <= countries
    # Cities that only locate events stay entities, linked to no actor.
    cities = [e for e in body["entities"] if e["text"] in ("Genève", "Kiev")]
    assert cities and all(e["actor"] is None for e in cities)
    # Aliases group under one actor, titles are not part of the name.
    blinken = _actor(body, "Anthony Blinken")
    assert {"Anthony Blinken", "M. Blinken", "Blinken"} <= set(blinken["aliases"])
    assert {"Boris Johnson", "M. Johnson"} <= set(_actor(body, "Boris Johnson")["aliases"])
    # Every entity that belongs to an actor points at it, and the actor lists that mention.
    by_id = {a["id"]: a for a in body["actors"]}
    for entity in body["entities"]:
        if entity["actor"]:
            # the mention is the entity, or the name inside it ("ministre ... Dmytro Kuleba")
            assert any(
                entity["start"] <= m["start"] < m["end"] <= entity["end"]
                for m in by_id[entity["actor"]]["mentions"]
            )
    # Image credits are entities at most, never actors.
    assert not [a for a in body["actors"] if "Getty" in a["name"] or a["name"] == "Image"]


def test_english_text_as_plain_text_for_curl_users(client):
    response = client.post(
        "/v1/enrich?id=en-1", data=ENGLISH, content_type="text/plain; charset=utf-8"
    )
    body = check(response, "/v1/enrich")
    assert response.status_code == 200, body
    assert body["language"] == "en" and body["id"] == "en-1"
    blinken = _actor(body, "Antony Blinken")
    assert {"Antony Blinken", "Blinken"} <= {m["text"] for m in blinken["mentions"]} | set(
        blinken["aliases"]
    )
    assert _actor(body, "Joe Biden")["type"] == "person"
    assert _actor(body, "Russia")["type"] == "country"
    for entity in body["entities"]:
        assert ENGLISH[entity["start"] : entity["end"]] == entity["text"]


def test_offsets_hold_on_text_with_crlf_nbsp_emoji_and_combining_marks(client):
    text = (
        "🙂 Le président\u00a0Emmanuel Macron a reçu\r\nOlaf Scholz à Paris. Cafe\u0301 à Berlin."
    )
    body = check(client.post("/v1/enrich", json={"text": text, "language": "fr"}), "/v1/enrich")
    assert body["entities"], body
    for entity in body["entities"]:
        assert text[entity["start"] : entity["end"]] == entity["text"]
    assert "Olaf Scholz" in {a["name"] for a in body["actors"]}


def test_language_given_is_used_and_not_marked_detected(client):
    body = check(
        client.post("/v1/enrich", json={"text": "NATO supports Ukraine.", "language": "EN"}),
        "/v1/enrich",
    )
    assert body["language"] == "en"
    assert body["language_detected"] is False
    assert "language_confidence" not in body


def test_short_ambiguous_text_is_detected_as_a_served_language(client):
    body = check(client.post("/v1/enrich", json={"text": "Joe Biden a parlé."}), "/v1/enrich")
    assert body["language"] in ("fr", "en")
    assert body["language_detected"] is True


def test_include_tokens_gives_the_full_annotation(client):
    text = "Joe Biden a rencontré Volodymyr Zelensky à Kiev."
    body = check(
        client.post(
            "/v1/enrich",
            json={"text": text, "language": "fr", "options": {"include": ["tokens"]}},
        ),
        "/v1/enrich",
    )
    assert "entities" not in body and "actors" not in body
    tokens = body["tokens"]
    assert [t["text"] for t in tokens][:3] == ["Joe", "Biden", "a"]
    verb = next(t for t in tokens if t["text"] == "rencontré")
    assert verb["lemma"] == "rencontrer" and verb["upos"] == "VERB"
    assert [t for t in tokens if t["head"] == -1], "a sentence has a root"
    assert all(-1 <= t["head"] < len(tokens) for t in tokens)
    assert all(text[t["start"] : t["end"]] == t["text"] for t in tokens)


def test_entities_only_runs_without_the_parser_and_keeps_the_same_entities(client, sample_text):
    # On the seed article. On samples/fr-peche-maquereau.txt the two differ: the entities-only
    # answer has "Jean-Marc Le Goff" (1766), which the full one drops (found while moving
    # tests to samples/; reported, not fixed here).
    full = client.post("/v1/enrich", json={"text": sample_text}).get_json()
    light = client.post(
        "/v1/enrich", json={"text": sample_text, "options": {"include": ["entities"]}}
    ).get_json()
    assert "actors" not in light
    assert [(e["start"], e["end"]) for e in light["entities"]] == [
        (e["start"], e["end"]) for e in full["entities"]
    ]


@pytest.mark.parametrize(
    ("data", "content_type", "status", "slug"),
    [
        (b"{", "application/json", 400, "malformed-request"),
        (b'{"text": "\xff\xfe"}', "application/json", 400, "malformed-request"),
        (b"[1, 2]", "application/json", 422, "validation-error"),
        (b'{"text": ""}', "application/json", 422, "validation-error"),
        (b'{"text": "   \\n "}', "application/json", 422, "validation-error"),
        (b'{"text": 5}', "application/json", 422, "validation-error"),
        (b'{"text": "x", "colour": 1}', "application/json", 422, "validation-error"),
        (b'{"text": "x", "language": "french"}', "application/json", 422, "validation-error"),
        (
            b'{"text": "x", "options": {"include": ["gossip"]}}',
            "application/json",
            422,
            "validation-error",
        ),
        (b'{"text": "Hallo", "language": "zz"}', "application/json", 422, "unsupported-language"),
        (b"text=hello", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
        (b"", "text/plain", 422, "validation-error"),
    ],
)
def test_bad_input_gets_a_problem_never_a_500(client, data, content_type, status, slug):
    response = client.post("/v1/enrich", data=data, content_type=content_type)
    body = check(response, "/v1/enrich")
    assert response.status_code == status, body
    assert response.headers["Content-Type"] == "application/problem+json"
    assert body["type"].endswith(f":problem:{slug}")
    assert body["status"] == status and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)


def test_validation_problem_names_each_field(client):
    body = client.post("/v1/enrich", json={"text": 1, "id": ["x"]}).get_json()
    assert set(body["errors"]) == {"text", "id"}


def test_unsupported_language_names_it_and_the_install_command(client):
    response = client.post(
        "/v1/enrich",
        json={"text": "Der Bundeskanzler Olaf Scholz hat am Montag in Berlin gesprochen."},
    )
    body = check(response, "/v1/enrich")
    assert response.status_code == 422
    assert body["language"] == "de"
    assert "python -m service models download de" in body["install"]
    assert "de" in body["detail"]


def test_text_over_the_limit_is_413(spacy_registry):
    from service import create_app
    from tests.conftest import base_settings

    client = create_app(base_settings(max_text_chars=100), registry=spacy_registry).test_client()
    response = client.post("/v1/enrich", json={"text": "Joe Biden parle. " * 10})
    body = check(response, "/v1/enrich")
    assert response.status_code == 413
    assert body["type"].endswith(":text-too-long") and body["limit"] == 100


def test_body_over_the_limit_is_413_before_reading_it(spacy_registry):
    from service import create_app
    from tests.conftest import base_settings

    client = create_app(base_settings(max_body_bytes=2048), registry=spacy_registry).test_client()
    response = client.post("/v1/enrich", data="x" * 5000, content_type="text/plain")
    body = check(response, "/v1/enrich")
    assert response.status_code == 413 and body["type"].endswith(":body-too-large")


def test_unknown_path_and_wrong_method_are_problems(client):
    missing = client.get("/v2/nothing")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
    wrong = client.get("/v1/enrich")
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["Allow"]
    assert wrong.get_json()["type"].endswith(":method-not-allowed")


def test_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert client.get("/healthz").headers["X-Request-ID"]
