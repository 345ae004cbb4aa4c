"""The Flask application factory."""

from __future__ import annotations

import gc
import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from service import logs
from service.cache import build_cache
from service.config import Settings
from service.engines import EngineRegistry
from service.enrichment import Enricher
from service.language import LanguageDetector
from service.metrics import LATENCY, REQUESTS
from service.web import ops, routes
from service.web.auth import register_api_keys
from service.web.errors import register_error_handlers
from service.web.state import EXTENSION, Services


def create_app(settings: Settings | None = None, registry: EngineRegistry | None = None) -> Flask:
    """Build the app: settings from the environment unless given; models load once per
    process, before the app serves (``/readyz`` reports them per language)."""
    settings = settings or Settings.from_env()
    logs.configure(settings.log_level)
    app = Flask(__name__)
    # Flask answers 413 before reading a body larger than this.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    if registry is None:
        # Loaded before the app exists, so that a gunicorn worker (a new one after
        # max_requests recycling too) takes no request until its models are in: a worker
        # that answered "not ready" meanwhile would draw the load balancer's traffic.
        registry = EngineRegistry(settings)
        registry.start(background=False)
        # The models' hundreds of thousands of objects live as long as the process: out of
        # the garbage collector's sight, a full collection takes ~0 ms instead of 650 ms
        # here, and forked workers do not copy their pages by touching them.
        gc.freeze()
    cache = build_cache(settings)
    enricher = Enricher(settings, registry, cache, LanguageDetector())
    app.extensions[EXTENSION] = Services(settings, registry, cache, enricher)
    app.register_blueprint(routes.bp)
    app.register_blueprint(ops.bp)
    register_error_handlers(app)
    # First, so that every answer, a refused key's 401 too, has its request id.
    _instrument(app)
    register_api_keys(app, settings.api_keys)
    return app


access = logging.getLogger("service.access")
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _instrument(app: Flask) -> None:
    """Request id, timing and metrics around every request."""

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        # A client's id is echoed only when it is a sane token (it goes into logs).
        g.request_id = given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex
        g.id_token = logs.request_id.set(g.request_id)

    @app.after_request
    def _finish(response: Response) -> Response:
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(endpoint, str(response.status_code)).inc()
        LATENCY.labels(endpoint).observe(elapsed)
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers["Server-Timing"] = f"app;dur={elapsed * 1000:.2f}"
        access.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": g.get("request_id"),
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
                "cache": response.headers.get("X-Cache"),
                "bytes_in": request.content_length or 0,
                "bytes_out": response.calculate_content_length(),
            },
        )
        return response

    @app.teardown_request
    def _forget(_: BaseException | None) -> None:
        token = g.pop("id_token", None)
        if token is not None:
            logs.request_id.reset(token)
