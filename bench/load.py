"""Load test: the service under gunicorn, with a private Redis, driven by concurrent clients.

    python bench/load.py [--clients 16] [--seconds 30] [--cached-ratio 0.8]

Starts a private redis-server and ``gunicorn -c gunicorn.conf.py 'service:create_app()'``
(two workers of four threads, spaCy engines), waits for ``/readyz``, warms the cache with
the repeated texts, then runs N clients for a bounded time on loopback with a mix of
French and English enrich calls (cached: a repeated text; uncached: a unique trailing
sentence), batch calls of four documents and ``/healthz``. Prints one JSON report and exits
non-zero if any request failed (non-2xx, connection error or a malformed answer).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _servers import (
    ROOT,
    Gunicorn,
    RedisServer,
    delta,
    exit_on_sigterm,
    free_port,
    scrape,
    service_env,
)

SAMPLE = ROOT.parent / "shared" / "samples" / "fr-russie-ukraine.txt"
METRICS = ("enrich_cache_total", "enrich_documents_total", "enrich_http_requests_total")
# Per-request client timeout: longer than the service's own budget (60 s), so that a slow
# answer shows up as the service's 503 rather than as a client-side abort.
CLIENT_TIMEOUT_SECONDS = 90.0
BATCH_SIZE = 4

FRENCH = (
    "Le gouvernement a annoncé mardi un nouveau plan d'aide aux agriculteurs touchés par la "
    "sécheresse. Le ministre de l'Agriculture, Marc Fesneau, a déclaré que « personne ne sera "
    "laissé de côté ». Les syndicats agricoles, dont la FNSEA, jugent pourtant les montants "
    "insuffisants et appellent à manifester à Paris la semaine prochaine.",
    "La Commission européenne a ouvert une enquête sur les subventions accordées par Pékin "
    "aux constructeurs chinois de voitures électriques. Ursula von der Leyen accuse la Chine "
    "de fausser la concurrence, tandis que l'Allemagne craint des représailles contre ses "
    "propres industriels.",
    "À Marseille, le maire Benoît Payan a inauguré la nouvelle ligne de tramway. Il a salué "
    "un projet « attendu depuis vingt ans », mais l'opposition dénonce un chantier en retard "
    "et des coûts qui ont doublé depuis le lancement des travaux.",
)
ENGLISH = (
    "Russia could invade Ukraine at any moment, President Joe Biden warned on Friday. The "
    "United States will supply more weapons to Ukraine, and Mr. Biden told Vladimir Putin to "
    "stop his disinformation campaign.",
    "The Bank of England raised interest rates again on Thursday, its ninth increase in a "
    "row. Governor Andrew Bailey said inflation was still far too high, while unions accused "
    "the bank of pushing Britain into recession.",
    "Microsoft agreed to buy the game maker Activision Blizzard after regulators in Brussels "
    "approved the deal. Critics in Washington said the merger would hurt competition, but the "
    "European Commission praised the company's commitments.",
)
# A trailing sentence in the text's own language makes a text unique (uncached) without
# changing what language it is detected as.
SUFFIX = {"fr": " Mise à jour numéro {n}.", "en": " Update number {n}."}


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "mem_total_gib": memory,
        "python": platform.python_version(),
    }


@dataclass
class Call:
    """One HTTP call to make: its kind (for the statistics), method, path and JSON body."""

    kind: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    # Per document (one, or one per batch slot): the key of its reference answer when it
    # is a repeated text, else None.
    refs: list[bytes | None] = field(default_factory=list)


def ref_key(document: dict[str, Any]) -> bytes:
    """What identifies a repeated document's reference answer (its body without ``id``)."""
    without_id = {k: v for k, v in document.items() if k != "id"}
    return orjson.dumps(without_id, option=orjson.OPT_SORT_KEYS)


def comparable(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer without what legitimately differs between two computations of the same
    document (timings) or between calls (the echoed ``id`` and a batch slot's ``cache``)."""
    return {k: v for k, v in answer.items() if k not in ("timings", "id", "cache")}


class Workload:
    """The request mix: repeated texts (cached after the warm-up), unique texts, batches of
    four documents and ``/healthz``."""

    def __init__(
        self, cached_ratio: float, healthz_share: float, batch_share: float, tag: str
    ) -> None:
        texts = [("fr", t) for t in FRENCH] + [("en", t) for t in ENGLISH]
        if SAMPLE.is_file():
            texts.insert(0, ("fr", SAMPLE.read_text(encoding="utf-8")))
        self.texts = texts
        # Each text twice: with the language named and detected (two cache keys, two paths).
        self.repeated = [{"text": t} for _, t in texts] + [
            {"text": t, "language": lang} for lang, t in texts
        ]
        self.cached_ratio = cached_ratio
        self.healthz_share = healthz_share
        self.batch_share = batch_share
        self._tag = tag
        self._counter = itertools.count()
        # The warm-up's answer for every repeated document: every later answer for the same
        # document, hit or recomputed, must say the same.
        self.references: dict[bytes, dict[str, Any]] = {}

    def document(self, rng: random.Random) -> tuple[bool, dict[str, Any]]:
        """A document and whether it is a repeated one."""
        if rng.random() < self.cached_ratio:
            return True, dict(rng.choice(self.repeated))
        language, text = rng.choice(self.texts)
        suffix = SUFFIX[language].format(n=f"{self._tag}-{next(self._counter)}")
        body: dict[str, Any] = {"text": text + suffix}
        if rng.random() < 0.5:
            body["language"] = language
        return False, body

    def next_call(self, rng: random.Random) -> Call:
        """The next call of one client."""
        draw = rng.random()
        if draw < self.healthz_share:
            return Call("healthz", "GET", "/healthz")
        if draw < self.healthz_share + self.batch_share:
            drawn = [self.document(rng) for _ in range(BATCH_SIZE)]
            docs = [{**doc, "id": f"d{i}"} for i, (_, doc) in enumerate(drawn)]
            refs = [ref_key(doc) if repeated else None for repeated, doc in drawn]
            return Call("batch", "POST", "/v1/enrich/batch", {"documents": docs}, refs)
        repeated, body = self.document(rng)
        kind = "cached" if repeated else "uncached"
        return Call(kind, "POST", "/v1/enrich", body, [ref_key(body) if repeated else None])


@dataclass
class Result:
    """What one call gave."""

    kind: str
    status: str  # the HTTP status, or "connection" / "timeout"
    ms: float
    x_cache: str | None = None
    slot_cache: list[str] = field(default_factory=list)
    error: str | None = None  # why this call counts as failed, if it does
    error_kind: str | None = None  # the same, as a short category for counting


def perform(
    session: requests.Session,
    base: str,
    call: Call,
    references: dict[bytes, dict[str, Any]] | None = None,
) -> Result:
    """Make one call and check its answer: 2xx, ``X-Cache`` on enrich, a JSON object that
    is an enrichment (or, for a batch, one per document and no failed slot), and for a
    repeated document the same answer as its reference."""
    began = time.perf_counter()
    try:
        response = session.request(
            call.method,
            base + call.path,
            data=None if call.body is None else orjson.dumps(call.body),
            headers={"Content-Type": "application/json"} if call.body is not None else None,
            timeout=CLIENT_TIMEOUT_SECONDS,
        )
        content = response.content
    except requests.Timeout as exc:
        ms = (time.perf_counter() - began) * 1000
        return Result(call.kind, "timeout", ms, error=f"timeout: {exc}", error_kind="timeout")
    except requests.RequestException as exc:
        ms = (time.perf_counter() - began) * 1000
        error = f"{type(exc).__name__}: {exc}"
        return Result(call.kind, "connection", ms, error=error, error_kind="connection")
    ms = (time.perf_counter() - began) * 1000
    result = Result(call.kind, str(response.status_code), ms, response.headers.get("X-Cache"))
    if not 200 <= response.status_code < 300:
        result.error = f"HTTP {response.status_code}: {content[:300].decode(errors='replace')}"
        result.error_kind = f"http {response.status_code}"
        return result
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        result.error = f"answer is not JSON ({exc}): {content[:120]!r}"
        result.error_kind = f"{call.kind} answer ({result.x_cache}) is not JSON"
        return result
    if call.kind == "healthz":
        return result
    if call.kind == "batch":
        slots = body.get("results") if isinstance(body, dict) else None
        if not isinstance(slots, list) or len(slots) != BATCH_SIZE:
            result.error = "batch answer without one result per document"
            result.error_kind = "batch answer malformed"
            return result
        for slot, ref in zip(slots, call.refs, strict=True):
            result.slot_cache.append(str(slot.get("cache")))
            if "error" in slot:
                result.error = f"batch slot failed: {str(slot['error'])[:300]}"
                problem = slot["error"]
                status = problem.get("status") if isinstance(problem, dict) else "?"
                result.error_kind = f"batch slot failed ({status})"
            elif references and ref in references and comparable(slot) != references[ref]:
                result.error = f"batch slot ({slot.get('cache')}) differs from its reference"
                result.error_kind = f"{slot.get('cache')} batch slot differs from reference"
        return result
    if result.x_cache not in ("HIT", "MISS", "BYPASS"):
        result.error = f"X-Cache is {result.x_cache!r}"
        result.error_kind = "no X-Cache"
    elif not isinstance(body, dict) or "language" not in body or "actors" not in body:
        result.error = f"answer is not an enrichment: {content[:120]!r}"
        result.error_kind = "not an enrichment"
    elif references and call.refs[0] in references and comparable(body) != references[call.refs[0]]:
        result.error = f"answer ({result.x_cache}) differs from its reference"
        result.error_kind = f"{result.x_cache} answer differs from reference"
    return result


class Recorder:
    """Results by phase, thread-safe; a phase is a label the driver moves forward."""

    def __init__(self) -> None:
        self.phase = "run"
        self._lock = threading.Lock()
        self._results: dict[str, list[tuple[float, Result]]] = defaultdict(list)

    def add(self, phase: str, result: Result) -> None:
        """Record a result under the phase its call started in."""
        with self._lock:
            self._results[phase].append((time.monotonic(), result))

    def results(self, phase: str) -> list[tuple[float, Result]]:
        """The results of one phase, with the time each was recorded."""
        with self._lock:
            return list(self._results.get(phase, []))


def client(
    base: str,
    workload: Workload,
    recorder: Recorder,
    stop: threading.Event,
    seed: int,
    deadline: float,
    max_calls: int,
) -> None:
    """One client: calls back to back until told to stop (or its hard deadline or call cap,
    which only a wedged driver would reach)."""
    rng = random.Random(seed)
    with requests.Session() as session:
        for _ in range(max_calls):
            if stop.is_set() or time.monotonic() > deadline:
                return
            phase = recorder.phase
            call = workload.next_call(rng)
            try:
                result = perform(session, base, call, workload.references)
            except Exception as exc:  # an answer shape perform() did not foresee
                error = f"unexpected answer: {type(exc).__name__}: {exc}"
                result = Result(call.kind, "unchecked", 0.0, error=error, error_kind="unchecked")
            recorder.add(phase, result)


def start_clients(
    n: int,
    base: str,
    workload: Workload,
    recorder: Recorder,
    stop: threading.Event,
    max_seconds: float,
) -> list[threading.Thread]:
    """Start ``n`` client threads (daemons: they must never keep the process alive)."""
    deadline = time.monotonic() + max_seconds
    threads = [
        threading.Thread(
            target=client,
            args=(base, workload, recorder, stop, 1000 + i, deadline, 10_000_000),
            name=f"client-{i}",
            daemon=True,
        )
        for i in range(n)
    ]
    for thread in threads:
        thread.start()
    return threads


def join_clients(threads: list[threading.Thread], stop: threading.Event) -> list[str]:
    """Stop the clients and wait for their last calls; names of any still stuck."""
    stop.set()
    deadline = time.monotonic() + CLIENT_TIMEOUT_SECONDS + 5
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return [t.name for t in threads if t.is_alive()]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return 0.0
    rank = max(1, round(q / 100 * len(values) + 0.5 - 1e-9))
    return values[min(rank, len(values)) - 1]


def latency(values: list[float]) -> dict[str, float]:
    """Count, p50, p90, p99, max and mean in ms."""
    ordered = sorted(values)
    if not ordered:
        return {"count": 0}
    return {
        "count": len(ordered),
        "p50_ms": round(percentile(ordered, 50), 1),
        "p90_ms": round(percentile(ordered, 90), 1),
        "p99_ms": round(percentile(ordered, 99), 1),
        "max_ms": round(ordered[-1], 1),
        "mean_ms": round(sum(ordered) / len(ordered), 1),
    }


def summarise(results: list[Result], seconds: float) -> dict[str, Any]:
    """Totals, throughput, latency per kind, status codes, cache results and errors."""
    by_kind: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[str] = Counter()
    x_cache: Counter[str] = Counter()
    x_cache_by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    slots: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    error_kinds: Counter[str] = Counter()
    for result in results:
        by_kind[result.kind].append(result.ms)
        statuses[result.status] += 1
        if result.x_cache:
            x_cache[result.x_cache] += 1
            x_cache_by_kind[result.kind][result.x_cache] += 1
        slots.update(result.slot_cache)
        if result.error:
            errors[f"{result.kind}: {result.error[:300]}"] += 1
            error_kinds[result.error_kind or "other"] += 1
    return {
        "requests": len(results),
        "seconds": round(seconds, 2),
        "throughput_rps": round(len(results) / seconds, 1) if seconds else 0.0,
        "throughput_rps_by_kind": {
            k: round(len(v) / seconds, 1) for k, v in sorted(by_kind.items()) if seconds
        },
        "latency_ms": {k: latency(v) for k, v in sorted(by_kind.items())},
        "status_codes": dict(sorted(statuses.items())),
        "x_cache": dict(sorted(x_cache.items())),
        "x_cache_by_kind": {k: dict(sorted(v.items())) for k, v in sorted(x_cache_by_kind.items())},
        "batch_slot_cache": dict(sorted(slots.items())),
        "errors": sum(errors.values()),
        "error_kinds": dict(error_kinds.most_common()),
        "error_samples": dict(errors.most_common(10)),
    }


def warm_up(base: str, workload: Workload) -> dict[str, Any]:
    """Enrich every repeated text once, so that "cached" calls are hits from the start, and
    keep each answer as the reference later answers are compared with."""
    results = []
    with requests.Session() as session:
        for body in workload.repeated:
            results.append(perform(session, base, Call("warmup", "POST", "/v1/enrich", body)))
            response = session.post(f"{base}/v1/enrich", json=body, timeout=CLIENT_TIMEOUT_SECONDS)
            if response.status_code == 200 and response.headers.get("X-Cache") == "HIT":
                workload.references[ref_key(body)] = comparable(response.json())
    return summarise(results, 0.0) | {"references": len(workload.references)}


def timeline(entries: list[tuple[float, Result]], began: float) -> list[list[int]]:
    """``[second, calls, failed calls]`` per second of the run (by completion time)."""
    calls: Counter[int] = Counter()
    failed: Counter[int] = Counter()
    for at, result in entries:
        second = int(at - began)
        calls[second] += 1
        failed[second] += bool(result.error)
    return [[s, calls[s], failed[s]] for s in sorted(calls)]


def with_service(
    workdir: Path,
    prefix: str,
    body: Callable[[Gunicorn, RedisServer], dict[str, Any]],
    gunicorn_args: str | None = None,
) -> dict[str, Any]:
    """Start the private Redis and gunicorn, run ``body``, and stop both whatever happens
    (gunicorn gracefully first, so that in-flight calls finish). ``gunicorn_args`` go to
    gunicorn as GUNICORN_CMD_ARGS, which override gunicorn.conf.py (for diagnosis only)."""
    redis_server = RedisServer(workdir)
    metrics_dir = workdir / "metrics"
    metrics_dir.mkdir()
    env = service_env(free_port(), redis_server.url, prefix, metrics_dir)
    if gunicorn_args:
        env["GUNICORN_CMD_ARGS"] = gunicorn_args
    server = Gunicorn(env, workdir / "gunicorn.log")
    report: dict[str, Any] = {}
    try:
        redis_server.start()
        server.start()
        ready = server.wait_ready()
        report["startup"] = {"gunicorn_ready_seconds": round(ready, 1)}
        report |= body(server, redis_server)
    finally:
        code = server.stop()
        redis_server.stop()
        report["gunicorn"] = {
            "exit_code_after_sigterm": code,
            "log": server.log_summary(),
        }
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the load test; 0 when every call succeeded and gunicorn stopped cleanly."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the run")
    parser.add_argument(
        "--cached-ratio", type=float, default=0.8, help="share of documents that are repeated"
    )
    parser.add_argument("--healthz-share", type=float, default=0.1, help="share of /healthz")
    parser.add_argument("--batch-share", type=float, default=0.1, help="share of batch calls")
    parser.add_argument("--keep-log", type=Path, help="copy gunicorn's log here")
    parser.add_argument(
        "--gunicorn-args",
        help="extra gunicorn options over gunicorn.conf.py, e.g. '--max-requests 0' (diagnosis)",
    )
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 3600 or not 1 <= args.clients <= 256:
        parser.error("--seconds must be in (0, 3600] and --clients in [1, 256]")
    exit_on_sigterm()

    tag = uuid.uuid4().hex[:8]
    prefix = f"bench-load-{tag}"
    workload = Workload(args.cached_ratio, args.healthz_share, args.batch_share, tag)
    report: dict[str, Any] = {
        "machine": machine(),
        "settings": {
            "clients": args.clients,
            "seconds": args.seconds,
            "cached_ratio": args.cached_ratio,
            "healthz_share": args.healthz_share,
            "batch_share": args.batch_share,
            "batch_size": BATCH_SIZE,
            "web_concurrency": 2,
            "gunicorn_threads": 4,
            "engine": "spacy (STANZA_RESOURCES_DIR=/nonexistent)",
            "cache": "private redis-server",
            "cache_prefix": prefix,
            "gunicorn_args_over_conf": args.gunicorn_args,
            "texts": {
                "count": len(workload.texts),
                "sample_article": SAMPLE.is_file(),
                "chars": [len(t) for _, t in workload.texts],
            },
        },
    }

    def run(server: Gunicorn, _: RedisServer) -> dict[str, Any]:
        part: dict[str, Any] = {"warmup": warm_up(server.base, workload)}
        recorder = Recorder()
        stop = threading.Event()
        before = scrape(server.base, METRICS)
        began = time.monotonic()
        threads = start_clients(
            args.clients, server.base, workload, recorder, stop, args.seconds + 30
        )
        try:
            time.sleep(args.seconds)
        finally:
            stuck = join_clients(threads, stop)
        elapsed = time.monotonic() - began
        entries = recorder.results("run")
        part["run"] = summarise([r for _, r in entries], elapsed)
        part["run"]["stuck_clients"] = stuck
        part["run"]["timeline"] = timeline(entries, began)
        part["metrics_delta"] = delta(scrape(server.base, METRICS), before)
        return part

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        try:
            report |= with_service(Path(tmp), prefix, run, args.gunicorn_args)
        finally:
            if args.keep_log:
                log = Path(tmp) / "gunicorn.log"
                if log.is_file():
                    args.keep_log.write_bytes(log.read_bytes())
    failures = []
    warm = report.get("warmup", {})
    if warm.get("errors"):
        failures.append(f"{warm['errors']} warm-up calls failed")
    run_part = report.get("run", {})
    if run_part.get("errors"):
        failures.append(f"{run_part['errors']} calls failed")
    if run_part.get("stuck_clients"):
        failures.append(f"clients still waiting at the end: {run_part['stuck_clients']}")
    if report["gunicorn"]["exit_code_after_sigterm"] != 0:
        failures.append("gunicorn did not exit with 0 after SIGTERM")
    report["failures"] = failures
    if run_part:
        print(
            f"{run_part['requests']} calls, {run_part['throughput_rps']} calls/s, "
            f"{run_part['errors']} failed {run_part['error_kinds']}, X-Cache "
            f"{run_part['x_cache']}, workers {report['gunicorn']['log'].get('workers')}",
            file=sys.stderr,
        )
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
