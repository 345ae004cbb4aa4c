"""Figure 2 of ``bench/performance.py``: cached answers, for one client and for many, from
the service and from the floor app, on the same article and the same stored bytes.

Concurrent loads run in rounds that alternate between the targets (service, floor,
service, floor...), so that a drift of the machine (another process waking up) touches
every target alike; ratios are taken round by round, then their median.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from perf_http import latency_loop, median, percentile, post, throughput
from perf_procs import Gunicorn, cpu_seconds, server_cpu_seconds

Scrape = Callable[[str], dict[str, float]]


@dataclass(frozen=True, slots=True)
class LoadPlan:
    """How long the cached-answer loops run."""

    loop_count: int
    loop_seconds: float
    clients: int
    rounds: int
    seconds: float  # of each concurrent round


@dataclass(frozen=True, slots=True)
class Target:
    """One way of asking for the cached answer."""

    name: str
    server: Gunicorn
    body: bytes
    expect: bytes
    cache: str | None  # the X-Cache header every answer must carry (the floor sends none)


def body_of(text: str, language: str | None = None) -> bytes:
    """The JSON request for ``text``."""
    return orjson.dumps({"text": text, **({"language": language} if language else {})})


def store(server: Gunicorn, body: bytes) -> bytes:
    """Ask twice; the second answer must come from the cache. Returns the stored answer."""
    for expected in (None, "HIT"):
        reply = post(f"{server.base}/v1/enrich", body)
        if reply.status != 200 or (expected and reply.headers.get("X-Cache") != expected):
            raise RuntimeError(f"storing the cached answer: {reply.status} {reply.body[:200]!r}")
    return reply.body


def measure(targets: list[Target], plan: LoadPlan, scrape: Scrape) -> dict[str, Any]:
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
                "p50_ms": round(percentile(loop.latencies, 0.5) * 1000, 3),
                "p99_ms": round(percentile(loop.latencies, 0.99) * 1000, 3),
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
            cpu = {pid: _cpu(pid) for pid in pids}
            spent = server_cpu_seconds(target.server.pid)
            load = throughput(url, target.body, plan.clients, plan.seconds)
            spent = server_cpu_seconds(target.server.pid) - spent
            rounds[target.name].append(load)
            cost[target.name].append(spent * 1000 / load.answers if load.answers else None)
            # each worker's CPU over the round: how evenly the connections spread
            busy[target.name].append(
                sorted(round(max(0.0, _cpu(pid) - cpu[pid]) / load.seconds, 2) for pid in pids)
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
            "seconds_per_round": plan.seconds,
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
            **({"metrics_delta": _delta(after, before[target.name])} if target.cache else {}),
        }
    return out


def _cpu(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:  # recycled during the round
        return 0.0


def _delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: v - before.get(k, 0.0) for k, v in sorted(after.items()) if v != before.get(k)}


def ratio(service: dict[str, Any], floor: dict[str, Any]) -> float:
    """Median over rounds of service answers per second / floor answers per second."""
    pairs = zip(
        service["concurrent"]["answers_per_s_rounds"],
        floor["concurrent"]["answers_per_s_rounds"],
        strict=True,
    )
    return median([s / f for s, f in pairs if f > 0])


def cpu_ratio(service: dict[str, Any], floor: dict[str, Any]) -> float:
    """Median over rounds of the floor's server CPU per answer / the service's: the share
    of the floor's efficiency the service reaches, whatever the spread of connections."""
    pairs = zip(
        floor["concurrent"]["server_cpu_ms_per_answer_rounds"],
        service["concurrent"]["server_cpu_ms_per_answer_rounds"],
        strict=True,
    )
    return median([f / s for f, s in pairs if f and s])


def cache_figures(
    server: Gunicorn,
    floor: Gunicorn,
    store_floor: Callable[[bytes, bytes], None],
    encode: Callable[[bytes], bytes],
    text: str,
    plan: LoadPlan,
    scrape: Scrape,
) -> dict[str, Any]:
    """Figure 2 (a) and (b): the service as clients call it (no ``language``, so it is
    detected) and the floor app; both on the project's gunicorn settings."""
    body = body_of(text)
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
    server: Gunicorn, floor: Gunicorn, text: str, plan: LoadPlan, scrape: Scrape
) -> dict[str, Any]:
    """The same on servers whose workers are never recycled (``--max-requests 0``), with
    the language detected and with it given: what the cached path itself costs. The floor
    reads what :func:`cache_figures` stored."""
    body, given = body_of(text), body_of(text, "fr")
    stored = store(server, body)
    targets = [
        Target("service", server, body, stored, "HIT"),
        Target("service_language_given", server, given, store(server, given), "HIT"),
        Target("floor", floor, body, stored, None),
    ]
    return measure(targets, plan, scrape)
