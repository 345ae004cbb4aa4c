"""Prometheus metrics of the service, defined once per process.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` (set by gunicorn.conf.py) makes every worker
write its samples to files that ``/metrics`` aggregates.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "enrich_http_requests_total", "HTTP requests by endpoint and status.", ["endpoint", "status"]
)
LATENCY = Histogram(
    "enrich_http_request_seconds",
    "HTTP request latency by endpoint.",
    ["endpoint"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
CACHE = Counter(
    "enrich_cache_total",
    "Cache lookups by backend and result (hit, miss, error).",
    ["backend", "result"],
)
ENGINE_SECONDS = Histogram(
    "enrich_engine_seconds",
    "Time spent in the NLP engine per call (a batch is one call).",
    ["engine", "language"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
DOCUMENTS = Counter(
    "enrich_documents_total", "Documents run through the engine.", ["engine", "language"]
)
CHARACTERS = Counter(
    "enrich_characters_total", "Characters run through the engine.", ["engine", "language"]
)
SHED = Counter(
    "enrich_shed_total",
    "Requests refused with 503 overloaded: the engine queue could not finish them in time.",
)
ABANDONED = Counter(
    "enrich_abandoned_total",
    "Engine work dropped because every client waiting for it had gone, by stage.",
    ["stage"],
)
