"""The enrichment use case: validated input -> cache -> engine -> analysis -> answer bytes.

This is the one domain entry point the web layer and the CLI call. It knows nothing of HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from service import activity
from service.analysis import (
    ANALYSIS_VERSION,
    DEFAULT_SECTIONS,
    analyse,
    answer,
    load_knowledge,
    processors_for,
)
from service.cache import Cache, Lookup
from service.cache.base import cache_key
from service.cache.flight import SingleFlight
from service.config import Settings
from service.document import AnnotatedDocument
from service.engines import Engine, EngineRegistry
from service.language import LanguageDetector
from service.metrics import CHARACTERS, DOCUMENTS, ENGINE_SECONDS


class BudgetExceededError(TimeoutError):
    """The answer was not ready within the request's time budget; it is still computed and
    cached, so the same request a little later is likely a hit."""

    def __init__(self, budget: float) -> None:
        super().__init__(f"the analysis did not finish within {budget:g} s")
        self.budget = budget


class TextTooLongError(ValueError):
    """The text is longer than the configured limit."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"the text has {length} characters; the limit is {limit}")
        self.length = length
        self.limit = limit


@dataclass(frozen=True, slots=True)
class EnrichRequest:
    """One validated document to enrich."""

    text: str
    language: str | None = None
    id: str | None = None
    title: str | None = None
    include: tuple[str, ...] = DEFAULT_SECTIONS
    targets: tuple[str | dict[str, int], ...] = ()
    scope: str = "syntax"


@dataclass(slots=True)
class Answer:
    """A JSON answer (without the client's ``id``) and how the cache served it."""

    body: bytes
    cache: Lookup


@dataclass(slots=True)
class _Job:
    request: EnrichRequest
    key: str
    language: str = ""
    confidence: float | None = None  # of the detection; None when the client named it
    engine: Engine | None = None
    processors: frozenset[str] = field(default_factory=frozenset)


class Enricher:
    """Enriches documents through the loaded engines, caching whole answers."""

    def __init__(
        self,
        settings: Settings,
        registry: EngineRegistry,
        cache: Cache,
        detector: LanguageDetector,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._cache = cache
        self._detector = detector
        # The analysis' language data loads with the models (a language whose file is
        # missing or malformed stops the start); one loaded later loads on first use.
        load_knowledge(registry.served())
        self._flight = SingleFlight(cache, settings.request_timeout_seconds)
        # Engine work runs here, so that a request can give up waiting at its budget while
        # the computation finishes (and is cached) instead of holding the worker's thread.
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="engine")

    def _prepare(self, request: EnrichRequest) -> _Job:
        """The job and its cache key, without detecting the language: a cached answer then
        costs no language identification (about as much as the rest of a hit). A text sent
        without a language is keyed on every served engine, which decide its answer."""
        if len(request.text) > self._settings.max_text_chars:
            raise TextTooLongError(len(request.text), self._settings.max_text_chars)
        if request.language is not None:
            engines = {request.language: self._registry.get(request.language).info.as_dict()}
        else:
            engines = self._registry.fingerprint()
        include = tuple(sorted(set(request.include)))
        key = cache_key(
            self._settings.cache_prefix,
            ANALYSIS_VERSION,
            {
                "text": request.text,
                "title": request.title,
                "language": request.language,
                "include": include,
                "targets": list(request.targets),
                "scope": request.scope,
                "engines": engines,
            },
        )
        return _Job(request, key, processors=processors_for(include, bool(request.targets)))

    def _resolve(self, job: _Job) -> _Job:
        """Detect the language (when not given) and pick the engine: only on a miss."""
        request = job.request
        if request.language is None:
            job.language, job.confidence = self._detector.detect(
                request.text, self._registry.served()
            )
        else:
            job.language = request.language
        job.engine = self._registry.get(job.language)
        return job

    def enrich(self, request: EnrichRequest) -> Answer:
        """Enrich one document, from the cache when an identical answer is stored."""
        job = self._prepare(request)
        body, found = self._cache.get(job.key)
        if body is not None:
            return Answer(body, found)
        began = time.monotonic()
        self._resolve(job)
        body, found = self._flight.run(job.key, lambda: self._bounded([job], began)[0], found)
        return Answer(body, found)

    def enrich_many(self, requests: Sequence[EnrichRequest]) -> list[Answer | Exception]:
        """Enrich several documents; each uncached group of one language and one option
        set goes through its engine in a single call. A failing document yields its
        exception in its slot instead of failing the others."""
        results: list[Answer | Exception] = []
        jobs: dict[str, _Job] = {}  # one per distinct uncached key
        pending: dict[str, list[int]] = {}  # key -> the slots waiting for its answer
        for i, request in enumerate(requests):
            result = self._look_up(request, jobs)
            if isinstance(result, tuple):
                key, result = result
                pending.setdefault(key, []).append(i)
            results.append(result)
        groups: dict[tuple[str, frozenset[str]], list[_Job]] = {}
        for job in jobs.values():
            groups.setdefault((job.language, job.processors), []).append(job)
        began = time.monotonic()
        for group in groups.values():
            self._fill(group, pending, results, began)
        return results

    def _look_up(
        self, request: EnrichRequest, jobs: dict[str, _Job]
    ) -> Answer | Exception | tuple[str, Answer]:
        """A cached answer, the request's error, or (key, empty slot) for a job to run."""
        try:
            job = self._prepare(request)
        except (TextTooLongError, LookupError, RuntimeError) as exc:
            return exc
        body, found = self._cache.get(job.key)
        if body is not None:
            return Answer(body, found)
        if job.key not in jobs:
            try:
                jobs[job.key] = self._resolve(job)
            except (LookupError, RuntimeError) as exc:
                return exc
        return job.key, Answer(b"", found)

    def _fill(
        self,
        group: list[_Job],
        pending: dict[str, list[int]],
        results: list[Answer | Exception],
        began: float,
    ) -> None:
        """Run one group through its engine and fill the slots waiting for it; on a blown
        budget every one of its slots gets the error."""
        try:
            done = self._bounded(group, began)
        except BudgetExceededError as exc:
            for job in group:
                for i in pending[job.key]:
                    results[i] = exc
            return
        for job, (body, stored) in zip(group, done, strict=True):
            for i in pending[job.key]:
                slot = results[i]
                assert isinstance(slot, Answer)
                slot.body = body
                if not stored:
                    slot.cache = Lookup.BYPASS

    def _bounded(self, jobs: list[_Job], began: float) -> list[tuple[bytes, bool]]:
        """Answers and whether each was stored, within what is left of the budget."""
        budget = self._settings.request_timeout_seconds
        future = self._pool.submit(self._compute_and_store, jobs)
        try:
            return future.result(timeout=max(0.0, budget - (time.monotonic() - began)))
        except FutureTimeout as exc:
            raise BudgetExceededError(budget) from exc

    def _compute_and_store(self, jobs: list[_Job]) -> list[tuple[bytes, bool]]:
        bodies = self._compute(jobs)
        return [
            (body, self._cache.set(job.key, body)) for job, body in zip(jobs, bodies, strict=True)
        ]

    def _compute(self, jobs: list[_Job]) -> list[bytes]:
        engine = jobs[0].engine
        assert engine is not None  # resolved before any computation
        began = time.perf_counter()
        with activity.engine_call(len(jobs)):
            docs = engine.annotate([job.request.text for job in jobs], jobs[0].processors)
        engine_seconds = time.perf_counter() - began
        labels = (engine.info.name, jobs[0].language)
        ENGINE_SECONDS.labels(*labels).observe(engine_seconds)
        DOCUMENTS.labels(*labels).inc(len(jobs))
        CHARACTERS.labels(*labels).inc(sum(len(job.request.text) for job in jobs))
        return [self._render(job, doc, engine_seconds) for job, doc in zip(jobs, docs, strict=True)]

    def _render(self, job: _Job, doc: AnnotatedDocument, engine_seconds: float) -> bytes:
        began = time.perf_counter()
        request = job.request
        analysis = analyse(doc, request.include, request.title, request.targets, request.scope)
        timings = {
            "engine_ms": round(engine_seconds * 1000, 2),
            "analysis_ms": round((time.perf_counter() - began) * 1000, 2),
        }
        return answer.envelope(job.language, job.confidence, doc, analysis, timings)
