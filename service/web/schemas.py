"""Request schemas (marshmallow): fail fast on bad input, before any model work."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from service.analysis import DEFAULT_SECTIONS, SCOPES, SECTIONS, SENTIMENT_SOURCES
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


# The longest lists a request may hold (openapi.yaml says the same as maxItems).
MAX_INCLUDE = 10
MAX_TARGETS = 20
_NAMED = 5  # unknown keys named in an error; the others are counted


class BoundedSchema(Schema):
    """A schema that checks sizes before marshmallow walks the data, so that a huge list
    or object costs one length check, not a message per item: unknown keys (a few are
    named) and the length of the list fields in :attr:`MAX_ITEMS`."""

    MAX_ITEMS: ClassVar[dict[str, int]] = {}

    class Meta:
        unknown = RAISE

    @pre_load
    def _bounded(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, dict):
            return data  # the schema says what it should be
        unknown = [key for key in data if key not in self.fields]
        if unknown:
            errors: dict[str, Any] = {str(k): ["Unknown field."] for k in unknown[:_NAMED]}
            if len(unknown) > _NAMED:
                errors["_schema"] = [f"{len(unknown) - _NAMED} more unknown fields."]
            raise ValidationError(errors)
        too_long = {
            name: [f"At most {limit} items; got {len(data[name])}."]
            for name, limit in self.MAX_ITEMS.items()
            if isinstance(data.get(name), list) and len(data[name]) > limit
        }
        if too_long:
            raise ValidationError(too_long)
        return data


class SpanSchema(BoundedSchema):
    """A target given as a character span of the text."""

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


class StrictBoolean(fields.Boolean):
    """JSON ``true`` or ``false`` only: marshmallow's Boolean also takes "yes", 1 or "on",
    which here would be a client's mistake passing silently."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class OptionsSchema(BoundedSchema):
    """``options``: what the answer includes, and about what."""

    MAX_ITEMS: ClassVar[dict[str, int]] = {"include": MAX_INCLUDE, "targets": MAX_TARGETS}

    include = fields.List(
        fields.String(validate=validate.OneOf(sorted(SECTIONS))),
        validate=validate.Length(min=1),
    )
    targets = fields.List(TargetField(), validate=validate.Length(min=1))
    scope = fields.String(validate=validate.OneOf(SCOPES))
    sentiment = fields.String(validate=validate.OneOf(SENTIMENT_SOURCES))
    explain = StrictBoolean()


class EnrichSchema(BoundedSchema):
    """One document: ``{text, language?, id?, title?, options?}``."""

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
            sentiment=options.get("sentiment"),
            explain=options.get("explain", False),
        )


class BatchSchema(BoundedSchema):
    """``{documents: [...]}``; each document is validated on its own, so one bad document
    fails only its slot (the route checks the batch's size before this schema)."""

    documents = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1))


enrich_schema = EnrichSchema()
batch_schema = BatchSchema()
