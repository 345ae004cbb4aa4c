"""The RFC 9457 problem object: kept free of Flask and the NLP stack, so that the gunicorn
worker can answer with it before a request reaches the app."""

from __future__ import annotations

from typing import Any

import orjson

PROBLEM_JSON = "application/problem+json"
# Stable problem type identifiers (RFC 4151 tag URIs: they never change, and need no
# server to resolve); the README lists them.
TYPE = "tag:news-enrich,2026:problem:"


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The problem object, also used inside batch results."""
    return {"type": TYPE + slug, "title": title, "status": status, "detail": detail, **extra}


def raw_response(status: int, reason: str, body: dict[str, Any], **headers: str) -> bytes:
    """A whole HTTP/1.1 problem answer that closes the connection, as bytes for a socket."""
    payload = orjson.dumps(body)
    lines = [
        f"HTTP/1.1 {status} {reason}",
        f"Content-Type: {PROBLEM_JSON}",
        f"Content-Length: {len(payload)}",
        "Connection: close",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload
