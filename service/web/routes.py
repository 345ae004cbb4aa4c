"""The enrichment API: ``/v1/enrich``, ``/v1/enrich/batch``, ``/v1/languages``."""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, request
from marshmallow import ValidationError

from service.analysis.answer import with_fields
from service.enrichment import Answer, EnrichRequest
from service.web.body import json_body
from service.web.disconnect import client_gone
from service.web.errors import ApiError, problem_for
from service.web.schemas import batch_schema, enrich_schema
from service.web.state import services

bp = Blueprint("v1", __name__, url_prefix="/v1")


@bp.post("/enrich")
def enrich() -> Response:
    """Enrich one article."""
    document: EnrichRequest = enrich_schema.load(json_body(request, allow_text=True))
    answer = services().enricher.enrich(document, client_gone(request.environ))
    response = Response(with_fields(answer.body, id=document.id), mimetype="application/json")
    response.headers["X-Cache"] = answer.cache.value.upper()
    return response


@bp.post("/enrich/batch")
def enrich_batch() -> Response:
    """Enrich several articles together; one bad document fails only its own slot."""
    raw = json_body(request)
    _check_batch_size(raw)
    data = batch_schema.load(raw)
    parsed: list[EnrichRequest | Exception] = []
    for raw in data["documents"]:
        try:
            if not isinstance(raw, dict):
                raise ValidationError({"_schema": ["Each document must be a JSON object."]})
            parsed.append(enrich_schema.load(raw))
        except ValidationError as exc:
            parsed.append(exc)
    valid = [p for p in parsed if isinstance(p, EnrichRequest)]
    answers = iter(services().enricher.enrich_many(valid, client_gone(request.environ)))
    slots = []
    for raw, item in zip(data["documents"], parsed, strict=True):
        result = next(answers) if isinstance(item, EnrichRequest) else item
        doc_id = item.id if isinstance(item, EnrichRequest) else _raw_id(raw)
        if isinstance(result, Answer):
            slots.append(with_fields(result.body, id=doc_id, cache=result.cache.value.upper()))
        else:
            slots.append(with_fields(orjson.dumps({"error": problem_for(result)}), id=doc_id))
    return Response(b'{"results":[' + b",".join(slots) + b"]}", mimetype="application/json")


def _check_batch_size(raw: object) -> None:
    """The batch's size against its limits, before any document is validated: at most
    MAX_BATCH_DOCUMENTS documents, of MAX_BATCH_CHARS characters of text together."""
    documents = raw.get("documents") if isinstance(raw, dict) else None
    if not isinstance(documents, list):
        return  # the schema says what is wrong
    settings = services().settings
    if len(documents) > settings.max_batch_documents:
        raise ApiError(
            413,
            "batch-too-large",
            "Batch too large",
            f"The batch has {len(documents)} documents; the limit is "
            f"{settings.max_batch_documents}.",
            limit=settings.max_batch_documents,
        )
    chars = sum(
        len(doc["text"])
        for doc in documents
        if isinstance(doc, dict) and isinstance(doc.get("text"), str)
    )
    if chars > settings.max_batch_chars:
        raise ApiError(
            413,
            "batch-too-large",
            "Batch too large",
            f"The batch has {chars} characters of text; the limit is {settings.max_batch_chars}"
            " (send it as several batches).",
            limit=settings.max_batch_chars,
        )


def _raw_id(raw: object) -> str | None:
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


@bp.get("/languages")
def languages() -> Response:
    """Languages available now, with engine and models; configured but missing ones say
    how to install them."""
    body = [
        {
            "language": s.language,
            "state": s.state,
            "engine": s.engine,
            "models": s.models,
            **({"detail": s.detail, "install": s.hint} if s.hint else {}),
        }
        for s in services().registry.statuses()
    ]
    polarity = services().registry.polarity_status.as_dict()
    return Response(
        orjson.dumps({"languages": body, "polarity": polarity}), mimetype="application/json"
    )
