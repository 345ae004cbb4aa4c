"""The answer cache with Redis up, down, slow and absent, and single flight."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import redis
from prometheus_client import REGISTRY

from service import create_app
from service.cache import MemoryCache
from service.cache.base import cache_key, decode, encode
from service.cache.redis_cache import RedisCache
from tests.conftest import REDIS_URL, base_settings


def _documents() -> float:
    labels = {"engine": "spacy", "language": "fr"}
    return REGISTRY.get_sample_value("enrich_documents_total", labels) or 0.0


def _post(client, text: str, **extra: object):
    return client.post("/v1/enrich", json={"text": text, "language": "fr", **extra})


def test_embedded_default_caches_in_process_and_says_so(spacy_registry, caplog):
    with caplog.at_level(logging.WARNING, logger="service.cache"):
        app = create_app(base_settings(), registry=spacy_registry)
    assert any("REDIS_URL is not set" in r.getMessage() for r in caplog.records)
    client = app.test_client()
    text = "Emmanuel Macron a appelé Vladimir Poutine lundi."
    first, second = _post(client, text), _post(client, text, id="other")
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
    assert second.get_json()["id"] == "other"
    assert {**first.get_json(), "id": "other"} == second.get_json()
    assert client.get("/readyz").get_json()["cache"] == {"backend": "memory", "reachable": True}


def test_memory_cache_is_bounded_and_expires():
    cache = MemoryCache(max_items=2, ttl_seconds=1)
    for key in ("a", "b", "c"):
        cache.set(key, b'{"k":"' + key.encode() + b'"}')
    assert cache.get("a")[0] is None, "least recently used is evicted"
    assert cache.get("c")[0] == b'{"k":"c"}'
    time.sleep(1.1)
    assert cache.get("c")[0] is None, "expired"


def test_key_depends_on_everything_that_shapes_the_answer():
    base = {"text": "x", "language": "fr", "include": ["actors"], "engine": {"v": 1}}
    keys = {
        cache_key("p", 1, base),
        cache_key("p", 2, base),
        cache_key("q", 1, base),
        cache_key("p", 1, {**base, "text": "x "}),
        cache_key("p", 1, {**base, "language": "en"}),
        cache_key("p", 1, {**base, "include": ["entities"]}),
        cache_key("p", 1, {**base, "engine": {"v": 2}}),
    }
    assert len(keys) == 7
    assert cache_key("p", 1, base).startswith("p:v1:")


def test_redis_answers_are_shared_between_replicas_compressed_with_ttl(
    spacy_registry, redis_prefix
):
    settings = base_settings(redis_url=REDIS_URL, cache_prefix=redis_prefix, cache_ttl_seconds=600)
    replica_a = create_app(settings, registry=spacy_registry).test_client()
    replica_b = create_app(settings, registry=spacy_registry).test_client()
    text = "Antony Blinken a rencontré Sergueï Lavrov à Genève vendredi."
    assert _post(replica_a, text).headers["X-Cache"] == "MISS"
    hit = _post(replica_b, text)
    assert hit.headers["X-Cache"] == "HIT"
    assert "Sergueï Lavrov" in {a["name"] for a in hit.get_json()["actors"]}
    conn = redis.Redis.from_url(REDIS_URL)
    (key,) = list(conn.scan_iter(f"{redis_prefix}:*"))
    raw = conn.get(key)
    assert len(raw) < len(hit.data), "stored compressed"
    assert 0 < conn.ttl(key) <= 600
    assert replica_a.get("/readyz").get_json()["cache"] == {"backend": "redis", "reachable": True}


def test_corrupt_or_foreign_values_are_ignored_and_overwritten(redis_app, redis_prefix):
    client = redis_app.test_client()
    text = "Boris Johnson a parlé à Vladimir Poutine."
    _post(client, text)
    conn = redis.Redis.from_url(REDIS_URL)
    (key,) = list(conn.scan_iter(f"{redis_prefix}:*"))
    for junk in (b"not ours", encode(b"{}")[:-3] + b"xyz", b"ENR1garbage", b""):
        conn.set(key, junk)
        response = _post(client, text)
        assert response.status_code == 200
        assert response.headers["X-Cache"] == "MISS"
        assert "Boris Johnson" in {a["name"] for a in response.get_json()["actors"]}
        assert decode(conn.get(key)) == response.data, "overwritten with the good answer"
    assert _post(client, text).headers["X-Cache"] == "HIT"


def test_redis_down_bypasses_then_recovers_by_itself(spacy_registry, private_redis):
    settings = base_settings(redis_url=private_redis.url, redis_timeout_seconds=0.2)
    client = create_app(settings, registry=spacy_registry).test_client()
    text = "Olaf Scholz a rencontré Joe Biden à Washington."
    assert _post(client, text).headers["X-Cache"] == "MISS"
    assert _post(client, text).headers["X-Cache"] == "HIT"
    private_redis.stop()
    began = time.monotonic()
    down = [_post(client, text) for _ in range(5)]
    assert all(r.status_code == 200 for r in down)
    assert {r.headers["X-Cache"] for r in down} == {"BYPASS"}
    assert time.monotonic() - began < 5, "a dead Redis does not stall requests"
    ready = client.get("/readyz")
    assert ready.status_code == 200, "a cache outage does not make the service unready"
    assert ready.get_json()["cache"]["reachable"] is False
    private_redis.start()  # same port; it may have kept its data across the restart
    deadline = time.monotonic() + 10
    states = []
    while time.monotonic() < deadline and states[-2:] != ["HIT", "HIT"]:
        states.append(_post(client, text).headers["X-Cache"])
        time.sleep(0.3)
    assert states[-2:] == ["HIT", "HIT"], states
    back = next(i for i, state in enumerate(states) if state != "BYPASS")
    assert "BYPASS" not in states[back:], f"once back on Redis, it stays: {states}"


def test_slow_redis_does_not_hold_requests(spacy_registry, private_redis):
    settings = base_settings(redis_url=private_redis.url, redis_timeout_seconds=0.2)
    client = create_app(settings, registry=spacy_registry).test_client()
    text = "Volodymyr Zelensky a remercié le Royaume-Uni."
    blocker = threading.Thread(
        target=lambda: redis.Redis.from_url(private_redis.url).execute_command("DEBUG", "SLEEP", 3)
    )
    blocker.start()
    time.sleep(0.2)
    began = time.monotonic()
    response = _post(client, text)
    elapsed = time.monotonic() - began
    blocker.join()
    assert response.status_code == 200
    assert response.headers["X-Cache"] == "BYPASS"
    assert elapsed < 2, f"took {elapsed:.2f}s while Redis slept 3s"


def test_a_lock_whose_release_met_a_slow_redis_is_released_once_it_answers(private_redis):
    """Found by `make faults` (phase d then e): a release that timed out during DEBUG SLEEP
    left the lock for its whole TTL, and every request for that key waited for it, holding
    the worker's threads for up to the request budget."""
    cache = RedisCache(private_redis.url, ttl_seconds=60, timeout_seconds=0.2)
    admin = private_redis.client()
    release = cache.lock("k", 60.0)
    assert callable(release)
    blocker = threading.Thread(target=lambda: admin.execute_command("DEBUG", "SLEEP", 1.5))
    blocker.start()
    time.sleep(0.2)
    release()  # times out: Redis is asleep
    blocker.join()
    assert admin.exists("k:lock"), "the release did not reach Redis: the lock is still there"
    # Any call releases it once Redis answers again (after the 1 s circuit-breaker pause
    # the failed release started).
    deadline = time.monotonic() + 3
    while admin.exists("k:lock") and time.monotonic() < deadline:
        cache.get("other")
        time.sleep(0.1)
    assert not admin.exists("k:lock"), "still there 3 s after Redis woke up"
    again = cache.lock("k", 60.0)
    assert callable(again), "the key can be locked again at once"
    again()
    assert not admin.exists("k:lock")


def test_a_released_lock_never_releases_another_holders(private_redis):
    """The retried release is the token-checked one: a lock that expired and was taken
    by another caller meanwhile stays theirs."""
    cache = RedisCache(private_redis.url, ttl_seconds=60, timeout_seconds=0.2)
    admin = private_redis.client()
    release = cache.lock("k", 0.5)
    assert callable(release)
    time.sleep(0.7)  # expired
    other = RedisCache(private_redis.url, ttl_seconds=60, timeout_seconds=0.2).lock("k", 60.0)
    assert callable(other)
    release()
    assert admin.exists("k:lock"), "the late release removed the other holder's lock"
    other()
    assert not admin.exists("k:lock")


def _concurrently(clients, text: str, n: int) -> list[str]:
    barrier = threading.Barrier(n)

    def call(i: int) -> str:
        barrier.wait()
        response = _post(clients[i % len(clients)], text)
        assert response.status_code == 200
        return response.headers["X-Cache"]

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(call, range(n)))


def test_identical_requests_compute_once_in_a_process(app, article_fr):
    text = article_fr + "\n\nSingle flight, in process."
    before = _documents()
    states = _concurrently([app.test_client()], text, 8)
    assert _documents() - before == 1
    assert states.count("MISS") == 1 and states.count("HIT") == 7


def test_identical_requests_compute_once_across_workers_sharing_redis(
    spacy_registry, redis_prefix, article_fr
):
    settings = base_settings(redis_url=REDIS_URL, cache_prefix=redis_prefix)
    # Two apps stand for two worker processes: only Redis is shared between them.
    workers = [create_app(settings, registry=spacy_registry).test_client() for _ in range(2)]
    text = article_fr + "\n\nSingle flight, across workers."
    before = _documents()
    states = _concurrently(workers, text, 8)
    assert _documents() - before == 1
    assert states.count("MISS") == 1 and states.count("HIT") == 7
