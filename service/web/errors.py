"""Every error leaves through here as RFC 9457 ``application/problem+json``."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from flask import Flask, Response, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from service.engines import UnsupportedLanguageError
from service.engines.registry import NotReadyError
from service.enrichment import BudgetExceededError, TextTooLongError

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# Stable problem type identifiers (RFC 4151 tag URIs: they never change, and need no
# server to resolve); the README lists them.
_TYPE = "tag:news-enrich,2026:problem:"
_HTTP_SLUGS = {
    400: "malformed-request",
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    503: "not-ready",
}


class ApiError(Exception):
    """An error the web layer raises itself, with its problem fields."""

    def __init__(self, status: int, slug: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail, self.extra = (
            status,
            slug,
            title,
            detail,
            extra,
        )


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The problem object, also used inside batch results."""
    return {
        "type": _TYPE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }


def _string_keys(messages: Any) -> Any:
    """marshmallow keys list items by index; JSON object keys must be strings."""
    if isinstance(messages, dict):
        return {str(k): _string_keys(v) for k, v in messages.items()}
    return messages


def problem_for(exc: Exception) -> dict[str, Any]:
    """The problem object for a domain or web exception (batch slots use it too)."""
    if isinstance(exc, ApiError):
        return problem(exc.status, exc.slug, exc.title, exc.detail, **exc.extra)
    if isinstance(exc, ValidationError):
        return problem(
            422,
            "validation-error",
            "Invalid request",
            "Some fields are invalid; see 'errors'.",
            errors=_string_keys(exc.normalized_messages()),
        )
    if isinstance(exc, UnsupportedLanguageError):
        return problem(
            422,
            "unsupported-language",
            "Unsupported language",
            f"No model is available for language {exc.language!r}. Install it with: {exc.hint}",
            language=exc.language,
            install=exc.hint,
        )
    if isinstance(exc, TextTooLongError):
        return problem(
            413, "text-too-long", "Text too long", str(exc), limit=exc.limit, length=exc.length
        )
    if isinstance(exc, BudgetExceededError):
        return problem(
            503,
            "timeout",
            "Took too long",
            f"{exc}. It is still being computed and will be cached: retry shortly.",
            budget_seconds=exc.budget,
        )
    if isinstance(exc, NotReadyError):
        return problem(503, "not-ready", "Not ready", f"{exc}; retry shortly.")
    if isinstance(exc, HTTPException):
        code = exc.code or 500
        return problem(
            code, _HTTP_SLUGS.get(code, "http-error"), exc.name, exc.description or exc.name
        )
    return problem(
        500, "internal-error", "Internal error", "The server failed; it has been logged."
    )


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """A problem+json response carrying ``body``."""
    body.setdefault("instance", request.path)
    response = Response(orjson.dumps(body), status=body["status"], mimetype=PROBLEM_JSON)
    if body["status"] == 503:
        response.headers["Retry-After"] = "5"
    if body["status"] == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="news-enrich"'

    response.headers.update(headers or {})
    return response


def register_error_handlers(app: Flask) -> None:
    """Route every exception, expected or not, to a problem+json answer."""

    @app.errorhandler(Exception)
    def _any(exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.code and exc.code < 400:
            return exc  # type: ignore[return-value]  # redirects pass through
        body = problem_for(exc)
        if body["status"] >= 500 and not isinstance(exc, (NotReadyError, BudgetExceededError)):
            logger.exception("unhandled error on %s %s", request.method, request.path)
        headers = {}
        if isinstance(exc, HTTPException) and exc.code == 405 and exc.response is None:
            allowed = getattr(exc, "valid_methods", None)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        return problem_response(body, headers)
