"""Reading request bodies: JSON or, for curl users, the article as ``text/plain``."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Request

from service.web.errors import ApiError

JSON = "application/json"
TEXT = "text/plain"


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400,
            "malformed-request",
            "Malformed body",
            f"The body is not valid UTF-8 (byte {exc.start}).",
        ) from exc


def json_body(request: Request, *, allow_text: bool = False) -> Any:
    """The parsed JSON body; with ``allow_text``, a text/plain body becomes ``{text: ...}``
    with ``language``, ``id`` and ``include`` taken from the query string."""
    mimetype = request.mimetype
    if allow_text and mimetype == TEXT:
        data: dict[str, Any] = {"text": _decode(request.get_data(cache=False))}
        for name in ("language", "id", "title"):
            if name in request.args:
                data[name] = request.args[name]
        if "include" in request.args:
            data["options"] = {"include": request.args["include"].split(",")}
        return data
    if mimetype != JSON and not mimetype.endswith("+json"):
        accepted = f"{JSON} or {TEXT}" if allow_text else JSON
        raise ApiError(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"Send the body as {accepted}, not {mimetype or 'no Content-Type'}.",
        )
    raw = request.get_data(cache=False)
    try:
        # orjson reads the bytes and checks their UTF-8 itself: no decoded copy first.
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        _decode(raw)  # not UTF-8: say so, with the offending byte
        raise ApiError(
            400, "malformed-request", "Malformed JSON", f"The body is not valid JSON: {exc}."
        ) from exc
