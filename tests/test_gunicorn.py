"""The service as deployed: a real gunicorn process with two workers sharing Redis."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests

from tests.conftest import EMPTY_STANZA, REDIS_URL, ROOT
from tests.contract import check
from tests.servers import free_port
from tests.stanza_fixture import build_tiny_resources

pytestmark = pytest.mark.gunicorn


@dataclass
class Server:
    base: str
    proc: subprocess.Popen
    log: Path


@contextlib.contextmanager
def _serve(tmp_path_factory, **overrides: str) -> Iterator[Server]:
    """gunicorn -c gunicorn.conf.py 'service:create_app()' with Redis, until ready; its
    combined log file beside it; the run's Redis keys deleted at the end."""
    port = free_port()
    metrics_dir = tmp_path_factory.mktemp("metrics")
    prefix = f"test-gunicorn-{os.getpid()}-{port}"
    env = {
        **os.environ,
        "PORT": str(port),
        "REDIS_URL": REDIS_URL,
        "CACHE_PREFIX": prefix,
        "STANZA_RESOURCES_DIR": str(EMPTY_STANZA),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        **overrides,
    }
    log = tmp_path_factory.mktemp("log") / "gunicorn.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "service:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, proc, log)
        yield Server(base, proc, log)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        conn = redis.Redis.from_url(REDIS_URL)
        keys = list(conn.scan_iter(f"{prefix}:*"))
        if keys:
            conn.delete(*keys)


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory) -> Iterator[Server]:
    """The service under gunicorn with two workers."""
    with _serve(tmp_path_factory) as server:
        yield server


def _wait_ready(base: str, proc: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or a worker still importing
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited: {log.read_text()[-2000:]}")
        time.sleep(0.25)
    pytest.fail(f"gunicorn not ready in time: {log.read_text()[-2000:]}")


@pytest.fixture
def server(gunicorn: Server) -> str:
    return gunicorn.base


def _metric(base: str, name: str, labels: str) -> float:
    text = requests.get(f"{base}/metrics", timeout=5).text
    match = re.search(rf"^{re.escape(name)}{{{re.escape(labels)}}} ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_enrich_through_gunicorn_is_cached_for_every_worker(server, article_fr):
    first = requests.post(f"{server}/v1/enrich", json={"text": article_fr}, timeout=60)
    body = check(first, "/v1/enrich")
    assert first.status_code == 200 and first.headers["X-Cache"] == "MISS"
    assert "Hélène Marchetti" in {a["name"] for a in body["actors"]}
    # Several calls land on both workers; all of them are hits from Redis.
    for _ in range(6):
        again = requests.post(f"{server}/v1/enrich", json={"text": article_fr}, timeout=10)
        assert again.headers["X-Cache"] == "HIT"
        assert again.json() == body


def test_identical_concurrent_requests_compute_once_across_workers(server, article_fr):
    labels = 'engine="spacy",language="fr"'
    before = _metric(server, "enrich_documents_total", labels)
    text = article_fr + "\n\nAcross gunicorn workers."

    def call(_: int) -> str:
        response = requests.post(f"{server}/v1/enrich", json={"text": text}, timeout=60)
        assert response.status_code == 200
        return response.headers["X-Cache"]

    with ThreadPoolExecutor(8) as pool:
        states = list(pool.map(call, range(8)))
    assert states.count("MISS") == 1, states
    assert _metric(server, "enrich_documents_total", labels) - before == 1


def _log_entries(log: Path, logger: str) -> Iterator[dict]:
    """The JSON log lines of one logger, parsed."""
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("logger") == logger:
                yield entry


def _access_pids(log: Path, request_ids: set[str]) -> dict[str, int]:
    """The worker pid of each request's access line."""
    return {
        entry["request_id"]: entry["pid"]
        for entry in _log_entries(log, "service.access")
        if entry.get("request_id") in request_ids
    }


def _model_loads(log: Path) -> list[int]:
    """The pid of every "models loaded" log line, one per language loaded."""
    return [
        entry["pid"]
        for entry in _log_entries(log, "service.engines.registry")
        if entry.get("message", "").startswith("loaded ")
    ]


def test_models_load_once_in_the_master_and_workers_share_them(gunicorn):
    # Two languages, loaded by the master before it forked the two workers.
    assert _model_loads(gunicorn.log) == [gunicorn.proc.pid] * 2


def warmed_app():
    """The service's app after it ran the engine once: what a "warm-up" in the master does."""
    from service import create_app

    app = create_app()
    reply = app.test_client().post(
        "/v1/enrich", json={"text": "Joe Biden parle.", "language": "fr"}
    )
    assert reply.status_code == 200
    return app


def test_master_that_ran_the_engine_refuses_to_fork(tmp_path_factory):
    port = free_port()
    env = {**os.environ, "PORT": str(port), "STANZA_RESOURCES_DIR": str(EMPTY_STANZA)}
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path_factory.mktemp("metrics"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "tests.test_gunicorn:warmed_app()",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "ran the NLP engine before forking workers" in done.stderr
    assert "Booting worker" not in done.stderr


def test_keep_alive_clients_spread_over_both_workers(gunicorn, article_fr):
    # 16 clients open kept-alive connections at once: both workers must serve them (a
    # worker holds at most one connection per thread and leaves the rest to its sibling).
    url = f"{gunicorn.base}/v1/enrich"
    assert requests.post(url, json={"text": article_fr}, timeout=60).status_code == 200
    sessions = [requests.Session() for _ in range(16)]
    barrier = threading.Barrier(len(sessions))

    def call(i: int) -> str:
        barrier.wait()
        rid = f"spread-{os.getpid()}-{i}"
        for _ in range(5):
            reply = sessions[i].post(
                url, json={"text": article_fr}, headers={"X-Request-ID": rid}, timeout=30
            )
            assert reply.headers["X-Cache"] == "HIT"
        return rid

    with ThreadPoolExecutor(len(sessions)) as pool:
        ids = set(pool.map(call, range(len(sessions))))
    for session in sessions:
        session.close()
    time.sleep(0.5)  # let the access lines reach the log
    pids = _access_pids(gunicorn.log, ids)
    assert len(pids) == len(ids)
    assert len(set(pids.values())) == 2, pids


def test_metrics_aggregate_all_workers(server):
    labels = 'endpoint="/healthz",status="200"'
    before = _metric(server, "enrich_http_requests_total", labels)
    for _ in range(10):
        assert requests.get(f"{server}/healthz", timeout=5).status_code == 200
    assert _metric(server, "enrich_http_requests_total", labels) - before == 10


def test_problem_through_gunicorn(server):
    response = requests.post(
        f"{server}/v1/enrich", data=b"\xff", headers={"Content-Type": "text/plain"}, timeout=5
    )
    assert check(response, "/v1/enrich")["status"] == 400


def test_workers_recycle_on_engine_documents_not_on_cached_answers(tmp_path_factory, article_fr):
    # One worker that may run the engine on 2 documents (+ up to 10% jitter: still 2).
    with _serve(tmp_path_factory, WEB_CONCURRENCY="1", WORKER_MAX_DOCUMENTS="2") as server:
        log = server.log
        url = f"{server.base}/v1/enrich"
        first = requests.post(url, json={"text": article_fr}, timeout=60)
        assert first.headers["X-Cache"] == "MISS"
        # Cached answers, far more than the document limit, never recycle the worker.
        for _ in range(50):
            assert requests.post(url, json={"text": article_fr}, timeout=10).status_code == 200
        assert "Recycling the worker" not in log.read_text()
        # The second engine document reaches the limit: the worker answers, then leaves.
        second = requests.post(url, json={"text": article_fr + "\n\nEncore."}, timeout=60)
        assert second.status_code == 200 and second.headers["X-Cache"] == "MISS"
        deadline = time.monotonic() + 60
        while "Recycling the worker after 2 engine documents" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        # Its replacement, forked from the master that holds the models, answers at once
        # without loading them again.
        _wait_ready(server.base, server.proc, log)
        again = requests.post(url, json={"text": article_fr}, timeout=60)
        assert again.status_code == 200 and again.headers["X-Cache"] == "HIT"
        assert log.read_text().count("Booting worker") == 2
        assert set(_model_loads(log)) == {server.proc.pid}


def _until_both_workers_answer(
    server: Server, label: str, body: Callable[[int], dict]
) -> tuple[dict[str, dict], set[int]]:
    """POST ``body(i)`` in rounds of 8 concurrent requests until both workers have answered
    (at most five rounds); the answers by request id, and the pids that served them.

    Which worker takes a request is up to the kernel and the load; a hung worker never
    answers, so it never shows up among the pids.
    """

    def call(i: int) -> tuple[str, dict]:
        rid = f"{label}-{os.getpid()}-{i}"
        reply = requests.post(
            f"{server.base}/v1/enrich", json=body(i), headers={"X-Request-ID": rid}, timeout=60
        )
        return rid, check(reply, "/v1/enrich")

    answers: dict[str, dict] = {}
    pids: set[int] = set()
    with ThreadPoolExecutor(8) as pool:
        for first in range(0, 40, 8):
            answers.update(pool.map(call, range(first, first + 8)))
            time.sleep(0.5)  # let the access lines reach the log
            pids = set(_access_pids(server.log, set(answers)).values())
            if len(pids) == 2:
                break
    return answers, pids


def test_stanza_workers_forked_from_a_master_holding_torch_models_do_not_hang(tmp_path_factory):
    # The master loads the Stanza (PyTorch) models, then forks two workers that run two torch
    # threads each: the layout that hangs workers when the master has also run inference.
    resources = build_tiny_resources(ROOT / ".cache" / "stanza-tiny")
    env = {"SERVICE_ENGINE": "stanza", "STANZA_RESOURCES_DIR": str(resources)}
    with _serve(tmp_path_factory, TORCH_THREADS="2", **env) as server:
        assert _model_loads(server.log) == [server.proc.pid] * 2

        answers, pids = _until_both_workers_answer(
            server,
            "stanza-fork",
            lambda i: {
                "text": f"Antony Blinken a rencontré Sergueï Lavrov à Genève, le {i + 1} janvier.",
                "language": "fr",
            },
        )
        assert {body["engine"]["name"] for body in answers.values()} == {"stanza"}
        assert all("Antony Blinken" in {a["name"] for a in b["actors"]} for b in answers.values())
        assert len(pids) == 2


def test_graceful_shutdown_finishes_in_flight_requests(gunicorn, article_fr):
    # Runs last in this module: it stops the server.
    text = article_fr + "\n\nIn flight at shutdown."
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(
            requests.post, f"{gunicorn.base}/v1/enrich", json={"text": text}, timeout=60
        )
        time.sleep(0.05)
        gunicorn.proc.send_signal(signal.SIGTERM)
        response = pending.result()
    assert response.status_code == 200
    assert gunicorn.proc.wait(timeout=40) == 0


def test_workers_forked_from_a_master_holding_the_polarity_model_answer_with_it(
    tmp_path_factory,
):
    # The master loads the polarity model (torch) with the engines, then forks two workers
    # that run it with two torch threads each.
    from tests.test_polarity_model import TRAINED as weights

    env = {
        "TORCH_THREADS": "2",
        "SERVICE_LANGUAGES": "en",
        "POLARITY_MODEL": "on",
        "POLARITY_WEIGHTS": str(weights),
    }
    with _serve(tmp_path_factory, **env) as server:
        loads = [
            entry["pid"]
            for entry in _log_entries(server.log, "service.engines.target_model")
            if entry.get("message", "").startswith("loaded polarity model")
        ]
        assert loads == [server.proc.pid]

        answers, pids = _until_both_workers_answer(
            server,
            "polarity-fork",
            lambda i: {"text": f"Canada praised Mexico on day {i + 1}.", "language": "en"},
        )
        assert len(pids) == 2
        assert all("polarity" in b["engine"]["models"] for b in answers.values())
        assert all(b["timings"]["model_ms"] > 0 for b in answers.values())
