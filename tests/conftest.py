"""Shared fixtures: real models, a real Redis, apps built from the factory."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from service import create_app
from service.config import Settings
from service.engines import EngineRegistry
from tests.servers import RedisServer

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "samples" / "fr-russie-ukraine.txt"
# News-style articles written for the project (samples/), for every test that needs "a real
# article" and not the seed article's known actors: a clone of the project alone runs it.
ARTICLES = {
    "fr": ROOT / "samples" / "fr-peche-maquereau.txt",
    "en": ROOT / "samples" / "en-lumber-tariffs.txt",
}
# Database 15 of the machine's Redis unless told otherwise; every test session also uses
# its own key prefix, so state left by anyone else is never read.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Stanza is never pointed at a real resources directory in these tests.
EMPTY_STANZA = ROOT / ".cache" / "no-stanza"


@pytest.fixture(scope="session")
def sample_text() -> str:
    """The seed French article from ../shared, for the tests that check its known actors
    (it lives beside the project, not in a clone of it)."""
    if not SAMPLE.is_file():
        pytest.skip(f"{SAMPLE} is not there (it lives beside the project, in ../shared)")
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def article_fr() -> str:
    """The project's own French sample article (samples/fr-peche-maquereau.txt)."""
    return ARTICLES["fr"].read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def article_en() -> str:
    """The project's own English sample article (samples/en-lumber-tariffs.txt)."""
    return ARTICLES["en"].read_text(encoding="utf-8")


def base_settings(**changes: object) -> Settings:
    """Defaults as a user gets them, with no Stanza models and no Redis."""
    return dataclasses.replace(
        Settings.from_env({}), **{"stanza_resources_dir": EMPTY_STANZA, **changes}
    )


@pytest.fixture(scope="session")
def spacy_registry() -> EngineRegistry:
    """The offline default engines (spaCy fr and en), loaded once for the session."""
    registry = EngineRegistry(base_settings())
    registry.start(background=False)
    assert registry.ready(), registry.statuses()
    return registry


@pytest.fixture
def app(spacy_registry: EngineRegistry):
    """The app on the embedded default: in-process cache, spaCy engines."""
    return create_app(base_settings(), registry=spacy_registry)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the shared Redis; its keys are deleted after."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    conn = redis.Redis.from_url(REDIS_URL)
    keys = list(conn.scan_iter(f"{prefix}:*"))
    if keys:
        conn.delete(*keys)


@pytest.fixture
def redis_app(spacy_registry: EngineRegistry, redis_prefix: str):
    """The app with the Redis cache on the machine's Redis."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.fail(f"no Redis at {REDIS_URL} ({exc}); .ci/run starts one")
    settings = base_settings(redis_url=REDIS_URL, cache_prefix=redis_prefix)
    return create_app(settings, registry=spacy_registry)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, started; stopped at the end."""
    server = RedisServer(tmp_path)
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(f"{exc}; .ci/run installs it")
    yield server
    server.stop()
