"""Load and fault runs: the service under gunicorn, with a private Redis, driven by
concurrent clients.

    python bench/load.py [--clients 16] [--seconds 30] [--cached-ratio 0.8]        # make load
    python bench/load.py faults [--clients 8] [--phase-seconds 10] [--corrupt-seconds 5]
                                                                                  # make faults

Every run starts a private redis-server and ``gunicorn -c gunicorn.conf.py
'service:create_app()'`` (two workers of four threads, spaCy engines), waits for
``/readyz``, warms the cache with the repeated texts, then runs N clients on loopback with a
mix of French and English enrich calls (cached: a repeated text; uncached: a unique trailing
sentence), batch calls of four documents and ``/healthz``. Every answer is checked (2xx,
``X-Cache``, an enrichment, and for a repeated document the same answer as at the warm-up).

- ``load``: the clients for ``--seconds``;
- ``faults``: the clients throughout five phases: a normal; b redis down (the redis-server is
  terminated: expect BYPASS, no error); c redis back (a new, empty redis-server on the same
  port: expect HIT again without any restart of the service); d redis slow (``DEBUG SLEEP``
  from a side connection, a few times: answers stay within the budget,
  REQUEST_TIMEOUT_SECONDS, 60 s by default); e corrupt values (every answer stored under the
  service's prefix is overwritten with garbage: no 5xx, MISS then HIT, never a damaged
  answer). One line per phase on stderr as it ends, and again, complete, at the end.

Prints one JSON report (with the cache metrics' growth) and exits non-zero if any request
failed (non-2xx, connection error or a malformed answer), a client was stuck, gunicorn did
not stop cleanly, or (faults) phase c never returned to HIT. A new run is a function of
:data:`RUNS`: it gets the started service and the request mix, drives :class:`Clients` and
returns its part of the report and its failures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import redis
import requests
from harness import (
    CLIENT_TIMEOUT_SECONDS,
    Call,
    Clients,
    Gunicorn,
    Result,
    Servers,
    delta,
    exit_on_sigterm,
    machine,
    scrape,
    send,
    summarise,
    timeline,
)
from perf_articles import SAMPLE

from service.cache.base import TAG

METRICS = ("enrich_cache_total", "enrich_documents_total", "enrich_http_requests_total")
BATCH_SIZE = 4
# The budget the service runs with (REQUEST_TIMEOUT_SECONDS is not set by the runs).
BUDGET_SECONDS = 60.0
MAX_KEYS = 50_000

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
    four documents and ``/healthz``; and the check of every answer."""

    def __init__(self, args: argparse.Namespace, tag: str) -> None:
        texts = [("fr", t) for t in FRENCH] + [("en", t) for t in ENGLISH]
        if SAMPLE.is_file():
            texts.insert(0, ("fr", SAMPLE.read_text(encoding="utf-8")))
        self.texts = texts
        # Each text twice: with the language named and detected (two cache keys, two paths).
        self.repeated = [{"text": t} for _, t in texts] + [
            {"text": t, "language": lang} for lang, t in texts
        ]
        self.cached_ratio = args.cached_ratio
        self.healthz_share = args.healthz_share
        self.batch_share = args.batch_share
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

    def check(self, call: Call, response: requests.Response, result: Result) -> None:
        """2xx, ``X-Cache`` on enrich, a JSON object that is an enrichment (or, for a
        batch, one per document and no failed slot), and for a repeated document the same
        answer as its reference."""
        content = response.content
        if not 200 <= response.status_code < 300:
            text = content[:300].decode(errors="replace")
            result.fail(f"HTTP {response.status_code}: {text}", f"http {response.status_code}")
            return
        try:
            body = orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            error = f"answer is not JSON ({exc}): {content[:120]!r}"
            result.fail(error, f"{call.kind} answer ({result.x_cache}) is not JSON")
            return
        if call.kind == "healthz":
            return
        if call.kind == "batch":
            self._check_batch(call, body, result)
        elif result.x_cache not in ("HIT", "MISS", "BYPASS"):
            result.fail(f"X-Cache is {result.x_cache!r}", "no X-Cache")
        elif not isinstance(body, dict) or "language" not in body or "actors" not in body:
            result.fail(f"answer is not an enrichment: {content[:120]!r}", "not an enrichment")
        elif self._differs(call.refs[0], body):
            what = f"answer ({result.x_cache}) differs from its reference"
            result.fail(what, f"{result.x_cache} answer differs from reference")

    def _check_batch(self, call: Call, body: Any, result: Result) -> None:
        slots = body.get("results") if isinstance(body, dict) else None
        if not isinstance(slots, list) or len(slots) != BATCH_SIZE:
            result.fail("batch answer without one result per document", "batch answer malformed")
            return
        for slot, ref in zip(slots, call.refs, strict=True):
            result.slot_cache.append(str(slot.get("cache")))
            if "error" in slot:
                problem = slot["error"]
                status = problem.get("status") if isinstance(problem, dict) else "?"
                result.fail(
                    f"batch slot failed: {str(problem)[:300]}", f"batch slot failed ({status})"
                )
            elif self._differs(ref, slot):
                what = f"batch slot ({slot.get('cache')}) differs from its reference"
                result.fail(what, f"{slot.get('cache')} batch slot differs from reference")

    def _differs(self, ref: bytes | None, answer: dict[str, Any]) -> bool:
        return ref in self.references and comparable(answer) != self.references[ref]

    def warm_up(self, base: str) -> dict[str, Any]:
        """Enrich every repeated text once, so that "cached" calls are hits from the start,
        and keep each answer as the reference later answers are compared with."""
        results = []
        with requests.Session() as session:
            for body in self.repeated:
                call = Call("warmup", "POST", "/v1/enrich", body, [None])
                results.append(send(session, base, call, self.check))
                again = session.post(f"{base}/v1/enrich", json=body, timeout=CLIENT_TIMEOUT_SECONDS)
                if again.status_code == 200 and again.headers.get("X-Cache") == "HIT":
                    self.references[ref_key(body)] = comparable(again.json())
        return summarise(results, 0.0) | {"references": len(self.references)}


# A run: (its service, the private servers, the request mix, the options) -> its part of
# the report and the failures it found.
Run = Callable[[Gunicorn, Servers, Workload, argparse.Namespace], tuple[dict[str, Any], list[str]]]


def run_load(
    server: Gunicorn, _: Servers, workload: Workload, args: argparse.Namespace
) -> tuple[dict[str, Any], list[str]]:
    """The clients for --seconds, then the figures (make load)."""
    before = scrape(server.base, METRICS)
    clients = Clients(
        server.base, args.clients, workload.next_call, workload.check, args.seconds + 30
    )
    began = time.monotonic()
    with clients:
        time.sleep(args.seconds)
    entries = clients.results()
    part = summarise([r for _, r in entries], time.monotonic() - began)
    part["stuck_clients"] = clients.stuck
    part["timeline"] = timeline(entries, began)
    failures = [f"{part['errors']} calls failed"] if part["errors"] else []
    print(
        f"{part['requests']} calls, {part['throughput_rps']} calls/s, {part['errors']} failed "
        f"{part['error_kinds']}, X-Cache {part['x_cache']}",
        file=sys.stderr,
    )
    return {"run": part, "metrics_delta": delta(scrape(server.base, METRICS), before)}, failures


def garbage(variant: int, value: bytes | None, rng: random.Random) -> tuple[str, bytes]:
    """A foreign or damaged value of one of five kinds, derived from the stored one (a
    value with the cache's own tag passes its first check)."""
    real = value or TAG + rng.randbytes(64)
    if variant == 0:
        return "random bytes", rng.randbytes(rng.randint(1, 512))
    if variant == 1:
        return "foreign JSON", b'{"foreign": true, "written_by": "another application"}'
    if variant == 2:
        return "tag + random bytes", TAG + rng.randbytes(256)
    if variant == 3:
        return "truncated value", real[: max(len(TAG) + 1, len(real) // 2)]
    # One byte flipped in the middle of the compressed payload.
    middle = len(TAG) + (len(real) - len(TAG)) // 2
    flipped = bytes([real[middle] ^ 0x5A]) if middle < len(real) else b"\x00"
    return "one byte flipped", real[:middle] + flipped + real[middle + 1 :]


def corrupt(client: redis.Redis, prefix: str, seed: int) -> dict[str, Any]:
    """Overwrite every answer stored under ``prefix`` with garbage, keeping its TTL (lock
    keys are left alone: they are not answers, and a lock key without expiry would be a
    different fault)."""
    rng = random.Random(seed)
    kinds: Counter[str] = Counter()
    skipped = 0
    for n, key in enumerate(client.scan_iter(match=f"{prefix}:*", count=500)):
        if n >= MAX_KEYS:
            break
        if key.endswith(b":lock"):
            skipped += 1
            continue
        kind, value = garbage(n % 5, client.get(key), rng)
        client.set(key, value, keepttl=True)
        kinds[kind] += 1
    return {"overwritten": dict(kinds), "lock_keys_left_alone": skipped}


def sleeper(client: redis.Redis, times: int, seconds: float, span: float, out: list[dict]) -> None:
    """Run ``DEBUG SLEEP seconds`` up to ``times`` times, spread over ``span`` seconds; a
    sleep that would outlast the span is skipped, so the stall stays inside its phase."""
    began = time.monotonic()
    for i in range(times):
        wait = began + 0.5 + i * span / times - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        at = time.monotonic() - began
        if at + seconds > span:
            out.append({"at_s": round(at, 2), "skipped": "would outlast the phase"})
            continue
        try:
            client.execute_command("DEBUG", "SLEEP", seconds)
            out.append({"at_s": round(at, 2), "slept_s": round(time.monotonic() - began - at, 2)})
        except redis.RedisError as exc:
            out.append({"at_s": round(at, 2), "error": str(exc)})


def readyz(base: str) -> dict[str, Any]:
    """``/readyz``'s status code and what it says of the cache."""
    try:
        response = requests.get(f"{base}/readyz", timeout=5)
        return {"status": response.status_code, "cache": response.json().get("cache")}
    except (requests.RequestException, ValueError) as exc:
        return {"status": None, "error": str(exc)}


def phase_line(name: str, figures: dict[str, Any]) -> str:
    """One human-readable line per phase: calls, failures, latency, cache results."""
    parts = [
        f"{name:15} {figures.get('requests', 0):6d} calls {figures.get('errors', 0):5d} failed",
        *(
            f"{kind} p50/p99 {v['p50_ms']:.0f}/{v['p99_ms']:.0f} ms"
            for kind, v in figures.get("latency_ms", {}).items()
            if v.get("count")
        ),
        f"X-Cache {figures.get('x_cache', {})}",
        f"slots {figures.get('batch_slot_cache', {})}",
    ]
    if figures.get("error_kinds"):
        parts.append(f"failures {figures['error_kinds']}")
    return " | ".join(parts)


def first_hit_seconds(entries: list[tuple[float, Result]], began: float) -> float | None:
    """Seconds from a phase's start to the first answer served as HIT."""
    for at, result in entries:
        if at < began:
            continue  # a call of the phase's first moment, made before its fault was set
        if result.x_cache == "HIT" or "HIT" in result.slot_cache:
            return round(at - began, 2)
    return None


def run_faults(
    server: Gunicorn, servers: Servers, workload: Workload, args: argparse.Namespace
) -> tuple[dict[str, Any], list[str]]:
    """The five fault phases a to e, the clients running throughout (make faults)."""
    redis_server = servers.redis_server
    assert redis_server is not None
    phases: dict[str, dict[str, Any]] = {}
    spans: dict[str, tuple[float, float]] = {}
    total = 4 * args.phase_seconds + args.corrupt_seconds
    clients = Clients(server.base, args.clients, workload.next_call, workload.check, total + 60)
    side: list[threading.Thread] = []

    def phase(name: str, seconds: float, action: Callable[[], dict[str, Any]]) -> None:
        before = scrape(server.base, METRICS)
        info = action()
        began = time.monotonic()
        clients.phase = name
        time.sleep(seconds / 2)
        ready = readyz(server.base)
        time.sleep(max(0.0, seconds - (time.monotonic() - began)))
        # Calls are labelled by the phase they start in; this label marks the calls that
        # start while the next fault is being set up.
        clients.phase = f"after-{name}"
        spans[name] = (began, time.monotonic() - began)
        metrics = delta(scrape(server.base, METRICS), before)
        phases[name] = {**info, "readyz_mid_phase": ready, "cache_metrics_delta": metrics}
        so_far = summarise([r for _, r in clients.results(name)], spans[name][1])
        print(phase_line(name, so_far) + " (so far)", file=sys.stderr, flush=True)

    def down() -> dict[str, Any]:
        redis_server.stop()
        return {"action": "redis-server terminated (SIGTERM)"}

    def back() -> dict[str, Any]:
        redis_server.start()
        return {"action": f"new redis-server on the same port {redis_server.port}"}

    def slow() -> dict[str, Any]:
        out: list[dict] = []
        client = redis_server.client(socket_timeout=args.sleep_seconds + 10)
        span = (client, args.sleeps, args.sleep_seconds, args.phase_seconds, out)
        side.append(threading.Thread(target=sleeper, args=span, name="debug-sleep", daemon=True))
        side[-1].start()
        return {"debug_sleeps": out}  # filled in by the thread while the phase runs

    def foreign() -> dict[str, Any]:
        prefix = server.env["CACHE_PREFIX"]
        return {"action": "values overwritten", **corrupt(redis_server.client(), prefix, 7)}

    clients.phase = "a_normal"
    with clients:
        phase("a_normal", args.phase_seconds, dict)
        phase("b_redis_down", args.phase_seconds, down)
        phase("c_redis_back", args.phase_seconds, back)
        phase("d_redis_slow", args.phase_seconds, slow)
        for thread in side:
            thread.join(timeout=args.sleep_seconds * args.sleeps + 15)
        phase("e_corrupt", args.corrupt_seconds, foreign)
    # Only now are the calls in flight at each phase's end recorded (under the phase they
    # started in), so the figures are made here.
    for name, (began, elapsed) in spans.items():
        entries = clients.results(name)
        phases[name] |= summarise([r for _, r in entries], elapsed)
        phases[name]["timeline"] = timeline(entries, began)
        phases[name]["first_hit_after_s"] = first_hit_seconds(entries, began)
    # Calls made while a fault was being set up belong to no phase but count all the same.
    between = [r for name in spans for _, r in clients.results(f"after-{name}")]
    phases["between_phases"] = summarise(between, 0.0)
    failures = []
    for name, figures in phases.items():
        print(phase_line(name, figures), file=sys.stderr)
        if figures.get("errors"):
            failures.append(f"{name}: {figures['errors']} calls failed")
        worst = max((k.get("max_ms", 0) for k in figures["latency_ms"].values()), default=0.0)
        if worst > BUDGET_SECONDS * 1000:
            failures.append(f"{name}: an answer took {worst / 1000:.1f} s, over the budget")
    if phases.get("c_redis_back") and phases["c_redis_back"]["first_hit_after_s"] is None:
        failures.append("c_redis_back: the cache never served a HIT again")
    return {"phases": phases, "stuck_clients": clients.stuck}, failures


# Each run by its name on the command line, its default number of clients, and the options
# that are its own (left out of the other run's report).
RUNS: dict[str, Run] = {"load": run_load, "faults": run_faults}
CLIENTS = {"load": 16, "faults": 8}
OWN = {
    "load": ("seconds",),
    "faults": ("phase_seconds", "corrupt_seconds", "sleeps", "sleep_seconds"),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The run (``load`` when not named) and its options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("run", nargs="?", default="load", choices=RUNS, help="make load or make faults")
    add("--clients", type=int, help="concurrent clients (load 16, faults 8)")
    add("--cached-ratio", type=float, default=0.8, help="share of repeated documents")
    add("--healthz-share", type=float, default=0.1, help="share of /healthz")
    add("--batch-share", type=float, default=0.1, help="share of batch calls")
    add("--keep-log", type=Path, help="copy gunicorn's log here")
    add("--gunicorn-args", help="gunicorn options over gunicorn.conf.py, e.g. '--max-requests 0'")
    add("--seconds", type=float, default=30.0, help="load: length of the run")
    add("--phase-seconds", type=float, default=10.0, help="faults: length of phases a to d")
    add("--corrupt-seconds", type=float, default=5.0, help="faults: length of phase e")
    add("--sleeps", type=int, default=3, help="faults: DEBUG SLEEPs in phase d")
    add("--sleep-seconds", type=float, default=2.0, help="faults: length of each")
    args = parser.parse_args(argv)
    args.clients = args.clients or CLIENTS[args.run]
    lengths = (args.seconds, args.phase_seconds, args.corrupt_seconds)
    if not all(0 < x <= 3600 for x in lengths) or not 1 <= args.clients <= 256:
        parser.error("run lengths must be in (0, 3600] seconds and --clients in [1, 256]")
    if not 0 <= args.sleeps <= 100:
        parser.error("--sleeps must be in [0, 100]")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run one run; 0 when every call succeeded and gunicorn stopped cleanly."""
    args = parse_args(argv)
    exit_on_sigterm()
    other = {k for run, own in OWN.items() if run != args.run for k in own}
    settings = {k: v for k, v in vars(args).items() if k not in {"keep_log", "run", *other}}
    command = f"bench/load.py {args.run}"
    report: dict[str, Any] = {"command": command, "machine": machine(), "settings": settings}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix=f"bench-{args.run}-") as tmp:
        servers = Servers(Path(tmp), name=f"bench-{args.run}")
        workload = Workload(args, servers.run_id)
        env = {"STANZA_RESOURCES_DIR": "/nonexistent"}  # spaCy engines
        if args.gunicorn_args:  # GUNICORN_CMD_ARGS override gunicorn.conf.py
            env["GUNICORN_CMD_ARGS"] = args.gunicorn_args
        try:
            server = servers.gunicorn("service", env)
            report["startup"] = {"gunicorn_ready_seconds": round(server.wait_ready(), 1)}
            report["warmup"] = workload.warm_up(server.base)
            part, failures = RUNS[args.run](server, servers, workload, args)
            report |= part
        finally:
            servers.close()
            report["gunicorn"] = servers.server_logs.get("service", {})
            log = servers.logs / "service.log"
            if args.keep_log and log.is_file():
                args.keep_log.write_bytes(log.read_bytes())
    report["settings"] |= {
        "batch_size": BATCH_SIZE,
        "web_concurrency": 2,
        "gunicorn_threads": 4,
        "engine": "spacy (STANZA_RESOURCES_DIR=/nonexistent)",
        "cache": "private redis-server",
        "cache_prefix": server.env["CACHE_PREFIX"],
        "request_timeout_seconds": BUDGET_SECONDS,
        "texts": {
            "count": len(workload.texts),
            "sample_article": SAMPLE.is_file(),
            "chars": [len(t) for _, t in workload.texts],
        },
    }
    if report["warmup"].get("errors"):
        failures.insert(0, f"{report['warmup']['errors']} warm-up calls failed")
    stuck = report.get("run", report).get("stuck_clients")
    if stuck:
        failures.append(f"clients still waiting at the end: {stuck}")
    if report["gunicorn"].get("exit_code_after_sigterm") != 0:
        failures.append("gunicorn did not exit with 0 after SIGTERM")
    report["failures"] = failures
    log = report["gunicorn"]
    print(
        f"workers booted {log.get('worker_boots')}, recycled "
        f"{log.get('recycled_after_max_requests')}; failures: {failures or 'none'}",
        file=sys.stderr,
    )
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
