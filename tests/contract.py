"""Validate real answers against openapi.yaml, the service's contract."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
import yaml
from jsonschema import Draft202012Validator

from tests.conftest import ROOT


@cache
def spec() -> dict[str, Any]:
    """The parsed contract."""
    return yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def check(response: Any, path: str, method: str = "post") -> Any:
    """Assert that a Flask test response (or a ``requests`` one) matches the contract for
    ``method path`` at its status and content type; return the parsed body."""
    status = str(getattr(response, "status_code", None))
    headers = response.headers
    content_type = headers["Content-Type"].split(";")[0].strip()
    operation = spec()["paths"][path][method]
    key = status if status in operation["responses"] else "default"
    assert key in operation["responses"], f"{method.upper()} {path} has no {status} answer"
    declared = operation["responses"][key]
    if "$ref" in declared:
        declared = spec()["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
    assert content_type in declared["content"], f"{content_type} not declared for {status}"
    raw = response.data if hasattr(response, "data") else response.content
    body = orjson.loads(raw) if "json" in content_type else raw.decode()
    pointer = "/".join(
        ["#/paths", _escape(path), method, "responses", key]
        + (
            ["content", _escape(content_type), "schema"]
            if "$ref" not in operation["responses"][key]
            else []
        )
    )
    if "$ref" in operation["responses"][key]:
        pointer = "/".join(
            [operation["responses"][key]["$ref"], "content", _escape(content_type), "schema"]
        )
    validator = Draft202012Validator({**spec(), "$ref": pointer})
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    return body
