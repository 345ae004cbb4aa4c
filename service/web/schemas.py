"""Request schemas (marshmallow): fail fast on bad input, before any model work."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from service.analysis import DEFAULT_SECTIONS, SECTIONS
from service.enrichment import EnrichRequest


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must contain some non-whitespace text.")


class OptionsSchema(Schema):
    """``options``: what the answer includes."""

    class Meta:
        unknown = RAISE

    include = fields.List(
        fields.String(validate=validate.OneOf(sorted(SECTIONS))),
        validate=validate.Length(min=1),
    )


class EnrichSchema(Schema):
    """One document: ``{text, language?, id?, title?, options?}``."""

    class Meta:
        unknown = RAISE

    text = fields.String(required=True, validate=_not_blank)
    language = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^[A-Za-z]{2}$", error="Must be an ISO 639-1 code, e.g. 'fr'."),
    )
    id = fields.String(allow_none=True, validate=validate.Length(max=256))
    title = fields.String(allow_none=True, validate=validate.Length(max=2000))
    options = fields.Nested(OptionsSchema)

    @post_load
    def _to_request(self, data: dict[str, Any], **_: Any) -> EnrichRequest:
        options = data.get("options") or {}
        language = data.get("language")
        return EnrichRequest(
            text=data["text"],
            language=language.lower() if language else None,
            id=data.get("id"),
            title=data.get("title"),
            include=tuple(dict.fromkeys(options.get("include", DEFAULT_SECTIONS))),
        )


class BatchSchema(Schema):
    """``{documents: [...]}``; each document is validated on its own, so one bad document
    fails only its slot."""

    class Meta:
        unknown = RAISE

    documents = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1))


enrich_schema = EnrichSchema()
batch_schema = BatchSchema()
