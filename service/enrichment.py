"""The enrichment use case: validated input -> cache -> engine -> analysis -> answer bytes.

This is the one domain entry point the web layer and the CLI call. It knows nothing of HTTP.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from service import activity
from service.admission import Admission, OverloadedError
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
from service.engines.base import ScoringStoppedError
from service.engines.view import engine_view, token_estimate
from service.language import LanguageDetector
from service.metrics import ABANDONED, CHARACTERS, DOCUMENTS, ENGINE_SECONDS

if TYPE_CHECKING:  # torch is imported only when the model loads
    from service.engines.polarity import PolarityScorer

# Says whether the client has gone (the web layer's check of its socket).
Gone = Callable[[], bool]
# How often a request whose client may go checks for it while its answer is computed.
_POLL = 0.25
# spaCy's batch size here (service/engines/spacy_engine.py): no slower in calls of this size.
_DOCUMENTS_PER_CALL = 4


MODEL, LEXICON = "model", "lexicon"


class _TimedModel:
    """The polarity scorer as analysis sees it (``TargetModel``, and ``ExplainingModel``
    for ``options.explain``), timing its calls for the answer's ``model_ms`` and
    ``explain_ms``."""

    def __init__(self, scorer: PolarityScorer, stop: threading.Event) -> None:
        self._scorer = scorer
        self._stop = stop
        self.seconds = 0.0
        self.explain_seconds = 0.0

    def score(
        self, items: Sequence[tuple[str, Sequence[tuple[int, int]]]]
    ) -> list[list[tuple[float, float, float]]]:
        """The scorer's probabilities, timed; dropped between batches once the client is
        gone."""
        began = time.perf_counter()
        try:
            return self._scorer.score(items, self._stop.is_set)
        except ScoringStoppedError:
            raise _Cancelled("model") from None
        finally:
            self.seconds += time.perf_counter() - began

    def attribute(
        self, items: Sequence[tuple[str, Sequence[tuple[int, int]], int]]
    ) -> list[list[tuple[int, int, float]]]:
        """The words that pushed each reading (the scorer's integrated gradients), timed;
        dropped between batches once the client is gone."""
        began = time.perf_counter()
        try:
            return self._scorer.attribute(items, self._stop.is_set)
        except ScoringStoppedError:
            raise _Cancelled("model") from None
        finally:
            self.explain_seconds += time.perf_counter() - began


class BudgetExceededError(TimeoutError):
    """The answer was not ready within the request's time budget; it is still computed and
    cached, so the same request a little later is likely a hit."""

    def __init__(self, budget: float) -> None:
        super().__init__(f"the analysis did not finish within {budget:g} s")
        self.budget = budget


class TextTooLongError(ValueError):
    """The text is longer than the configured limit, in characters or in (estimated)
    tokens, what the engine's work grows with."""

    def __init__(self, length: int, limit: int, unit: str = "characters") -> None:
        super().__init__(f"the text has {length} {unit}; the limit is {limit}")
        self.length = length
        self.limit = limit
        self.unit = unit


class ClientGoneError(ConnectionError):
    """Every client waiting for the answer went away; its engine work was dropped."""


class _Cancelled(Exception):
    """Raised inside the engine pool when the work's client has gone."""


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
    # "model" or "lexicon"; None: the learned model wherever the server has it loaded.
    sentiment: str | None = None
    # The words that pushed the model's readings (its first shown reading per sentiment).
    explain: bool = False


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
    sentiment: str = LEXICON  # what scores sentiment and stance: MODEL or LEXICON
    explain: bool = False  # options.explain, where the model serves
    view: str = ""  # the text as the engine sees it (service/engines/view.py)
    tokens: int = 0  # its token estimate: what the engine's work grows with


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
        self._admission = Admission(settings.request_timeout_seconds)

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
        scorer = self._registry.polarity
        # The model wherever it is loaded, unless the client asks for the lexicon alone; a
        # client asking for the model where it is switched off gets the lexicon's answer
        # (each sentiment's ``source`` says so).
        sentiment = MODEL if scorer is not None and request.sentiment != LEXICON else LEXICON
        # Without the model there is nothing to explain: the lexicon's answer, shared.
        explain = request.explain and sentiment == MODEL
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
                "sentiment": sentiment,
                "polarity": scorer.cache_key if scorer is not None and sentiment == MODEL else None,
                **({"explain": True} if explain else {}),
            },
        )
        processors = processors_for(include, bool(request.targets))
        return _Job(request, key, processors=processors, sentiment=sentiment, explain=explain)

    def _resolve(self, job: _Job) -> _Job:
        """Detect the language (when not given), pick the engine and bound the engine's
        work: only on a miss."""
        request = job.request
        job.view = engine_view(request.text)
        job.tokens = token_estimate(job.view)
        if job.tokens > self._settings.max_text_tokens:
            raise TextTooLongError(job.tokens, self._settings.max_text_tokens, "tokens")
        if request.language is None:
            job.language, job.confidence = self._detector.detect(
                request.text, self._registry.served()
            )
        else:
            job.language = request.language
        job.engine = self._registry.get(job.language)
        return job

    def enrich(self, request: EnrichRequest, abandoned: Gone | None = None) -> Answer:
        """Enrich one document, from the cache when an identical answer is stored.
        ``abandoned`` says whether the client has gone (its work is then dropped)."""
        job = self._prepare(request)
        body, found = self._cache.get(job.key)
        if body is not None:
            return Answer(body, found)
        began = time.monotonic()
        self._resolve(job)
        body, found = self._flight.run(
            job.key, lambda: self._bounded([job], began, abandoned)[0], found
        )
        return Answer(body, found)

    def enrich_many(
        self, requests: Sequence[EnrichRequest], abandoned: Gone | None = None
    ) -> list[Answer | Exception]:
        """Enrich several documents; each uncached group of one language and one option
        set goes through its engine in a single call, through the single flight (so an
        identical single request meanwhile waits for it, and it for one). A failing
        document yields its exception in its slot instead of failing the others."""
        results: list[Answer | Exception] = []
        jobs: dict[str, _Job] = {}  # one per distinct uncached key
        pending: dict[str, list[int]] = {}  # key -> the slots waiting for its answer
        firsts: dict[str, Lookup] = {}  # key -> what its first lookup found
        for i, request in enumerate(requests):
            result = self._look_up(request, jobs, firsts)
            if isinstance(result, str):
                pending.setdefault(result, []).append(i)
                result = Answer(b"", firsts[result])
            results.append(result)
        groups: dict[tuple[str, frozenset[str]], list[str]] = {}
        for job in jobs.values():
            groups.setdefault((job.language, job.processors), []).append(job.key)
        began = time.monotonic()
        for keys in groups.values():
            done = self._run_group([jobs[k] for k in keys], firsts, began, abandoned)
            for key, outcome in done.items():
                for i in pending[key]:
                    results[i] = outcome
        return results

    def _look_up(
        self, request: EnrichRequest, jobs: dict[str, _Job], firsts: dict[str, Lookup]
    ) -> Answer | Exception | str:
        """A cached answer, the request's error, or the key of a job to run."""
        try:
            job = self._prepare(request)
            body, found = self._cache.get(job.key)
            if body is not None:
                return Answer(body, found)
            if job.key not in jobs:
                jobs[job.key], firsts[job.key] = self._resolve(job), found
        except (TextTooLongError, LookupError, RuntimeError) as exc:
            return exc
        return job.key

    def _run_group(
        self,
        group: list[_Job],
        firsts: dict[str, Lookup],
        began: float,
        abandoned: Gone | None,
    ) -> dict[str, Answer | Exception]:
        """One group through the single flight and its engine: an answer per key, or on a
        blown budget or a full queue the error for every key."""
        by_key = {job.key: job for job in group}
        try:
            found = self._flight.run_many(
                list(by_key),
                lambda missing: self._bounded([by_key[k] for k in missing], began, abandoned),
                firsts,
            )
        except (BudgetExceededError, OverloadedError) as exc:
            return dict.fromkeys(by_key, exc)
        return {key: Answer(body, lookup) for key, (body, lookup) in found.items()}

    def _bounded(
        self, jobs: list[_Job], began: float, abandoned: Gone | None
    ) -> list[tuple[bytes, bool]]:
        """Answers and whether each was stored, within what is left of the budget. Work
        the queue cannot finish in time is refused (:class:`OverloadedError`); work whose
        client has gone is dropped (:class:`ClientGoneError`). Work past the budget goes on
        and is cached: the client was told to retry."""
        work = sum(job.tokens for job in jobs)
        self._admission.admit(work)
        stop = threading.Event()
        future = self._pool.submit(self._compute_and_store, jobs, stop, work)
        budget = self._settings.request_timeout_seconds
        deadline = began + budget
        while True:
            left = max(0.0, deadline - time.monotonic())
            try:
                return future.result(timeout=left if abandoned is None else min(left, _POLL))
            except FutureTimeout:
                if abandoned is not None and abandoned():
                    stop.set()
                    raise ClientGoneError("the client went away") from None
                if time.monotonic() >= deadline:
                    raise BudgetExceededError(budget) from None

    def _compute_and_store(
        self, jobs: list[_Job], stop: threading.Event, work: int
    ) -> list[tuple[bytes, bool]]:
        began, seconds = time.perf_counter(), None
        try:
            bodies = self._compute(jobs, stop)
            seconds = time.perf_counter() - began
        except _Cancelled as exc:
            ABANDONED.labels(str(exc)).inc()
            return []
        finally:
            self._admission.done(work, seconds)
        return [
            (body, self._cache.set(job.key, body)) for job, body in zip(jobs, bodies, strict=True)
        ]

    def _compute(self, jobs: list[_Job], stop: threading.Event) -> list[bytes]:
        engine = jobs[0].engine
        assert engine is not None  # resolved before any computation
        if stop.is_set():
            raise _Cancelled("queued")
        began = time.perf_counter()
        docs: list[AnnotatedDocument] = []
        with activity.engine_call(len(jobs)):
            # A few documents per engine call, so that work whose client has gone stops
            # between calls (an engine cannot be interrupted inside one).
            for first in range(0, len(jobs), _DOCUMENTS_PER_CALL):
                if stop.is_set():
                    raise _Cancelled("engine")
                chunk = jobs[first : first + _DOCUMENTS_PER_CALL]
                docs += engine.annotate([job.view for job in chunk], jobs[0].processors)
        for job, doc in zip(jobs, docs, strict=True):
            doc.text = job.request.text  # the engine read the view; answers quote the text
        engine_seconds = time.perf_counter() - began
        labels = (engine.info.name, jobs[0].language)
        ENGINE_SECONDS.labels(*labels).observe(engine_seconds)
        DOCUMENTS.labels(*labels).inc(len(jobs))
        CHARACTERS.labels(*labels).inc(sum(len(job.request.text) for job in jobs))
        if stop.is_set():
            raise _Cancelled("analysis")
        return [
            self._render(job, doc, engine_seconds, stop)
            for job, doc in zip(jobs, docs, strict=True)
        ]

    def _render(
        self, job: _Job, doc: AnnotatedDocument, engine_seconds: float, stop: threading.Event
    ) -> bytes:
        began = time.perf_counter()
        request = job.request
        scorer = self._registry.polarity if job.sentiment == MODEL else None
        model = _TimedModel(scorer, stop) if scorer is not None else None
        analysis = analyse(
            doc,
            request.include,
            request.title,
            request.targets,
            request.scope,
            model=model,
            explain=job.explain,
        )
        analysis_seconds = time.perf_counter() - began
        timings = {"engine_ms": round(engine_seconds * 1000, 2)}
        models: dict[str, str] = {}
        if model is not None and scorer is not None:
            # analysis_ms leaves out the model's share: the three add up to the computation.
            analysis_seconds -= model.seconds + model.explain_seconds
            timings["model_ms"] = round(model.seconds * 1000, 2)
            if job.explain:
                timings["explain_ms"] = round(model.explain_seconds * 1000, 2)
            models["polarity"] = scorer.identity
        timings["analysis_ms"] = round(analysis_seconds * 1000, 2)
        return answer.envelope(job.language, job.confidence, doc, analysis, timings, models)
