"""Hostile clients against the service under gunicorn: the reproductions of issue 11.

    python bench/abuse.py [--root DIR] [--only 1a,2,...] [--json OUT]

``--root`` is the checkout whose service runs (default: this one; ``--root ../main`` measures
main for the "before" column). Each scenario gets a fresh gunicorn (gunicorn.conf.py, two
workers of four threads, spaCy engines, Redis DB 15 with a prefix of its own, deleted at
the end), while a bystander sends ``/healthz`` and a short cached article four times a
second. Per scenario it prints the attack's statuses and times, the bystander's failures
and worst latency, worker deaths (workers booted after the first two, and gunicorn's
WORKER TIMEOUT lines), the worst worker RSS and PSS seen, and how long the workers kept
computing once the attack's clients were gone. Everything also goes out as JSON.

Scenarios (issue 11's numbering): 1a 40,000 '!'; 1b 16,000 emoji; 1c 199,999 emoji;
2 eight bodies trickled at 50 bytes/s; 3 ``include`` of 1,000,000 items (one, then eight at
once); 4 a batch of 32 x 200,000 characters, then the same batch again; 5 sixteen different
100,000-character texts with a 5 s client timeout; 7 the smaller items (401 request id,
414, 431, chunked body over the limit, duplicate keys, ISO-8859-1 text, and the CLI);
W the worst case the limits allow, for the memory bound and the longest answer.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness import ROOT, Body, Gunicorn, Servers, exit_on_sigterm, get, machine, request
from harness import post as http_post

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
KEY = "abuse-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
SHORT = {"text": "Joe Biden a rencontré Emmanuel Macron à Paris.", "language": "fr"}
SENTENCES = [
    "Joe Biden a rencontré Emmanuel Macron à Paris pour parler de l'Ukraine.",
    "Le ministre a critiqué la décision du gouvernement, selon l'AFP.",
    "Vladimir Poutine a dénoncé les sanctions imposées par l'Union européenne.",
    "Les négociations reprendront lundi à Genève, a indiqué un diplomate.",
]
# What a client sees when no answer comes: the connection refused, reset, closed or timed out.
NO_ANSWER = (OSError, http.client.HTTPException)


def prose(chars: int, seed: int) -> str:
    """Article-like French text of ``chars`` characters, different for every ``seed``."""
    parts, size, i = [], 0, 0
    while size < chars:
        part = f"{SENTENCES[i % len(SENTENCES)]} ({seed}-{i}) "
        parts.append(part)
        size += len(part)
        i += 1
    return "".join(parts)[:chars]


def as_json(document: Any) -> bytes:
    """The body a JSON client sends (``json.dumps``: non-ASCII as ``\\u`` escapes)."""
    return json.dumps(document).encode()


class Watched:
    """A started gunicorn (the harness's), its workers' memory sampled every 0.25 s."""

    def __init__(self, server: Gunicorn) -> None:
        self.server = server
        self.base = server.base
        self.port = int(server.env["PORT"])
        self.env = server.env
        self.peak = (0.0, 0.0)
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="memory", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.25):
            for rss, pss in self.memory_now():
                self.peak = (max(self.peak[0], rss), max(self.peak[1], pss))

    def memory_now(self) -> list[tuple[float, float]]:
        """(RSS, PSS) in MiB of every live worker now."""
        return [(m.rss, m.pss) for m in self.server.workers_memory()]

    def busy_for(self, limit: float = 120.0) -> float:
        """Seconds until every worker has used under 5% of a core for 2 s in a row."""
        began = time.monotonic()
        idle_since = None
        last = self.server.workers_cpu()
        while time.monotonic() - began < limit:
            time.sleep(0.5)
            now = self.server.workers_cpu()
            if now - last < 0.025:
                idle_since = idle_since or time.monotonic() - 0.5
                if time.monotonic() - idle_since >= 2:
                    return round(idle_since - began, 1)
            else:
                idle_since = None
            last = now
        return limit

    def deaths(self) -> dict[str, int]:
        """Workers booted after the first ones, and gunicorn's WORKER TIMEOUT lines."""
        booted = self.server.log_count("Booting worker")
        return {
            "workers_booted_after_start": max(0, booted - self.server.workers),
            "worker_timeouts": self.server.log_count("WORKER TIMEOUT"),
        }

    def stop(self) -> None:
        """Stop sampling (the harness stops the server)."""
        self._stop.set()
        self._watcher.join(timeout=5)


class Bystander:
    """Unrelated clients: ``/healthz`` and a short cached article, four times a second."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.calls = 0
        self.failed: Counter[str] = Counter()
        self.worst = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bystander", daemon=True)

    def _one(self, path: str, body: bytes | None = None) -> None:
        began = time.monotonic()
        try:
            method = "GET" if body is None else "POST"
            status = request(method, self.base + path, body, 30, AUTH).status
            outcome = "" if status == 200 else str(status)
        except NO_ANSWER as exc:
            outcome = type(exc).__name__
        self.calls += 1
        self.worst = max(self.worst, time.monotonic() - began)
        if outcome:
            self.failed[f"{path} {outcome}"] += 1

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self._one("/healthz")
            self._one("/v1/enrich", as_json(SHORT))

    @contextmanager
    def running(self) -> Iterator[Bystander]:
        """Run for the duration of the block."""
        self._one("/v1/enrich", as_json(SHORT))  # cache it first
        self.calls, self.failed, self.worst = 0, Counter(), 0.0
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()

    def report(self) -> dict[str, Any]:
        """Calls made, failures by path and cause, worst latency."""
        return {"calls": self.calls, "failed": dict(self.failed), "worst_s": round(self.worst, 2)}


def post(
    base: str, path: str, timeout: float, body: Body, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """One authorised request (JSON unless ``headers`` say otherwise): status, seconds,
    answer size and problem type, or the client error's name when no answer came."""
    began = time.monotonic()
    try:
        reply = http_post(base + path, body, timeout, {**AUTH, **(headers or {})})
    except NO_ANSWER as exc:
        return {"status": type(exc).__name__, "seconds": round(time.monotonic() - began, 2)}
    out: dict[str, Any] = {
        "status": reply.status,
        "seconds": round(time.monotonic() - began, 2),
        "bytes": len(reply.body),
        "content_type": reply.header("Content-Type"),
    }
    if "problem" in (out["content_type"] or ""):
        out["type"] = json.loads(reply.body).get("type", "").rsplit(":", 1)[-1]
    elif path.endswith("/batch") and reply.status == 200:  # a batch's 200 may hold errors
        results = json.loads(reply.body)["results"]
        slots = Counter(
            r["error"]["type"].rsplit(":", 1)[-1] if "error" in r else "ok" for r in results
        )
        out["type"] = ", ".join(f"{n} {kind}" for kind, n in sorted(slots.items()))
    if reply.header("Retry-After"):
        out["retry_after"] = reply.header("Retry-After")
    return out


def text_post(base: str, text: str) -> dict[str, Any]:
    """The article as text/plain in English, as curl sends it."""
    plain = {"Content-Type": "text/plain"}
    return post(base, "/v1/enrich?language=en", 150, text.encode(), plain)


def trickle(port: int, body: bytes, rate: float, limit: float) -> dict[str, Any]:
    """POST ``body`` at ``rate`` bytes/s from a raw socket; what came back, and when."""
    began = time.monotonic()
    head = (
        f"POST /v1/enrich HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=limit)
    sock.sendall(head)
    sock.settimeout(0.2)
    sent, answer = 0, b""
    try:
        while time.monotonic() - began < limit and sent < len(body):
            sock.sendall(body[sent : sent + max(1, int(rate / 10))])
            sent += max(1, int(rate / 10))
            try:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
            except TimeoutError:
                pass
        sock.settimeout(max(0.1, limit - (time.monotonic() - began)))
        answer += sock.recv(65536)
    except OSError as exc:
        answer = answer or f"<{type(exc).__name__}>".encode()
    finally:
        sock.close()
    return {
        "answer": answer.split(b"\r\n", 1)[0].decode(errors="replace") or "<closed>",
        "seconds": round(time.monotonic() - began, 1),
        "bytes_sent": min(sent, len(body)),
    }


def scenario_1(server: Watched, name: str) -> dict[str, Any]:
    """A long run without spaces, as text/plain."""
    text = {"1a": "!" * 40_000, "1b": "😀" * 16_000, "1c": "😀" * 199_999}[name]
    return text_post(server.base, text)


def scenario_2(server: Watched) -> dict[str, Any]:
    """Eight slow uploads at once; meanwhile, how fast /healthz and an article answer."""
    body = json.dumps({"text": prose(1500, 2), "language": "fr"}).encode()
    with ThreadPoolExecutor(8) as pool:
        slow = [pool.submit(trickle, server.port, body, 50.0, 45.0) for _ in range(8)]
        time.sleep(3)
        began = time.monotonic()
        try:
            health: int | str = get(f"{server.base}/healthz", timeout=60).status
        except NO_ANSWER as exc:
            health = type(exc).__name__
        health_s = round(time.monotonic() - began, 2)
        article = post(server.base, "/v1/enrich", 60, as_json({"text": prose(3000, 99)}))
        tricklers = [f.result() for f in slow]
    return {
        "healthz": {"status": health, "seconds": health_s},
        "article": article,
        "tricklers": Counter(f"{t['answer']} after {t['seconds']:.0f}s" for t in tricklers),
    }


def scenario_3(server: Watched) -> dict[str, Any]:
    """``include`` of a million items: one, then eight at once, then memory after."""
    body = as_json({"text": "a b", "options": {"include": ["x"] * 1_000_000}})
    one = post(server.base, "/v1/enrich", 120, body)
    with ThreadPoolExecutor(8) as pool:
        eight = list(pool.map(lambda _: post(server.base, "/v1/enrich", 120, body), range(8)))
    time.sleep(5)
    return {
        "one": one,
        "eight": Counter(f"{r['status']} {r.get('bytes')}B" for r in eight),
        "eight_worst_s": max(r["seconds"] for r in eight),
        "rss_pss_after_5s": server.memory_now(),
    }


def scenario_4(server: Watched) -> dict[str, Any]:
    """A batch of 32 x 200,000 characters, then the same again once the first has ended."""
    batch = {"documents": [{"text": prose(200_000, 400 + i)} for i in range(32)]}
    first = post(server.base, "/v1/enrich/batch", 150, as_json(batch))
    busy = server.busy_for(limit=60)
    again = post(server.base, "/v1/enrich/batch", 150, as_json(batch))
    return {"first": first, "busy_after_first_s": busy, "again": again}


def scenario_5(server: Watched) -> dict[str, Any]:
    """Sixteen different 100,000-character texts, each client giving up after 5 s."""
    with ThreadPoolExecutor(16) as pool:
        replies = list(
            pool.map(
                lambda i: post(server.base, "/v1/enrich", 5, as_json({"text": prose(100_000, i)})),
                range(16),
            )
        )
    return {"replies": Counter(str(r["status"]) + ("/" + r.get("type", "")) for r in replies)}


def dense(tokens: int, seed: int) -> str:
    """English text with as many tokens per character as words and punctuation allow."""
    words = [f"w{seed}x{i % 97}" if i % 2 == 0 else "," for i in range(tokens)]
    return " ".join(words)


def scenario_w(server: Watched) -> dict[str, Any]:
    """The worst the limits allow: a 200,000-character article; a text just under
    MAX_TEXT_TOKENS; then both again with a batch at MAX_BATCH_CHARS and four 8 MB bodies
    at once, all on the two workers."""
    enrich = lambda document: post(server.base, "/v1/enrich", 150, as_json(document))  # noqa: E731
    fr = enrich({"text": prose(200_000, 7), "language": "fr"})
    en = enrich({"text": dense(49_000, 7), "language": "en"})
    huge = {"text": "a " * 4_190_000}  # just under MAX_BODY_BYTES: parsed, then 413
    batch = {"documents": [{"text": prose(6_250, 900 + i)} for i in range(32)]}
    work = [
        lambda: enrich({"text": prose(200_000, 8)}),
        lambda: enrich({"text": dense(49_000, 8), "language": "en"}),
        lambda: post(server.base, "/v1/enrich/batch", 150, as_json(batch)),
        *[lambda: enrich(huge)] * 4,
    ]
    with ThreadPoolExecutor(len(work)) as pool:
        together = [f.result() for f in [pool.submit(w) for w in work]]
    return {
        "fr_200k_chars": fr,
        "en_49k_tokens": en,
        "together": [f"{r['status']}/{r.get('type', '')} {r['seconds']}s" for r in together],
    }


def _raw(port: int, request: bytes) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    ctype = next(
        (x.split(":", 1)[1].strip() for x in lines if x.lower().startswith("content-type")), ""
    )
    return f"{lines[0][9:]} {ctype} {body[:60]!r}"


def scenario_7(server: Watched, root: Path) -> dict[str, Any]:
    """The smaller items."""
    base = server.base
    out: dict[str, Any] = {}
    unauthorized = http_post(f"{base}/v1/enrich", as_json(SHORT), timeout=10)
    out["401 X-Request-ID"] = repr(unauthorized.header("X-Request-ID"))
    out["URI of 10,000 chars"] = _raw(
        server.port, b"GET /healthz?" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    out["header of 20,000 chars"] = _raw(
        server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n"
    )

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b'{"text": "' + b"a" * 1_000_000 if _ == 0 else b"a" * 1_000_000

    out["chunked 10 MB"] = post(base, "/v1/enrich", 30, chunks())  # no Content-Length
    out["duplicate keys"] = post(
        base,
        "/v1/enrich",
        30,
        b'{"text": "Joe Biden parle.", "text": "Emmanuel Macron parle.", "language": "fr"}',
    )
    out["text/plain ISO-8859-1"] = post(
        base,
        "/v1/enrich?language=fr",
        30,
        "Joe Biden a parlé à Paris.".encode("latin-1"),
        {"Content-Type": "text/plain; charset=iso-8859-1"},
    )
    out["CLI"] = {}
    for args, stdin in (
        (["enrich", "-"], "Joe Biden spoke."),
        (["enrich", "/nonexistent.txt"], ""),
        (["enrich", "-", "--include", "bogus"], "Joe Biden spoke."),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "service", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=root,
            env={**os.environ, **server.env, "REDIS_URL": ""},
            timeout=120,
        )
        if done.returncode == 0:  # what was detected; stderr has only the start-up log
            answer = json.loads(done.stdout)
            last = f"language {answer['language']} (detected: {answer['language_detected']})"
        else:
            last = (done.stderr.strip().splitlines() or [""])[-1][:100]
        out["CLI"][" ".join(args)] = f"exit {done.returncode}: {last}"
    return out


def run(name: str, root: Path, servers: Servers) -> dict[str, Any]:
    """One scenario on a fresh server, with the bystander and the watchers."""
    env = {
        "SERVICE_API_KEYS": KEY,
        "STANZA_RESOURCES_DIR": "/nonexistent",  # spaCy engines
    }
    gunicorn = servers.gunicorn(f"scenario-{name}", env, cwd=root)
    server: Watched | None = None
    try:
        gunicorn.wait_ready()
        server = Watched(gunicorn)
        bystander = Bystander(server.base)
        began = time.monotonic()
        with bystander.running():
            attack: Callable[[], dict[str, Any]] = {
                "1a": lambda: scenario_1(server, "1a"),
                "1b": lambda: scenario_1(server, "1b"),
                "1c": lambda: scenario_1(server, "1c"),
                "2": lambda: scenario_2(server),
                "3": lambda: scenario_3(server),
                "4": lambda: scenario_4(server),
                "5": lambda: scenario_5(server),
                "7": lambda: scenario_7(server, root),
                "W": lambda: scenario_w(server),
            }[name]
            result = attack()
            result["attack_s"] = round(time.monotonic() - began, 1)
            result["busy_after_s"] = server.busy_for(limit=120)
        result["bystander"] = bystander.report()
        result.update(server.deaths())
        result["worst_worker_rss_pss_mib"] = [round(v) for v in server.peak]
        return result
    finally:
        if server is not None:
            server.stop()
        servers.stop(gunicorn)


def main() -> int:
    """Run the chosen scenarios, print each as it ends, then all as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--only", default="1a,1b,1c,2,3,4,5,7")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    exit_on_sigterm()
    root = args.root.resolve()
    document: dict[str, Any] = {"root": str(root), "machine": machine(), "results": {}}
    with (
        tempfile.TemporaryDirectory(prefix="abuse-") as tmp,
        Servers(Path(tmp), redis_url=REDIS_URL, name="abuse") as servers,
    ):
        for name in args.only.split(","):
            document["results"][name] = run(name, root, servers)
            line = json.dumps(document["results"][name], default=str)
            print(name, line, file=sys.stderr, flush=True)
    text = json.dumps(document, indent=2, default=str)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
