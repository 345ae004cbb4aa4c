"""Optional API keys: ``SERVICE_API_KEYS`` set means every ``/v1`` call needs one.

Keys are kept only as SHA-256 digests and compared in constant time, so neither a timing
difference nor a memory dump reveals a key.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, request

from service.web.errors import ApiError

_PROTECTED = "/v1/"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def _presented() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.headers.get("X-API-Key")


def register_api_keys(app: Flask, keys: tuple[str, ...]) -> None:
    """Require one of ``keys`` on the API (health, readiness, metrics and the contract stay
    open for probes and scrapers). No keys: the API is open."""
    if not keys:
        return
    digests = [_digest(k) for k in keys]

    @app.before_request
    def _check_key() -> None:
        if not request.path.startswith(_PROTECTED):
            return
        presented = _presented()
        given = _digest(presented) if presented else b""
        # Compare against every key, always, so the time taken says nothing of which matched.
        matched = False
        for digest in digests:
            matched |= hmac.compare_digest(given, digest)
        if not matched:
            raise ApiError(
                401,
                "unauthorized",
                "Unauthorized",
                "Send a valid API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
            )
