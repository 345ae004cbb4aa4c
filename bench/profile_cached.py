"""Where a cached answer's time goes: cProfile of cached answers of the French sample,
through Flask's test client and a real Redis (the service's app, spaCy engines).

    .venv/bin/python bench/profile_cached.py [--redis-url redis://127.0.0.1:6379/15] [-n 2000]

Prints the time per answer without the profiler, then, per answer under the profiler (which
inflates every part alike), the parts docs/performance.md discusses for figure 2b. Uses a
key prefix of its own and deletes its keys at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import re
import sys
import tempfile
import time
import uuid

from harness import ROOT  # first: it puts this tree's service on the path

# The parts of a cached answer, as (label, function-name pattern for pstats).
PARTS = (
    ("whole request (Flask wsgi_app)", r"flask/app.py:\d+\(wsgi_app\)"),
    ("Redis GET (the floor does it too)", r"redis_cache.py:\d+\(get\)"),
    ("zstd decompression (the floor does it too)", r"decompress"),
    ("access-log line", r"logging/__init__.py:\d+\(info\)"),
    ("request validation (marshmallow)", r"marshmallow/schema.py:\d+\(load\)"),
    ("body parsing", r"body.py:\d+\(json_body\)"),
    ("Prometheus counter and histogram", r"prometheus_client/metrics.py:\d+\((inc|observe)\)"),
    ("request id (before_request)", r"web/app.py:\d+\(_start\)"),
)


def main() -> int:
    """Profile ``-n`` cached answers; print the parts per answer."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("-n", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="profile-"))

    import orjson
    import redis
    from perf_articles import sample

    from service.config import Settings
    from service.web.app import create_app

    prefix = f"profile-{uuid.uuid4().hex[:8]}"
    settings = Settings.from_env(
        {
            "REDIS_URL": args.redis_url,
            "CACHE_PREFIX": prefix,
            "STANZA_RESOURCES_DIR": str(ROOT / ".cache" / "no-stanza"),
            "SERVICE_LANGUAGES": "fr",
            "LOG_LEVEL": "INFO",
        }
    )
    app = create_app(settings)
    # The access lines are formatted and written as in service, to a sink instead of the
    # terminal.
    sink = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)
    client = app.test_client()
    body = orjson.dumps({"text": sample().text})

    def ask() -> str:
        reply = client.post("/v1/enrich", data=body, content_type="application/json")
        return reply.headers.get("X-Cache", "")

    try:
        ask()
        for _ in range(200):
            if ask() != "HIT":
                raise SystemExit("the answer is not cached: is Redis reachable?")
        began = time.perf_counter()
        for _ in range(args.n):
            ask()
        print(
            f"per cached answer, no profiler: {(time.perf_counter() - began) / args.n * 1e3:.3f} ms"
        )
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.n):
            ask()
        profile.disable()
    finally:
        conn = redis.Redis.from_url(args.redis_url)
        keys = list(conn.scan_iter(f"{prefix}*"))
        if keys:
            conn.delete(*keys)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    print("under cProfile, per answer (cumulative):")
    for label, pattern in PARTS:
        regex = re.compile(pattern)
        total = sum(
            row[3]
            for (filename, line, name), row in stats.items()
            if regex.search(f"{filename}:{line}({name})")
        )
        print(f"  {label:<45} {total / args.n * 1e3:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
