"""The benchmarks' one harness: servers, processes, clients, statistics, machine facts.

``performance.py``, ``load.py`` (load and fault runs) and ``abuse.py`` are built on it: a run
starts what it needs from :class:`Servers`, drives it with :class:`Clients` (or the
single-client :func:`latency_loop`, :func:`throughput`) and reports :func:`summarise`.

- servers: :class:`Servers` owns a private redis-server (``tests/servers.py``, shared with the
  test suite) or a given Redis under a key prefix of its own, and every :class:`Gunicorn` it
  started, each on a free port with its own log and metrics directory; it stops them all
  whatever happens and deletes only its own keys;
- processes: memory and CPU time of processes and process trees (psutil), and
  :class:`ForeignCpu`, the CPU other jobs take meanwhile;
- clients: two stacks on purpose. ``http.client`` (:func:`post`, :func:`get`,
  :func:`latency_loop`) where the client's own cost is part of a figure (a cached answer takes
  about a millisecond); ``requests`` sessions in :class:`Clients`, the load runs' threads,
  because a pooled connection that a recycled worker closed is reopened, not counted failed;
- statistics: percentiles from :func:`statistics.quantiles`, latency and per-kind summaries;
- the service in this process (:func:`in_process`), for the figures that time the engine and
  the analysis without HTTP, and for ``quality.py``.

Every process runs in a session of its own (a Ctrl-C reaches only the benchmark, which then
stops them in order) and every wait and loop is bounded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import importlib.metadata
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import psutil
import redis
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.servers import RedisServer, free_port  # noqa: E402 - after the path is set

SERVICE_APP = "service:create_app()"
JSON_HEADERS = {"Content-Type": "application/json"}
# Longer than the service's own budget (60 s): a slow answer shows as the service's 503, not
# as a client-side abort.
CLIENT_TIMEOUT_SECONDS = 90.0


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so that ``finally`` blocks stop the servers."""
    signal.signal(signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))


def log_progress(began: float) -> Callable[[str], None]:
    """A progress printer for stderr, each line with the seconds since ``began``."""
    return lambda message: print(
        f"[{time.monotonic() - began:6.0f}s] {message}", file=sys.stderr, flush=True
    )


def in_process(env: dict[str, str] | None = None, **overrides: Any) -> tuple[Any, Any, Any]:
    """The service's enrichment path in this process, as a worker builds it, with a
    throwaway cache: (settings, started engine registry, enricher). Settings come from
    ``env`` (default: the environment), then ``overrides`` (``Settings`` field names)."""
    from service.cache import MemoryCache
    from service.config import Settings
    from service.engines import EngineRegistry
    from service.enrichment import Enricher
    from service.language import LanguageDetector

    settings = dataclasses.replace(Settings.from_env(env), **overrides)
    registry = EngineRegistry(settings)
    registry.start(background=False)
    if not registry.ready():
        raise RuntimeError(f"in-process engines not ready: {registry.statuses()}")
    return settings, registry, Enricher(settings, registry, MemoryCache(0, 1), LanguageDetector())


# ---------------------------------------------------------------------------- servers

_LOG_NEEDLES = {
    "worker_boots": b"Booting worker",
    "recycled_after_max_requests": b"Autorestarting worker",
    "killed_by_signal": b"was sent SIG",
    "native_crashes": b"Fatal Python error",
    "cpp_terminate": b"terminate called",
}
_LEVEL = re.compile(rb'"level":"(\w+)"')
_STATUS = re.compile(rb'"status":(\d{3})')


class Gunicorn:
    """``python -m gunicorn -c gunicorn.conf.py [extra] APP``, run in ``cwd`` (this checkout,
    or another one whose ``service`` it then serves)."""

    def __init__(
        self, env: dict[str, str], log_path: Path, app: str, extra: tuple, cwd: Path
    ) -> None:
        self.env = env
        self.cwd = cwd
        self.base = f"http://127.0.0.1:{env['PORT']}"
        self.log_path = log_path
        self.workers = int(env.get("WEB_CONCURRENCY", "2"))
        self._command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *extra, app]
        self._proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    @property
    def pid(self) -> int:
        """The master's process id."""
        assert self._proc is not None
        return self._proc.pid

    def start(self) -> None:
        """Start the master (it forks the workers); the cold start's clock starts here."""
        with open(self.log_path, "wb") as log:
            self.started = time.monotonic()
            self._proc = subprocess.Popen(
                self._command,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _until(self, done: Callable[[], bool], timeout: float, what: str, since: float) -> float:
        assert self._proc is not None
        while time.monotonic() - since < timeout:
            if done():
                return time.monotonic() - since
            if self._proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log_tail()}")
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn: {what} not within {timeout:.0f} s:\n{self.log_tail()}")

    def ready(self) -> bool:
        """Whether ``/readyz`` answers 200 now."""
        try:
            return get(f"{self.base}/readyz", timeout=2).status == 200
        except OSError:
            return False  # not listening yet, or a worker restarting

    def wait_ready(self, timeout: float = 180.0) -> float:
        """Seconds from :meth:`start` to the first ``/readyz`` 200."""
        return self._until(self.ready, timeout, "ready", self.started)

    def wait_all_loaded(self, languages: int, timeout: float) -> float:
        """Seconds from :meth:`start` until every worker logged its languages as loaded
        (``/readyz`` answers from whichever worker takes the connection)."""
        wanted = self.workers * languages
        loaded = lambda: self.log_count('"message":"loaded ') >= wanted  # noqa: E731
        return self._until(loaded, timeout, "every worker loaded", self.started)

    def wait_settled(self, timeout: float, calm: float = 3.0) -> float:
        """Seconds until ``/readyz`` answered 200 for ``calm`` seconds in a row (recycled
        workers may still be loading their models)."""
        since: list[float | None] = [None]

        def calm_enough() -> bool:
            now = time.monotonic()
            since[0] = (since[0] or now) if self.ready() else None
            return since[0] is not None and now - since[0] >= calm

        return self._until(calm_enough, timeout, "steadily ready", time.monotonic())

    def worker_pids(self) -> list[int]:
        """The workers alive now."""
        with contextlib.suppress(psutil.Error):
            return sorted(child.pid for child in psutil.Process(self.pid).children())
        return []

    def workers_cpu(self) -> float:
        """CPU seconds of the live workers so far (one request at a time: its cost)."""
        return sum(cpu_seconds(pid) for pid in self.worker_pids())

    def workers_memory(self) -> list[Memory]:
        """Memory of each live worker."""
        found = [memory(pid) for pid in self.worker_pids()]
        return [m for m in found if m is not None]

    def log_count(self, needle: str) -> int:
        """How many log lines contain ``needle``."""
        return sum(needle.encode() in line for line in self._log_lines())

    def _log_lines(self) -> list[bytes]:
        try:
            return self.log_path.read_bytes().splitlines()
        except OSError:
            return []

    def log_summary(self) -> dict[str, Any]:
        """What the log says happened: worker boots, recycles, kills by signal, native
        crashes, answers by status, lines by level, and the distinct WARNING and worse
        messages and non-JSON lines."""
        counts, statuses, levels, notable = Counter(), Counter(), Counter(), Counter()
        for line in self._log_lines():
            for name, needle in _LOG_NEEDLES.items():
                counts[name] += needle in line
            level = _LEVEL.search(line) if line.startswith(b"{") else None
            if level is None:
                levels["non-json"] += 1
                notable[line.decode(errors="replace")[:200]] += 1
                continue
            levels[level.group(1).decode()] += 1
            if b'"service.access"' in line and (status := _STATUS.search(line)):
                statuses[status.group(1).decode()] += 1
            if level.group(1) in (b"WARNING", b"ERROR", b"CRITICAL"):
                notable[_notable(line)] += 1
        return {
            **{k: counts[k] for k in _LOG_NEEDLES},
            "answers_by_status": dict(statuses),
            "lines_by_level": dict(levels),
            "notable": dict(notable.most_common(20)),
        }

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the log."""
        return b"\n".join(self._log_lines()).decode(errors="replace")[-chars:]

    def stop(self, timeout: float = 45.0) -> int | None:
        """SIGTERM to the master (in-flight requests finish), SIGKILL to its session past
        ``timeout``; the master's exit code (None if it never started)."""
        if self._proc is None:
            return None
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=10)
        code, self._proc = self._proc.returncode, None
        return code


def _notable(line: bytes) -> str:
    try:
        entry = orjson.loads(line)
    except orjson.JSONDecodeError:
        return line.decode(errors="replace")[:200]
    what = f"{entry.get('level')} {entry.get('logger')}: {str(entry.get('message'))[:160]}"
    if entry.get("exception"):
        what += f" <- {str(entry['exception']).strip().splitlines()[-1][:200]}"
    return what


class Servers:
    """A private redis-server (or the Redis at ``redis_url``, under a key prefix of this
    run's own) and the gunicorns of one run; :meth:`close` stops everything it started and
    deletes this run's keys, never anything else's."""

    def __init__(
        self,
        workdir: Path,
        logs: Path | None = None,
        redis_url: str | None = None,
        name: str = "bench",
        defaults: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.logs = logs or workdir
        self.run_id = uuid.uuid4().hex[:8]
        self.prefix = f"{name}-{self.run_id}"
        self.defaults = defaults or {}  # the run's environment for every gunicorn
        self.server_logs: dict[str, dict[str, Any]] = {}
        self._running: list[Gunicorn] = []
        self.redis_server: RedisServer | None = None
        if redis_url is None:
            self.redis_server = RedisServer(workdir)
            self.redis_server.start()
            redis_url = self.redis_server.url
        self.redis_url = redis_url
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=5)

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def gunicorn(
        self,
        name: str,
        env: dict[str, str],
        app: str = SERVICE_APP,
        extra: tuple = (),
        cwd: Path = ROOT,
    ) -> Gunicorn:
        """A started gunicorn on a free port with its own metrics directory, log and cache
        prefix (two workers of four threads unless ``env`` says otherwise)."""
        metrics = tempfile.mkdtemp(prefix=f"{name}-metrics-", dir=self.workdir)
        full = {
            "PORT": str(free_port()),
            "REDIS_URL": self.redis_url,
            "CACHE_PREFIX": f"{self.prefix}-{name}",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "4",
            "PROMETHEUS_MULTIPROC_DIR": metrics,
            "PYTHONFAULTHANDLER": "1",  # a crashing worker writes its threads' stacks
            **self.defaults,
            **env,
        }
        server = Gunicorn(full, self.logs / f"{name}.log", app, extra, cwd)
        self._running.append(server)
        server.start()
        return server

    def stop(self, server: Gunicorn) -> dict[str, Any]:
        """Stop one server; what its log says, with its exit code after SIGTERM."""
        summary = {"exit_code_after_sigterm": server.stop(), **server.log_summary()}
        self.server_logs[server.log_path.stem] = summary
        if server in self._running:
            self._running.remove(server)
        return summary

    def close(self) -> None:
        """Stop every server, drop this run's keys, stop the private Redis."""
        for server in list(self._running):
            self.stop(server)
        with contextlib.suppress(redis.RedisError):
            keys = list(self.redis.scan_iter(f"{self.prefix}*", count=1000))
            for i in range(0, len(keys), 1000):
                self.redis.delete(*keys[i : i + 1000])
        if self.redis_server is not None:
            self.redis_server.stop()


def scrape(base: str, names: tuple[str, ...]) -> dict[str, float]:
    """Samples of the named metrics from ``/metrics`` (summed over workers), keyed
    ``name{labels}``."""
    samples: dict[str, float] = {}
    for line in get(f"{base}/metrics", timeout=10).body.decode().splitlines():
        key, _, value = line.rpartition(" ")
        if not line.startswith("#") and key.split("{", 1)[0] in names:
            samples[key] = float(value)
    return samples


def delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    """Per sample, how much it grew (samples that did not move are left out)."""
    grown = {k: v - before.get(k, 0.0) for k, v in after.items()}
    return {k: round(v, 3) for k, v in sorted(grown.items()) if v}


# -------------------------------------------------------------------------- processes


@dataclass(frozen=True, slots=True)
class Memory:
    """Resident, proportional (shared pages split among their users) and unique memory of
    one process, in MiB."""

    rss: float
    pss: float
    uss: float

    def as_dict(self) -> dict[str, float]:
        """Rounded, with the units in the keys."""
        return {f"{k}_mib": round(getattr(self, k), 1) for k in ("rss", "pss", "uss")}


def memory(pid: int) -> Memory | None:
    """RSS, PSS and USS of a process; None when it is gone."""
    try:
        info = psutil.Process(pid).memory_full_info()
    except psutil.Error:
        return None
    return Memory(info.rss / 2**20, info.pss / 2**20, info.uss / 2**20)


def cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User plus system CPU time of a process so far (0 when it is gone); with ``reaped``,
    with that of its children that have exited."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    own = times.user + times.system
    return own + (times.children_user + times.children_system if reaped else 0.0)


def tree_cpu_seconds(root: int) -> float:
    """CPU time of a process and all its descendants, those reaped included: over an
    interval, what a gunicorn spent, workers recycled meanwhile included."""
    try:
        descendants = psutil.Process(root).children(recursive=True)
    except psutil.Error:
        descendants = []
    return cpu_seconds(root, True) + sum(cpu_seconds(p.pid, True) for p in descendants)


def cpu_busy(seconds: float = 1.0) -> float:
    """Share of all cores' time spent busy over the next ``seconds``."""
    return round(psutil.cpu_percent(interval=seconds) / 100, 3)


class ForeignCpu:
    """Samples, every second, the CPU that processes outside this benchmark's own tree use:
    another job on the machine shows here, and makes the figures noisy."""

    def __init__(self) -> None:
        self.shares: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="foreign-cpu", daemon=True)
        self._cores = len(os.sched_getaffinity(0))

    def start(self) -> None:
        """Start sampling."""
        self._thread.start()

    @staticmethod
    def _busy() -> float:
        t = psutil.cpu_times()
        return sum(t) - t.idle - t.iowait - t.guest - t.guest_nice

    def _run(self) -> None:
        me = os.getpid()
        busy, ours = self._busy(), tree_cpu_seconds(me)
        while not self._stop.wait(1.0):
            busy2, ours2 = self._busy(), tree_cpu_seconds(me)
            foreign = max(0.0, (busy2 - busy) - (ours2 - ours))
            self.shares.append(min(1.0, foreign / self._cores))
            busy, ours = busy2, ours2

    def stop(self) -> dict[str, float]:
        """Stop; the mean and the 95th percentile share of all cores used by others."""
        self._stop.set()
        self._thread.join(timeout=5)
        shares = self.shares or [0.0]
        return {
            "seconds": len(self.shares),
            "mean": round(statistics.fmean(shares), 3),
            "p95": round(percentile(shares, 95), 3),
            "seconds_over_25pct": sum(s > 0.25 for s in self.shares),
        }


# ------------------------------------------------------------ clients: http.client


@dataclass(slots=True)
class Reply:
    """One answer as the client saw it."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def header(self, name: str) -> str | None:
        """One header's value, whatever the case the server wrote its name in."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"the benchmark talks to loopback only, not {parts.hostname}")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout), path


# A request body: bytes, or chunks sent with ``Transfer-Encoding: chunked``.
Body = bytes | Iterable[bytes] | None


def request(
    method: str, url: str, body: Body, timeout: float, headers: dict[str, str] | None
) -> Reply:
    """One request on a new connection (uncached runs are seconds apart: a kept-alive one
    would meanwhile be closed by gunicorn's keep-alive); the client's time, end to end.
    A body is sent as JSON unless ``headers`` say otherwise."""
    conn, path = _connection(url, timeout)
    try:
        began = time.perf_counter()
        sent = {**(JSON_HEADERS if body is not None else {}), **(headers or {})}
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        seconds = time.perf_counter() - began
        return Reply(response.status, dict(response.getheaders()), data, seconds)
    finally:
        conn.close()


def post(
    url: str, body: Body, timeout: float = 900.0, headers: dict[str, str] | None = None
) -> Reply:
    """POST on a new connection (see :func:`request`)."""
    return request("POST", url, body, timeout, headers)


def get(url: str, timeout: float = 5.0, headers: dict[str, str] | None = None) -> Reply:
    """GET on a new connection."""
    return request("GET", url, None, timeout, headers)


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
    conn, path = _connection(url, 10.0)
    deadline = time.monotonic() + max_seconds
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
                conn, path = _connection(url, 10.0)
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


def load_client() -> str:
    """``wrk`` when on the PATH (C, epoll: the client costs little CPU on 2 cores), else
    Python threads, which take CPU from the servers they measure."""
    return "wrk" if shutil.which("wrk") else "python-threads"


def throughput(url: str, body: bytes, clients: int, seconds: float) -> Throughput:
    """``clients`` concurrent kept-alive clients POSTing ``body`` for ``seconds``."""
    run = _wrk if load_client() == "wrk" else _threads
    return run(url, body, clients, seconds)


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
    summary = json.loads(next(x for x in done.stdout.splitlines() if x.startswith("{")))
    failed = sum(summary[k] for k in ("connect", "read", "write", "timeout"))
    # wrk counts a non-2xx answer both as a request and as a status error.
    answers = summary["requests"] - summary["status"]
    p50, p99 = summary["p50_us"] / 1000, summary["p99_us"] / 1000
    seconds = summary["duration_us"] / 1e6
    return Throughput("wrk", clients, seconds, answers, failed + summary["status"], p50, p99)


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
    flat = [x * 1000 for result in results for x in result.latencies]
    errors = sum(r.errors for r in results)
    p50, p99 = percentile(flat, 50), percentile(flat, 99)
    return Throughput("python-threads", clients, elapsed, len(flat), errors, p50, p99)


# --------------------------------------------------------------- clients: requests


@dataclass(slots=True)
class Call:
    """One call of a load run: its kind (for the statistics), method, path, JSON body and
    whatever the run's check compares the answer with (``refs``)."""

    kind: str
    method: str
    path: str
    body: Any = None
    refs: list[Any] = field(default_factory=list)


@dataclass(slots=True)
class Result:
    """What one call got: status (or ``timeout``/``connection``), client time, the cache
    results and, when it failed, why (``error_kind`` is what the summary counts)."""

    kind: str
    status: str
    ms: float
    x_cache: str | None = None
    slot_cache: list[str] = field(default_factory=list)
    error: str | None = None
    error_kind: str | None = None

    def fail(self, error: str, kind: str) -> Result:
        """Mark the call failed."""
        self.error, self.error_kind = error, kind
        return self


# A run's check of an answer: marks ``result`` failed when the answer is not what it expects.
Check = Callable[[Call, requests.Response, Result], object]


def send(session: requests.Session, base: str, call: Call, check: Check) -> Result:
    """Make one call with the run's session and check it."""
    data = None if call.body is None else orjson.dumps(call.body)
    began = time.perf_counter()
    ms = lambda: (time.perf_counter() - began) * 1000  # noqa: E731
    try:
        response = session.request(
            call.method,
            base + call.path,
            data=data,
            headers=JSON_HEADERS if data is not None else None,
            timeout=CLIENT_TIMEOUT_SECONDS,
        )
        response.content  # noqa: B018 - read the whole answer inside the clock
    except requests.Timeout as exc:
        return Result(call.kind, "timeout", ms()).fail(f"timeout: {exc}", "timeout")
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"
        return Result(call.kind, "connection", ms()).fail(error, "connection")
    result = Result(call.kind, str(response.status_code), ms(), response.headers.get("X-Cache"))
    try:
        check(call, response, result)
    except Exception as exc:  # an answer shape the check did not foresee
        result.fail(f"unexpected answer: {type(exc).__name__}: {exc}", "unchecked")
    return result


class Clients:
    """``n`` client threads making calls back to back until :meth:`stop` (or a hard deadline
    only a wedged driver would reach); each result is recorded under the phase current when
    its call started. A context manager: start, then stop."""

    def __init__(
        self,
        base: str,
        n: int,
        next_call: Callable[[random.Random], Call],
        check: Check,
        max_seconds: float,
    ) -> None:
        self.phase = "run"
        self.stuck: list[str] = []
        self._lock = threading.Lock()
        self._results: dict[str, list[tuple[float, Result]]] = defaultdict(list)
        self._stop = threading.Event()
        self._deadline = time.monotonic() + max_seconds
        self._args = (base, next_call, check)
        self._threads = [
            threading.Thread(target=self._client, args=(1000 + i,), name=f"client-{i}", daemon=True)
            for i in range(n)
        ]

    def __enter__(self) -> Clients:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _client(self, seed: int) -> None:
        base, next_call, check = self._args
        rng = random.Random(seed)
        with requests.Session() as session:
            while not self._stop.is_set() and time.monotonic() < self._deadline:
                phase = self.phase
                result = send(session, base, next_call(rng), check)
                with self._lock:
                    self._results[phase].append((time.monotonic(), result))

    def stop(self) -> list[str]:
        """Stop the clients and wait for their last calls; names of any still stuck."""
        self._stop.set()
        deadline = time.monotonic() + CLIENT_TIMEOUT_SECONDS + 5
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self.stuck = [t.name for t in self._threads if t.is_alive()]
        return self.stuck

    def results(self, phase: str = "run") -> list[tuple[float, Result]]:
        """The results of one phase, with the time each was recorded."""
        with self._lock:
            return list(self._results.get(phase, []))


# ------------------------------------------------------------------------- statistics


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0 to 100), interpolated between the nearest ranks
    (:func:`statistics.quantiles`, inclusive method); NaN when there are no values."""
    data = list(values)
    if len(data) < 2:
        return data[0] if data else float("nan")
    if q >= 100:
        return max(data)
    return statistics.quantiles(data, n=100, method="inclusive")[max(1, round(q)) - 1]


def median(values: Iterable[float]) -> float:
    """The median, NaN when there are no values."""
    data = list(values)
    return statistics.median(data) if data else float("nan")


def latency(ms: list[float]) -> dict[str, float]:
    """Count, p50, p90, p99, max and mean of latencies in ms."""
    if not ms:
        return {"count": 0}
    quantiles = {f"p{q}_ms": round(percentile(ms, q), 1) for q in (50, 90, 99)}
    return {
        "count": len(ms),
        **quantiles,
        "max_ms": round(max(ms), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
    }


def summarise(results: list[Result], seconds: float) -> dict[str, Any]:
    """Totals, throughput, latency per kind, status codes, cache results and errors."""
    by_kind: dict[str, list[float]] = defaultdict(list)
    x_cache_by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    statuses, x_cache, slots, errors, error_kinds = (Counter[str]() for _ in range(5))
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
    rate = lambda n: round(n / seconds, 1) if seconds else 0.0  # noqa: E731
    return {
        "requests": len(results),
        "seconds": round(seconds, 2),
        "throughput_rps": rate(len(results)),
        "throughput_rps_by_kind": {k: rate(len(v)) for k, v in sorted(by_kind.items())},
        "latency_ms": {k: latency(v) for k, v in sorted(by_kind.items())},
        "status_codes": dict(sorted(statuses.items())),
        "x_cache": dict(sorted(x_cache.items())),
        "x_cache_by_kind": {k: dict(sorted(v.items())) for k, v in sorted(x_cache_by_kind.items())},
        "batch_slot_cache": dict(sorted(slots.items())),
        "errors": sum(errors.values()),
        "error_kinds": dict(error_kinds.most_common()),
        "error_samples": dict(errors.most_common(10)),
    }


def timeline(entries: list[tuple[float, Result]], began: float) -> list[list[int]]:
    """``[second, calls, failed calls]`` per second of a run (by completion time)."""
    calls, failed = Counter[int](), Counter[int]()
    for at, result in entries:
        calls[int(at - began)] += 1
        failed[int(at - began)] += bool(result.error)
    return [[s, calls[s], failed[s]] for s in sorted(calls)]


# ---------------------------------------------------------------------- machine facts


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _wrk_version() -> str | None:
    if load_client() != "wrk":
        return None
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=5)
    lines = (done.stdout or done.stderr).splitlines()
    return lines[0].strip() if lines else None


def machine() -> dict[str, Any]:
    """What the figures were measured on: platform, cores, memory, Python, the versions they
    depend on, and how busy the machine was at the start."""
    packages = ("torch", "stanza", "spacy", "gunicorn", "flask")
    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        **{name: _version(name) for name in packages},
        "redis_py": _version("redis"),
        "wrk": _wrk_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpu_busy_before_start": cpu_busy(),
    }


def revision() -> dict[str, Any]:
    """The commit measured, and whether the service's code differed from it."""

    def git(*args: str) -> str:
        command = ["git", "-C", str(ROOT), *args]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=10, check=True
        ).stdout

    try:
        head = git("rev-parse", "--short", "HEAD").strip()
        dirty = git("status", "--porcelain", "--", "service", "gunicorn.conf.py").strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None}
    return {"commit": head, "service_modified_since_commit": bool(dirty)}
