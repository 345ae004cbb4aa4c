"""Reading request bodies: JSON or, for curl users, the article as ``text/plain``."""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask import Request

from service.web.errors import ApiError

JSON = "application/json"
TEXT = "text/plain"
# Above every list field's own limit (MAX_BATCH_DOCUMENTS may not exceed it either): a
# body holding a longer list or a larger object is refused by validation anyway, so it is
# not parsed a second time for repeated keys.
MAX_JSON_ITEMS = 1000


def _decode(raw: bytes, charset: str = "utf-8") -> str:
    try:
        return raw.decode(charset)
    except LookupError as exc:
        raise ApiError(
            415,
            "unsupported-media-type",
            "Unsupported charset",
            f"The charset {charset!r} is unknown; send UTF-8.",
        ) from exc
    except UnicodeDecodeError as exc:
        raise ApiError(
            400,
            "malformed-request",
            "Malformed body",
            f"The body is not valid {charset} (byte {exc.start}).",
        ) from exc


def _read(request: Request) -> bytes:
    """The whole body. A chunked body (no Content-Length) is cut by werkzeug at
    MAX_BODY_BYTES without a word: one more read says whether there was more (413)."""
    raw = request.get_data(cache=False)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(raw) >= limit:
        request.stream.read(1)  # raises RequestEntityTooLarge when the body goes on
    return raw


def _within(data: Any, limit: int) -> bool:
    """True when no list or object in ``data`` holds more than ``limit`` items (the walk
    stops at the first that does)."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict | list):
            if len(value) > limit:
                return False
            stack.extend(value.values() if isinstance(value, dict) else value)
    return True


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = sorted({key for key in keys if keys.count(key) > 1})
        raise ApiError(
            400,
            "malformed-request",
            "Malformed JSON",
            f"The body repeats the key(s) {', '.join(map(repr, twice[:5]))} in one object: "
            "which one counts would be a guess.",
        )
    return dict(pairs)


def json_body(request: Request, *, allow_text: bool = False) -> Any:
    """The parsed JSON body; with ``allow_text``, a text/plain body becomes ``{text: ...}``
    with ``language``, ``id`` and ``include`` taken from the query string."""
    mimetype = request.mimetype
    if allow_text and mimetype == TEXT:
        charset = request.mimetype_params.get("charset", "utf-8")
        data: dict[str, Any] = {"text": _decode(_read(request), charset)}
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
    raw = _read(request)
    try:
        # orjson checks the bytes (UTF-8, nesting depth, no lone surrogates) and parses.
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        _decode(raw)  # not UTF-8: say so, with the offending byte
        raise ApiError(
            400, "malformed-request", "Malformed JSON", f"The body is not valid JSON: {exc}."
        ) from exc
    # orjson keeps the last of repeated keys silently; the standard parser can tell (about
    # 10 ms a megabyte here, on bodies orjson has just found sound and of a sane shape).
    if _within(data, MAX_JSON_ITEMS):
        try:
            json.loads(raw, object_pairs_hook=_unique_keys)
        except RecursionError as exc:
            raise ApiError(
                400, "malformed-request", "Malformed JSON", "The body is nested too deeply."
            ) from exc
    return data
