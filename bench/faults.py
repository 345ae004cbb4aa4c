"""Fault injection: the service under load while its Redis goes down, comes back, stalls and
holds foreign values.

    python bench/faults.py [--clients 8] [--phase-seconds 10] [--corrupt-seconds 5]

Same setup as ``bench/load.py`` (private redis-server, gunicorn with two workers of four
threads, spaCy engines, the same request mix), then, with the clients running throughout:

    a  normal               the cache answers
    b  redis down           the redis-server process is terminated: expect BYPASS, no error
    c  redis back           a new, empty redis-server on the same port: expect HIT again
                            without any restart of the service
    d  redis slow           ``DEBUG SLEEP`` from a side connection, a few times: answers stay
                            within the budget (REQUEST_TIMEOUT_SECONDS, 60 s by default)
    e  corrupt values       every ``<prefix>:*`` value is overwritten with garbage: no 5xx,
                            MISS then HIT, and never a damaged answer

Prints one line per phase on stderr (calls, failures, p50/p99 per kind, X-Cache counts) as
it ends and again, complete, at the end; then everything as one JSON document on stdout
(with the cache metrics' growth and ``/readyz`` per phase). Exits non-zero if any request failed or
phase c never returned to HIT.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _servers import Gunicorn, RedisServer, delta, exit_on_sigterm, scrape
from load import (
    METRICS,
    Recorder,
    Workload,
    join_clients,
    machine,
    start_clients,
    summarise,
    timeline,
    warm_up,
    with_service,
)

MAGIC = b"ENR1"  # service/cache/base.py's tag; a value with it passes the first check
# The budget the service runs with (REQUEST_TIMEOUT_SECONDS is not set by the benchmark).
BUDGET_SECONDS = 60.0
MAX_KEYS = 50_000


def readyz(base: str) -> dict[str, Any]:
    """``/readyz``'s status code and what it says of the cache."""
    try:
        response = requests.get(f"{base}/readyz", timeout=5)
        return {"status": response.status_code, "cache": response.json().get("cache")}
    except (requests.RequestException, ValueError) as exc:
        return {"status": None, "error": str(exc)}


def garbage(variant: int, value: bytes | None, rng: random.Random) -> tuple[str, bytes]:
    """A foreign or damaged value of one of five kinds, derived from the stored one."""
    real = value or MAGIC + rng.randbytes(64)
    if variant == 0:
        return "random bytes", rng.randbytes(rng.randint(1, 512))
    if variant == 1:
        return "foreign JSON", b'{"foreign": true, "written_by": "another application"}'
    if variant == 2:
        return "tag + random bytes", MAGIC + rng.randbytes(256)
    if variant == 3:
        return "truncated value", real[: max(len(MAGIC) + 1, len(real) // 2)]
    # One byte flipped in the middle of the compressed payload.
    middle = len(MAGIC) + (len(real) - len(MAGIC)) // 2
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


def sleeper(
    redis_server: RedisServer, times: int, seconds: float, span: float, out: list[dict]
) -> None:
    """Run ``DEBUG SLEEP seconds`` up to ``times`` times, spread over ``span`` seconds; a
    sleep that would outlast the span is skipped, so the stall stays inside its phase."""
    client = redis_server.client(socket_timeout=seconds + 10)
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


def phase_line(name: str, figures: dict[str, Any]) -> str:
    """One human-readable line per phase: calls, failures, latency, cache results."""
    latency = figures.get("latency_ms", {})
    parts = [
        f"{name:15} {figures.get('requests', 0):6d} calls {figures.get('errors', 0):5d} failed",
        *(
            f"{kind} p50/p99 {v['p50_ms']:.0f}/{v['p99_ms']:.0f} ms"
            for kind, v in latency.items()
            if v.get("count")
        ),
        f"X-Cache {figures.get('x_cache', {})}",
        f"slots {figures.get('batch_slot_cache', {})}",
    ]
    if figures.get("error_kinds"):
        parts.append(f"failures {figures['error_kinds']}")
    return " | ".join(parts)


def first_hit_seconds(recorder: Recorder, phase: str, began: float) -> float | None:
    """Seconds from the phase's start to the first answer served as HIT."""
    for at, result in recorder.results(phase):
        if at < began:
            continue  # a call of the phase's first moment, made before its fault was set
        if result.x_cache == "HIT" or "HIT" in result.slot_cache:
            return round(at - began, 2)
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the phases; 0 when no request failed and phase c returned to HIT."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--phase-seconds", type=float, default=10.0, help="length of phases a to d")
    parser.add_argument("--corrupt-seconds", type=float, default=5.0, help="length of phase e")
    parser.add_argument("--sleeps", type=int, default=3, help="DEBUG SLEEPs in phase d")
    parser.add_argument("--sleep-seconds", type=float, default=2.0, help="length of each")
    parser.add_argument("--cached-ratio", type=float, default=0.8)
    parser.add_argument("--healthz-share", type=float, default=0.1)
    parser.add_argument("--batch-share", type=float, default=0.1)
    parser.add_argument("--keep-log", type=Path, help="copy gunicorn's log here")
    parser.add_argument(
        "--gunicorn-args",
        help="extra gunicorn options over gunicorn.conf.py, e.g. '--max-requests 0' (diagnosis)",
    )
    args = parser.parse_args(argv)
    if not 0 < args.phase_seconds <= 600 or not 0 < args.corrupt_seconds <= 600:
        parser.error("phase lengths must be in (0, 600] seconds")
    if not 1 <= args.clients <= 256 or not 0 <= args.sleeps <= 100:
        parser.error("--clients must be in [1, 256] and --sleeps in [0, 100]")
    exit_on_sigterm()

    tag = uuid.uuid4().hex[:8]
    prefix = f"bench-faults-{tag}"
    workload = Workload(args.cached_ratio, args.healthz_share, args.batch_share, tag)
    report: dict[str, Any] = {
        "machine": machine(),
        "settings": {
            "clients": args.clients,
            "phase_seconds": args.phase_seconds,
            "corrupt_seconds": args.corrupt_seconds,
            "debug_sleeps": args.sleeps,
            "debug_sleep_seconds": args.sleep_seconds,
            "cached_ratio": args.cached_ratio,
            "healthz_share": args.healthz_share,
            "batch_share": args.batch_share,
            "web_concurrency": 2,
            "gunicorn_threads": 4,
            "redis_timeout_seconds": 0.25,
            "request_timeout_seconds": BUDGET_SECONDS,
            "cache_prefix": prefix,
            "gunicorn_args_over_conf": args.gunicorn_args,
        },
    }

    def run(server: Gunicorn, redis_server: RedisServer) -> dict[str, Any]:
        part: dict[str, Any] = {"warmup": warm_up(server.base, workload)}
        recorder = Recorder()
        stop = threading.Event()
        phases: dict[str, dict[str, Any]] = {}
        total = 4 * args.phase_seconds + args.corrupt_seconds
        side: list[threading.Thread] = []

        spans: dict[str, tuple[float, float]] = {}

        def phase(name: str, seconds: float, action: Callable[[], dict[str, Any]]) -> None:
            before = scrape(server.base, METRICS)
            info = action()
            began = time.monotonic()
            recorder.phase = name
            time.sleep(seconds / 2)
            ready = readyz(server.base)
            time.sleep(max(0.0, seconds - (time.monotonic() - began)))
            # Calls are labelled by the phase they start in; this label marks the calls that
            # start while the next fault is being set up.
            recorder.phase = f"after-{name}"
            spans[name] = (began, time.monotonic() - began)
            phases[name] = {
                **info,
                "readyz_mid_phase": ready,
                "cache_metrics_delta": delta(scrape(server.base, METRICS), before),
            }
            so_far = summarise([r for _, r in recorder.results(name)], spans[name][1])
            print(phase_line(name, so_far) + " (so far)", file=sys.stderr, flush=True)

        def slow() -> dict[str, Any]:
            out: list[dict] = []
            thread = threading.Thread(
                target=sleeper,
                args=(redis_server, args.sleeps, args.sleep_seconds, args.phase_seconds, out),
                name="debug-sleep",
                daemon=True,
            )
            thread.start()
            side.append(thread)
            return {"debug_sleeps": out}  # filled in by the thread while the phase runs

        recorder.phase = "a_normal"
        threads = start_clients(args.clients, server.base, workload, recorder, stop, total + 60)
        try:
            phase("a_normal", args.phase_seconds, dict)

            def down() -> dict[str, Any]:
                redis_server.stop()
                return {"action": "redis-server terminated (SIGTERM)"}

            phase("b_redis_down", args.phase_seconds, down)

            def back() -> dict[str, Any]:
                redis_server.start()
                return {"action": f"new redis-server on the same port {redis_server.port}"}

            phase("c_redis_back", args.phase_seconds, back)
            phase("d_redis_slow", args.phase_seconds, slow)
            for thread in side:
                thread.join(timeout=args.sleep_seconds * args.sleeps + 15)

            def foreign() -> dict[str, Any]:
                client = redis_server.client()
                return {"action": "values overwritten", **corrupt(client, prefix, 7)}

            phase("e_corrupt", args.corrupt_seconds, foreign)
        finally:
            stuck = join_clients(threads, stop)
        # Only now are the calls in flight at each phase's end recorded (under the phase
        # they started in), so the figures are made here.
        for name, (began, elapsed) in spans.items():
            entries = recorder.results(name)
            phases[name] |= summarise([r for _, r in entries], elapsed)
            phases[name]["timeline"] = timeline(entries, began)
            phases[name]["first_hit_after_s"] = first_hit_seconds(recorder, name, began)
        # Calls made while a fault was being set up belong to no phase but count all the same.
        between = [r for name in spans for _, r in recorder.results(f"after-{name}")]
        phases["between_phases"] = summarise(between, 0.0)
        part["phases"] = phases
        part["stuck_clients"] = stuck
        return part

    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
        try:
            report |= with_service(Path(tmp), prefix, run, args.gunicorn_args)
        finally:
            if args.keep_log:
                log = Path(tmp) / "gunicorn.log"
                if log.is_file():
                    args.keep_log.write_bytes(log.read_bytes())

    failures = []
    if report.get("warmup", {}).get("errors"):
        failures.append(f"{report['warmup']['errors']} warm-up calls failed")
    for name, figures in report.get("phases", {}).items():
        if figures.get("errors"):
            failures.append(f"{name}: {figures['errors']} calls failed")
        worst = max((k.get("max_ms", 0) for k in figures["latency_ms"].values()), default=0.0)
        if worst > BUDGET_SECONDS * 1000:
            failures.append(f"{name}: an answer took {worst / 1000:.1f} s, over the budget")
    back = report.get("phases", {}).get("c_redis_back", {})
    if back and back.get("first_hit_after_s") is None:
        failures.append("c_redis_back: the cache never served a HIT again")
    if report.get("stuck_clients"):
        failures.append(f"clients still waiting at the end: {report['stuck_clients']}")
    if report["gunicorn"]["exit_code_after_sigterm"] != 0:
        failures.append("gunicorn did not exit with 0 after SIGTERM")
    report["failures"] = failures
    for name, figures in report.get("phases", {}).items():
        print(phase_line(name, figures), file=sys.stderr)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
