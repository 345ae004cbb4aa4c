"""Every error leaves through here as RFC 9457 ``application/problem+json``."""

from __future__ import annotations

import gc
import logging
import traceback
from collections.abc import Callable
from typing import Any

import orjson
from flask import Flask, Response, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from service.admission import OverloadedError
from service.engines import UnsupportedLanguageError
from service.engines.registry import NotReadyError
from service.enrichment import BudgetExceededError, ClientGoneError, TextTooLongError
from service.web.problem import PROBLEM_JSON, problem

logger = logging.getLogger(__name__)

_HTTP_SLUGS = {
    400: "malformed-request",
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    408: "request-timeout",
    413: "body-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    422: "validation-error",
    431: "headers-too-large",
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


# Domain and validation exceptions -> (status, slug, title); the first class in an
# exception's MRO that is listed decides. ``_DETAILS`` gives the detail and extra members.
_PROBLEMS: dict[type[Exception], tuple[int, str, str]] = {
    ValidationError: (422, "validation-error", "Invalid request"),
    UnsupportedLanguageError: (422, "unsupported-language", "Unsupported language"),
    TextTooLongError: (413, "text-too-long", "Text too long"),
    BudgetExceededError: (503, "timeout", "Took too long"),
    OverloadedError: (503, "overloaded", "Overloaded"),
    NotReadyError: (503, "not-ready", "Not ready"),
    # Nobody reads this answer; it is for the access log and the metrics (nginx's 499).
    ClientGoneError: (499, "client-gone", "Client closed the request"),
}
_DETAILS: dict[type[Exception], Callable[[Any], tuple[str, dict[str, Any]]]] = {
    ValidationError: lambda e: (
        "Some fields are invalid; see 'errors'.",
        {"errors": summarise_messages(e.normalized_messages())},
    ),
    UnsupportedLanguageError: lambda e: (
        f"No model is available for language {e.language!r}. Install it with: {e.hint}",
        {"language": e.language, "install": e.hint},
    ),
    TextTooLongError: lambda e: (
        f"{str(e)[0].upper()}{str(e)[1:]}.",
        {"limit": e.limit, "length": e.length, "unit": e.unit},
    ),
    BudgetExceededError: lambda e: (
        f"{e}. It is still being computed and will be cached: retry shortly.",
        {"budget_seconds": e.budget},
    ),
    OverloadedError: lambda e: (
        f"{e}; retry in {e.retry_after} s.",
        {"retry_after_seconds": e.retry_after},
    ),
    NotReadyError: lambda e: (f"{e}; retry shortly.", {}),
    ClientGoneError: lambda e: (str(e), {}),
}
# An error answer stays small whatever the body: at most this many messages, each cut.
MAX_MESSAGES = 20
_MAX_MESSAGE_CHARS = 300


def summarise_messages(messages: Any) -> Any:
    """marshmallow's messages with string keys (it keys list items by index), at most
    :data:`MAX_MESSAGES` of them, each at most 300 characters; what is left out is
    counted under ``"_more"``."""
    budget = [MAX_MESSAGES]

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            skipped = 0
            for key, value in node.items():
                if budget[0] <= 0:
                    skipped += 1
                    continue
                out[str(key)] = walk(value)
            if skipped:
                out["_more"] = f"{skipped} more fields with errors"
            return out
        if isinstance(node, list):
            kept = [walk(item) for item in node[: max(0, budget[0])]]
            if len(node) > len(kept):
                kept.append(f"... and {len(node) - len(kept)} more")
            return kept
        budget[0] -= 1
        text = str(node)
        return text if len(text) <= _MAX_MESSAGE_CHARS else text[:_MAX_MESSAGE_CHARS] + "..."

    return walk(messages)


def problem_for(exc: Exception) -> dict[str, Any]:
    """The problem object for a domain or web exception (batch slots use it too)."""
    if isinstance(exc, ApiError):
        return problem(exc.status, exc.slug, exc.title, exc.detail, **exc.extra)
    if isinstance(exc, HTTPException):
        code = exc.code or 500
        return problem(
            code, _HTTP_SLUGS.get(code, "http-error"), exc.name, exc.description or exc.name
        )
    for cls in type(exc).__mro__:
        if cls in _PROBLEMS:
            detail, extra = _DETAILS[cls](exc)
            return problem(*_PROBLEMS[cls], detail, **extra)
    return problem(
        500, "internal-error", "Internal error", "The server failed; it has been logged."
    )


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """A problem+json response carrying ``body``."""
    body.setdefault("instance", request.path)
    response = Response(orjson.dumps(body), status=body["status"], mimetype=PROBLEM_JSON)
    if body["status"] == 503:
        response.headers["Retry-After"] = str(body.get("retry_after_seconds", 5))
    if body["status"] == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="news-enrich"'
    if body["status"] in (408, 413):
        # The rest of an unread body must not be taken for the next request: close.
        response.headers["Connection"] = "close"

    response.headers.update(headers or {})
    return response


_LARGE_BODY = 1 << 20
# Refusals the service means (not failures): not logged as errors.
_EXPECTED_5XX = (NotReadyError, BudgetExceededError, OverloadedError)


def register_error_handlers(app: Flask) -> None:
    """Route every exception, expected or not, to a problem+json answer."""

    @app.errorhandler(Exception)
    def _any(exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.code and exc.code < 400:
            return exc  # type: ignore[return-value]  # redirects pass through
        body = problem_for(exc)
        if body["status"] >= 500 and not isinstance(exc, _EXPECTED_5XX):
            logger.exception("unhandled error on %s %s", request.method, request.path)
        headers = {}
        if isinstance(exc, HTTPException) and exc.code == 405 and exc.response is None:
            allowed = getattr(exc, "valid_methods", None)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        if (request.content_length or 0) > _LARGE_BODY:
            # marshmallow's and the traceback's frames hold the parsed body (a hostile
            # million-item list: 60 MB) in reference cycles that only a full collection
            # frees, and those are rare: eight such bodies left each worker 300 MB larger.
            # Cheap, since the app froze the models' objects out of the collector's sight.
            traceback.clear_frames(exc.__traceback__)
            gc.collect()
        return problem_response(body, headers)
