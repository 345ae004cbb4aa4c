"""Request schemas (marshmallow): fail fast on bad input, before any model work."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from service.analysis import DEFAULT_SECTIONS, SCOPES, SECTIONS
from service.enrichment import EnrichRequest

# C0 controls other than tab and line breaks: binary garbage, never article text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")


def _article_text(value: str) -> None:
    """Plain article text: not blank, no control characters, not an HTML page."""
    if not value.strip():
        raise ValidationError("Must contain some non-whitespace text.")
    control = _CONTROL.search(value)
    if control:
        raise ValidationError(
            f"Contains the control character U+{ord(control.group()):04X} at offset "
            f"{control.start()}; send plain text."
        )
    if "<" not in value:
        return
    tags = _TAG.findall(value)
    if len(tags) >= 3 and sum(map(len, tags)) > 0.2 * len(value):
        raise ValidationError("Looks like HTML markup; send the article's text, not the page.")


class SpanSchema(Schema):
    """A target given as a character span of the text."""

    class Meta:
        unknown = RAISE

    start = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    end = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["end"] <= data["start"]:
            raise ValidationError("end must be greater than start.", "end")


class TargetField(fields.Field):
    """A name or topic (string) or a ``{start, end}`` span."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            if not value.strip() or len(value) > 200:
                raise ValidationError("A target name must have 1 to 200 characters.")
            return value.strip()
        if isinstance(value, dict):
            return SpanSchema().load(value)
        raise ValidationError("A target is a name (string) or a span {start, end}.")


class OptionsSchema(Schema):
    """``options``: what the answer includes, and about what."""

    class Meta:
        unknown = RAISE

    include = fields.List(
        fields.String(validate=validate.OneOf(sorted(SECTIONS))),
        validate=validate.Length(min=1),
    )
    targets = fields.List(TargetField(), validate=validate.Length(min=1, max=20))
    scope = fields.String(validate=validate.OneOf(SCOPES))


class EnrichSchema(Schema):
    """One document: ``{text, language?, id?, title?, options?}``."""

    class Meta:
        unknown = RAISE

    text = fields.String(required=True, validate=_article_text)
    language = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^[A-Za-z]{2}$", error="Must be an ISO 639-1 code, e.g. 'fr'."),
    )
    id = fields.String(allow_none=True, validate=validate.Length(max=256))
    title = fields.String(allow_none=True, validate=validate.Length(max=2000))
    options = fields.Nested(OptionsSchema)

    @validates_schema
    def _spans_inside_text(self, data: dict[str, Any], **_: Any) -> None:
        length = len(data.get("text", ""))
        for target in (data.get("options") or {}).get("targets", []):
            if isinstance(target, dict) and target["end"] > length:
                raise ValidationError(
                    {
                        "options": {
                            "targets": [
                                f"span ends at {target['end']}, past the text "
                                f"({length} characters)."
                            ]
                        }
                    }
                )

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
            targets=tuple(options.get("targets", ())),
            scope=options.get("scope", "syntax"),
        )


class BatchSchema(Schema):
    """``{documents: [...]}``; each document is validated on its own, so one bad document
    fails only its slot."""

    class Meta:
        unknown = RAISE

    documents = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1))


enrich_schema = EnrichSchema()
batch_schema = BatchSchema()
