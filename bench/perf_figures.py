"""The measurements behind each figure of ``bench/performance.py``, one function per figure.

Every function takes what it measures (a running gunicorn, an in-process engine) and
returns plain data; none starts or stops a server. Uncached runs use texts made unique by
a tag, so that nothing is served from the cache by accident.

Figure 2's concurrent loads run in rounds that alternate between the targets (service,
floor, service, floor...), so that a drift of the machine (another process waking up)
touches every target alike; ratios are taken round by round, then their median.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from harness import (
    Gunicorn,
    Reply,
    cpu_seconds,
    delta,
    latency_loop,
    median,
    memory,
    percentile,
    post,
    throughput,
    tree_cpu_seconds,
)
from perf_articles import Article, compose_chars, mixed_set

from service.analysis import DEFAULT_SECTIONS, processors_for

if TYPE_CHECKING:
    # Imported when used: it loads numpy, whose thread pools must be sized first.
    from service.enrichment import Enricher

Log = Callable[[str], None]
Scrape = Callable[[str], dict[str, float]]


@dataclass(frozen=True, slots=True)
class Plan:
    """Run lengths shared by both engines."""

    loop_count: int  # figure 2a: cached answers of one client, at most
    loop_seconds: float  # and for at most this long
    clients: int  # figure 2b: concurrent clients
    rounds: int  # of each target, alternating
    throughput_seconds: float  # of each round
    workers: tuple[int, ...]  # figures 4 and 6: gunicorns with these worker counts
    preload_variants: bool  # also serve with PRELOAD_MODELS=false (figures 4 and 6)
    threads_experiment: bool  # Stanza alone with 1 and 2 torch threads


def _body(text: str, language: str | None = None) -> bytes:
    return orjson.dumps({"text": text, **({"language": language} if language else {})})


def _check(reply: Reply, cache: str | None = None) -> dict[str, Any]:
    if reply.status != 200:
        raise RuntimeError(f"HTTP {reply.status}: {reply.body[:300]!r}")
    if cache and reply.headers.get("X-Cache") != cache:
        raise RuntimeError(f"expected X-Cache {cache}, got {reply.headers.get('X-Cache')}")
    return orjson.loads(reply.body)


def warm_up(
    server: Gunicorn, text: Callable[[str], str], log: Log, timeout: float = 180.0
) -> dict[str, Any]:
    """Uncached requests one at a time, each on a new connection (idle workers race to
    accept it, so they spread), until every worker has taken one: its CPU time grew by at
    least half the engine time of the answer. At most 40 requests.

    Concurrent requests would not do: a worker whose engine is busy only defers to an idle
    sibling (service/web/gunicorn_worker.py), it does not refuse, so several requests sent
    at once may still land on one worker and leave another cold."""
    time.sleep(0.5)  # let freshly booted workers finish their own start-up work
    pids = server.worker_pids()
    cpu = {pid: cpu_seconds(pid) for pid in pids}
    warm: set[int] = set()
    began = time.monotonic()
    for i in range(40):
        reply = post(f"{server.base}/v1/enrich", _body(text(f"{i}")), timeout)
        engine_s = _check(reply, "MISS")["timings"]["engine_ms"] / 1000
        now = {pid: cpu_seconds(pid) for pid in pids}
        warm |= {pid for pid in pids if now[pid] - cpu[pid] >= 0.5 * engine_s}
        cpu = now
        if warm == set(pids):
            return {"requests": i + 1, "seconds": round(time.monotonic() - began, 1)}
    cold = sorted(set(pids) - warm)
    log(f"warning: workers {cold} took no warm-up request in 40")
    return {"requests": 40, "cold_workers": cold}


def memory_snapshot(server: Gunicorn) -> dict[str, Any]:
    """RSS, PSS and USS (MiB) of the master and of each worker, and the totals."""
    master, workers = memory(server.pid), server.workers_memory()
    assert master is not None, "the gunicorn master is gone"
    return {
        "master": master.as_dict(),
        "workers": [w.as_dict() for w in workers],
        "total_rss_mib": round(master.rss + sum(w.rss for w in workers), 1),
        "total_pss_mib": round(master.pss + sum(w.pss for w in workers), 1),
    }


@dataclass(slots=True)
class Overhead:
    """Figure 1: service over HTTP / engine alone, on the same uncached texts."""

    http_s: list[float]
    engine_s: list[float]
    worker_engine_ms: list[float]
    analysis_ms: list[float]

    def as_dict(self) -> dict[str, Any]:
        """Medians, the ratio and where the difference goes."""
        http, engine = median(self.http_s), median(self.engine_s)
        return {
            "ratio": round(http / engine, 3),
            "runs": len(self.http_s),
            "http_ms_median": round(http * 1000, 1),
            "engine_alone_ms_median": round(engine * 1000, 1),
            "in_worker_engine_ms_median": round(median(self.worker_engine_ms), 1),
            "in_worker_analysis_ms_median": round(median(self.analysis_ms), 1),
            "http_ms_runs": [round(x * 1000, 1) for x in self.http_s],
            "engine_alone_ms_runs": [round(x * 1000, 1) for x in self.engine_s],
        }


def overhead(
    server: Gunicorn, engine: Any, article: Callable[[str], Article], runs: int, tag: str
) -> Overhead:
    """``runs`` rounds of one uncached HTTP call and one ``engine.annotate`` on the same
    text (the order alternates, so that a drift of the machine hits both alike)."""
    processors = processors_for(DEFAULT_SECTIONS, False)
    engine.annotate([article(f"{tag}-warm").text], processors)
    result = Overhead([], [], [], [])
    for i in range(runs):
        text = article(f"{tag}-{i}").text

        def over_http(text: str = text) -> None:
            reply = post(f"{server.base}/v1/enrich", _body(text))
            timings = _check(reply, "MISS")["timings"]
            result.http_s.append(reply.seconds)
            result.worker_engine_ms.append(timings["engine_ms"])
            result.analysis_ms.append(timings["analysis_ms"])

        def alone(text: str = text) -> None:
            began = time.perf_counter()
            engine.annotate([text], processors)
            result.engine_s.append(time.perf_counter() - began)

        for step in (over_http, alone) if i % 2 == 0 else (alone, over_http):
            step()
    return result


def torch_threads(engine: Any, text: Callable[[str], str], runs: int, tag: str) -> dict[str, Any]:
    """Engine-alone time with 1 and with 2 torch intra-op threads, in this process, the
    two settings alternating; with the process CPU time over wall time (about 2 when both
    threads compute, less when something else holds a core)."""
    import torch

    processors = processors_for(DEFAULT_SECTIONS, False)
    before = torch.get_num_threads()
    wall: dict[int, list[float]] = {1: [], 2: []}
    parallel: dict[int, list[float]] = {1: [], 2: []}
    try:
        for i in range(runs):
            for threads in (1, 2):
                torch.set_num_threads(threads)
                began, cpu = time.perf_counter(), time.process_time()
                engine.annotate([text(f"{tag}-{threads}-{i}")], processors)
                seconds = time.perf_counter() - began
                wall[threads].append(seconds)
                parallel[threads].append((time.process_time() - cpu) / seconds)
    finally:
        torch.set_num_threads(before)
    return {
        f"threads_{n}": {
            "ms_median": round(median(wall[n]) * 1000, 1),
            "ms_runs": [round(x * 1000, 1) for x in wall[n]],
            "cpu_per_wall_median": round(median(parallel[n]), 2),
        }
        for n in (1, 2)
    }


def batching(
    server: Gunicorn, count: int, low: int, high: int, languages: tuple[str, ...], tag: str
) -> dict[str, Any]:
    """Figure 3: one batch call of ``count`` uncached articles, then the same articles (with
    another tag) through single calls one after the other."""
    batch = mixed_set(count, low, high, languages, f"{tag}-b")
    singles = mixed_set(count, low, high, languages, f"{tag}-s")
    payload = orjson.dumps({"documents": [{"text": a.text} for a in batch]})
    reply = post(f"{server.base}/v1/enrich/batch", payload)
    results = _check(reply)["results"]
    missed = [r.get("cache") for r in results if r.get("cache") != "MISS"]
    if len(results) != count or missed:
        raise RuntimeError(f"batch: {len(results)} results, not all MISS: {missed[:5]}")
    single_s = 0.0
    for article in singles:
        one = post(f"{server.base}/v1/enrich", _body(article.text))
        _check(one, "MISS")
        single_s += one.seconds
    return {
        "ratio": round(reply.seconds / single_s, 3),
        "documents": count,
        "words": sum(a.words for a in batch),
        "batch_s": round(reply.seconds, 2),
        "singles_s": round(single_s, 2),
    }


def scaling(
    enricher: Enricher, sizes: Sequence[int], reps: Sequence[int], tag: str, log: Log
) -> dict[str, Any]:
    """Figure 5: engine plus analysis per 1,000 characters, in process, uncached."""
    from service.enrichment import EnrichRequest

    warm = compose_chars("fr", 1000, tag=f"{tag}-w").text
    enricher.enrich(EnrichRequest(text=warm, language="fr"))
    rows = []
    for size, rep in zip(sizes, reps, strict=True):
        runs = []
        for r in range(rep):
            text = compose_chars("fr", size, seed=r, tag=f"{tag}-{size}-{r}").text
            began = time.perf_counter()
            answer = enricher.enrich(EnrichRequest(text=text, language="fr"))
            seconds = time.perf_counter() - began
            timings = orjson.loads(answer.body)["timings"]
            runs.append((seconds, timings["engine_ms"], timings["analysis_ms"], len(text)))
        chars = median([float(r[3]) for r in runs])
        per_k = {
            "total": median([r[0] * 1e6 / r[3] for r in runs]),
            "engine": median([r[1] * 1e3 / r[3] for r in runs]),
            "analysis": median([r[2] * 1e3 / r[3] for r in runs]),
        }
        log(f"    {int(chars):>7} chars: {per_k['total']:.1f} ms per 1k chars ({rep} runs)")
        rows.append(
            {
                "chars": int(chars),
                "runs": rep,
                "ms_per_1k_chars": round(per_k["total"], 2),
                "engine_ms_per_1k_chars": round(per_k["engine"], 2),
                "analysis_ms_per_1k_chars": round(per_k["analysis"], 2),
                "total_ms_median": round(median([r[0] * 1000 for r in runs]), 1),
            }
        )
    slopes = [
        {
            "from_chars": a["chars"],
            "to_chars": b["chars"],
            # time ~ size^k: k = 1 is linear, 2 quadratic
            "exponent": round(_exponent(a, b, "ms_per_1k_chars"), 3),
            "analysis_exponent": round(_exponent(a, b, "analysis_ms_per_1k_chars"), 3),
        }
        for a, b in itertools.pairwise(rows)
    ]
    return {"sizes": rows, "slopes": slopes}


def _exponent(a: dict[str, Any], b: dict[str, Any], key: str) -> float:
    per_a, per_b = a[key] * a["chars"], b[key] * b["chars"]
    if per_a <= 0 or per_b <= 0:
        return float("nan")
    return math.log(per_b / per_a) / math.log(b["chars"] / a["chars"])


@dataclass(frozen=True, slots=True)
class Target:
    """One way of asking for the cached answer."""

    name: str
    server: Gunicorn
    body: bytes
    expect: bytes
    cache: str | None  # the X-Cache header every answer must carry (the floor sends none)


def store(server: Gunicorn, body: bytes) -> bytes:
    """Ask twice; the second answer must come from the cache. Returns the stored answer."""
    for expected in (None, "HIT"):
        reply = post(f"{server.base}/v1/enrich", body)
        if reply.status != 200 or (expected and reply.headers.get("X-Cache") != expected):
            raise RuntimeError(f"storing the cached answer: {reply.status} {reply.body[:200]!r}")
    return reply.body


def measure(targets: list[Target], plan: Plan, scrape: Scrape) -> dict[str, Any]:
    """One client's latency for each target, then the concurrent rounds, alternating."""
    out: dict[str, Any] = {}
    for target in targets:
        url = f"{target.server.base}/v1/enrich"
        latency_loop(url, target.body, 50, 10)  # connections and first requests out of the way
        loop = latency_loop(
            url, target.body, plan.loop_count, plan.loop_seconds, target.cache, target.expect
        )
        out[target.name] = {
            "one_client": {
                "requests": len(loop.latencies),
                "errors": loop.errors,
                "unexpected_answers": loop.unexpected,
                "p50_ms": round(percentile(loop.latencies, 50) * 1000, 3),
                "p99_ms": round(percentile(loop.latencies, 99) * 1000, 3),
            }
        }
    servers = {id(t.server): t.server for t in targets}.values()
    logs_before = {id(s): s.log_summary() for s in servers}
    before = {t.name: scrape(t.server.base) if t.cache else {} for t in targets}
    rounds: dict[str, list[Any]] = {t.name: [] for t in targets}
    busy: dict[str, list[list[float]]] = {t.name: [] for t in targets}
    cost: dict[str, list[float | None]] = {t.name: [] for t in targets}
    for _ in range(plan.rounds):
        for target in targets:
            url = f"{target.server.base}/v1/enrich"
            pids = target.server.worker_pids()
            cpu = {pid: cpu_seconds(pid) for pid in pids}
            spent = tree_cpu_seconds(target.server.pid)
            load = throughput(url, target.body, plan.clients, plan.throughput_seconds)
            spent = tree_cpu_seconds(target.server.pid) - spent
            rounds[target.name].append(load)
            cost[target.name].append(spent * 1000 / load.answers if load.answers else None)
            # each worker's CPU over the round: how evenly the connections spread
            busy[target.name].append(
                sorted(
                    round(max(0.0, cpu_seconds(pid) - cpu[pid]) / load.seconds, 2) for pid in pids
                )
            )
    for target in targets:
        loads = rounds[target.name]
        after = scrape(target.server.base) if target.cache else {}
        logs = target.server.log_summary()
        old = logs_before[id(target.server)]
        out[target.name]["concurrent"] = {
            "client": loads[0].client,
            "clients": plan.clients,
            "rounds": len(loads),
            "seconds_per_round": plan.throughput_seconds,
            "answers_per_s_rounds": [round(x.per_second, 1) for x in loads],
            "answers_per_s": round(median([x.per_second for x in loads]), 1),
            "answers": sum(x.answers for x in loads),
            "errors": sum(x.errors for x in loads),
            "p50_ms": round(median([x.p50_ms for x in loads]), 2),
            "p99_ms": round(max(x.p99_ms for x in loads), 2),
            "worker_cpu_share_rounds": busy[target.name],
            # what an answer costs the server, however the connections spread
            "server_cpu_ms_per_answer_rounds": [
                None if c is None else round(c, 3) for c in cost[target.name]
            ],
            # the server's, over every round of every target on it
            "server_log_delta": {
                k: logs[k] - old.get(k, 0) for k in logs if isinstance(logs[k], int)
            },
            **({"metrics_delta": delta(after, before[target.name])} if target.cache else {}),
        }
    return out


def _round_ratios(top: list[float | None], bottom: list[float | None]) -> float:
    return median([t / b for t, b in zip(top, bottom, strict=True) if t is not None and b])


def ratio(service: dict[str, Any], floor: dict[str, Any]) -> float:
    """Median over rounds of service answers per second / floor answers per second."""
    rates = "answers_per_s_rounds"
    return _round_ratios(service["concurrent"][rates], floor["concurrent"][rates])


def cpu_ratio(service: dict[str, Any], floor: dict[str, Any]) -> float:
    """Median over rounds of the floor's server CPU per answer / the service's: the share
    of the floor's efficiency the service reaches, whatever the spread of connections."""
    cost = "server_cpu_ms_per_answer_rounds"
    return _round_ratios(floor["concurrent"][cost], service["concurrent"][cost])


def cache_figures(
    server: Gunicorn,
    floor: Gunicorn,
    store_floor: Callable[[bytes, bytes], None],
    encode: Callable[[bytes], bytes],
    text: str,
    plan: Plan,
    scrape: Scrape,
) -> dict[str, Any]:
    """Figure 2 (a) and (b): the service as clients call it (no ``language``, so it is
    detected) and the floor app; both on the project's gunicorn settings."""
    body = _body(text)
    stored = store(server, body)
    store_floor(body, encode(stored))
    targets = [
        Target("service", server, body, stored, "HIT"),
        Target("floor", floor, body, stored, None),
    ]
    return {
        "answer_bytes": len(stored),
        "request_bytes": len(body),
        **measure(targets, plan, scrape),
    }


def cache_diagnostics(
    server: Gunicorn, floor: Gunicorn, text: str, plan: Plan, scrape: Scrape
) -> dict[str, Any]:
    """The same on servers whose workers are never recycled (``--max-requests 0``), with
    the language detected and with it given: what the cached path itself costs. The floor
    reads what :func:`cache_figures` stored."""
    body, given = _body(text), _body(text, "fr")
    stored = store(server, body)
    targets = [
        Target("service", server, body, stored, "HIT"),
        Target("service_language_given", server, given, store(server, given), "HIT"),
        Target("floor", floor, body, stored, None),
    ]
    return measure(targets, plan, scrape)
