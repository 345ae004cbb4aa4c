"""HTTP clients of the performance benchmark, on loopback only, every loop bounded in count
and time.

- :func:`post`: one request on a fresh connection (uncached runs, seconds apart; a kept-alive
  connection would be closed by gunicorn's 5 s keep-alive in between).
- :func:`latency_loop`: one client, one kept-alive connection, the same request again and
  again.
- :func:`throughput`: N concurrent kept-alive clients for a fixed time, with ``wrk`` when it
  is installed (C, epoll: the client costs little CPU on a 2-core machine), else Python
  threads.
"""

from __future__ import annotations

import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(slots=True)
class Reply:
    """One answer as the client saw it."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


def _connection(url: str, timeout: float) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"the benchmark talks to loopback only, not {parts.hostname}")
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def post(url: str, body: bytes, timeout: float = 900.0) -> Reply:
    """POST ``body`` as JSON on a new connection; the time is the client's, end to end."""
    conn = _connection(url, timeout)
    try:
        began = time.perf_counter()
        conn.request("POST", _path(url), body=body, headers=JSON_HEADERS)
        response = conn.getresponse()
        data = response.read()
        seconds = time.perf_counter() - began
        return Reply(response.status, dict(response.getheaders()), data, seconds)
    finally:
        conn.close()


def get(url: str, timeout: float = 5.0) -> Reply:
    """GET on a new connection."""
    conn = _connection(url, timeout)
    try:
        began = time.perf_counter()
        conn.request("GET", _path(url))
        response = conn.getresponse()
        data = response.read()
        return Reply(
            response.status, dict(response.getheaders()), data, time.perf_counter() - began
        )
    finally:
        conn.close()


@dataclass(slots=True)
class LoopResult:
    """Latencies (seconds) of a single-client loop, and what went wrong."""

    latencies: list[float] = field(default_factory=list)  # of the 200 answers
    status_errors: int = 0  # answers that were not 200
    io_errors: int = 0  # connection errors and timeouts (no answer)
    unexpected: int = 0  # 200 but not the expected X-Cache or body

    @property
    def errors(self) -> int:
        """Requests that did not get a 200."""
        return self.status_errors + self.io_errors


def latency_loop(
    url: str,
    body: bytes,
    count: int,
    max_seconds: float,
    expect_cache: str | None = None,
    expect_body: bytes | None = None,
) -> LoopResult:
    """``count`` sequential POSTs on one kept-alive connection, stopping at ``max_seconds``."""
    result = LoopResult()
    conn = _connection(url, 10.0)
    deadline = time.monotonic() + max_seconds
    path = _path(url)
    try:
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            began = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=JSON_HEADERS)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                result.io_errors += 1
                conn.close()
                conn = _connection(url, 10.0)
                continue
            if response.status != 200:
                result.status_errors += 1
                continue
            result.latencies.append(time.perf_counter() - began)
            if (expect_cache and response.getheader("X-Cache") != expect_cache) or (
                expect_body is not None and data != expect_body
            ):
                result.unexpected += 1
    finally:
        conn.close()
    return result


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by the nearest-rank method."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    """The median, NaN when empty."""
    return statistics.median(values) if values else float("nan")


@dataclass(slots=True)
class Throughput:
    """What N concurrent clients got in a fixed time."""

    client: str
    clients: int
    seconds: float
    answers: int  # 2xx answers
    errors: int  # non-2xx, connection errors, timeouts
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        """2xx answers per second."""
        return self.answers / self.seconds if self.seconds else 0.0


_WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("PERF_BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_available() -> bool:
    """True when the ``wrk`` load generator is on the PATH."""
    return shutil.which("wrk") is not None


def throughput(
    url: str, body: bytes, clients: int, seconds: float, use_wrk: bool | None = None
) -> Throughput:
    """``clients`` concurrent kept-alive clients POSTing ``body`` for ``seconds``."""
    if use_wrk is None:
        use_wrk = wrk_available()
    return _wrk(url, body, clients, seconds) if use_wrk else _threads(url, body, clients, seconds)


def _wrk(url: str, body: bytes, clients: int, seconds: float) -> Throughput:
    with tempfile.TemporaryDirectory(prefix="perf-wrk-") as tmp:
        script, payload = Path(tmp) / "post.lua", Path(tmp) / "body.json"
        script.write_text(_WRK_SCRIPT, encoding="utf-8")
        payload.write_bytes(body)
        # One wrk thread: on 2 cores, every cycle the client takes is one the server loses.
        command = ["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
        done = subprocess.run(
            [*command, "-s", str(script), url],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            env={"PERF_BODY_FILE": str(payload), "PATH": "/usr/bin:/bin"},
            check=True,
        )
    line = next(x for x in done.stdout.splitlines() if x.startswith("{"))
    summary = json.loads(line)
    failed = sum(summary[k] for k in ("connect", "read", "write", "timeout"))
    # wrk counts a non-2xx answer both as a request and as a status error.
    answers = summary["requests"] - summary["status"]
    return Throughput(
        "wrk",
        clients,
        summary["duration_us"] / 1e6,
        answers,
        failed + summary["status"],
        summary["p50_us"] / 1000,
        summary["p99_us"] / 1000,
    )


def _threads(url: str, body: bytes, clients: int, seconds: float) -> Throughput:
    results = [LoopResult() for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def run(slot: int) -> None:
        start.wait()
        results[slot] = latency_loop(url, body, 10**9, max(0.0, stop_at[0] - time.monotonic()))

    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for worker in workers:
        worker.start()
    stop_at[0] = time.monotonic() + seconds
    began = time.perf_counter()
    start.wait()
    for worker in workers:
        worker.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - began
    flat = [x for result in results for x in result.latencies]
    return Throughput(
        "python-threads",
        clients,
        elapsed,
        len(flat),
        sum(r.errors for r in results),
        percentile(flat, 0.5) * 1000,
        percentile(flat, 0.99) * 1000,
    )
