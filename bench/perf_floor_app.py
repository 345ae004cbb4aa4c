"""The floor of the cache benchmark: the least an answer-from-Redis endpoint can do.

    gunicorn -c gunicorn.conf.py --pythonpath bench 'perf_floor_app:create_app()'

``POST /v1/enrich`` hashes the request body (SHA-256), GETs ``FLOOR_PREFIX:<digest>`` from
Redis (a zstd-compressed value that the benchmark stored, the same bytes the service stores
for the same article), decompresses it and returns it. No validation, no language detection,
no cache-key scheme, no logging, no metrics: the service's cached path divided by this one
is what the service's own work costs. Settings: ``FLOOR_REDIS_URL``, ``FLOOR_PREFIX``.
"""

from __future__ import annotations

import hashlib
import os
import threading

import redis
import zstandard
from flask import Flask, Response, request

# The service puts a tag of its own before the zstd frame; the floor skips to the frame.
ZSTD_FRAME = b"\x28\xb5\x2f\xfd"


def create_app() -> Flask:
    """The floor app: one Redis client per worker process, one decompressor per thread."""
    app = Flask(__name__)
    client = redis.Redis.from_url(os.environ["FLOOR_REDIS_URL"], socket_timeout=1.0)
    prefix = os.environ.get("FLOOR_PREFIX", "floor")
    # zstandard's contexts are not thread safe (a shared one crashes under gthread).
    local = threading.local()

    @app.post("/v1/enrich")
    def enrich() -> Response:
        """The stored answer for this exact body, or 404."""
        digest = hashlib.sha256(request.get_data(cache=False)).hexdigest()
        value = client.get(f"{prefix}:{digest}")
        if not isinstance(value, bytes):
            return Response(b'{"error":"not stored"}', status=404, mimetype="application/json")
        decompressor = getattr(local, "decompressor", None)
        if decompressor is None:
            decompressor = local.decompressor = zstandard.ZstdDecompressor()
        body = decompressor.decompress(value[value.find(ZSTD_FRAME) :])
        return Response(body, mimetype="application/json")

    @app.get("/readyz")
    def readyz() -> Response:
        """Ready as soon as Redis answers."""
        return Response(
            b'{"status":"ready"}' if client.ping() else b"{}", mimetype="application/json"
        )

    return app


def store(client: redis.Redis, prefix: str, body: bytes, value: bytes) -> str:
    """Store ``value`` under the key the floor app reads for request ``body``."""
    key = f"{prefix}:{hashlib.sha256(body).hexdigest()}"
    client.set(key, value)
    return key
