"""Operational endpoints: liveness, readiness, metrics and the contract."""

from __future__ import annotations

from pathlib import Path

import orjson
from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client.multiprocess import MultiProcessCollector

from service.web.state import services

bp = Blueprint("ops", __name__)

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.yaml"


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers; no model work."""
    return Response(b'{"status":"ok"}', mimetype="application/json")


@bp.get("/readyz")
def readyz() -> Response:
    """Readiness: models loaded for every configured language; says whether the cache
    backend answers (a cache outage degrades to uncached answers, so it does not make the
    service unready)."""
    svc = services()
    ready = svc.registry.ready()
    body = {
        "status": "ready" if ready else "not_ready",
        "languages": {
            s.language: {
                "state": s.state,
                "engine": s.engine,
                **({"detail": s.detail} if s.detail else {}),
            }
            for s in svc.registry.statuses()
        },
        "cache": {"backend": svc.cache.backend, "reachable": svc.cache.healthy()},
    }
    return Response(orjson.dumps(body), status=200 if ready else 503, mimetype="application/json")


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus exposition, aggregated over workers when running under gunicorn."""
    directory = services().settings.prometheus_multiproc_dir
    if directory:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)
    else:
        registry = DEFAULT_REGISTRY
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


@bp.get("/openapi.yaml")
def openapi() -> Response:
    """The OpenAPI 3.1 contract of this service."""
    return Response(OPENAPI.read_bytes(), mimetype="application/yaml")
