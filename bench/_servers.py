"""Private servers for the benchmarks: a redis-server and the service under gunicorn.

Used by ``bench/load.py`` and ``bench/faults.py``. Every process is started in its own
session (so a Ctrl-C in the terminal reaches only the benchmark, which then stops them in
order) and every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import FrameType

import orjson
import redis
import requests

ROOT = Path(__file__).resolve().parents[1]
APP = "service:create_app()"


def free_port() -> int:
    """A TCP port nobody listens on right now, on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so that ``finally`` blocks stop the servers."""

    def _raise(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _raise)


def stop_gracefully(proc: subprocess.Popen, timeout: float) -> int:
    """SIGTERM to a server started in a session of its own, SIGKILL to the whole session
    past ``timeout``; its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    return proc.returncode


class RedisServer:
    """A private redis-server (no persistence, DEBUG allowed from loopback) that can be
    stopped and started again on the same port."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._workdir = workdir
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it answers PING."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self._proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._workdir),
                "--enable-debug-command",
                "local",
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = self.client(socket_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self._proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"private redis-server on port {self.port} did not start")

    def client(self, socket_timeout: float = 5.0) -> redis.Redis:
        """A new client of this server."""
        return redis.Redis.from_url(self.url, socket_timeout=socket_timeout)

    def stop(self) -> None:
        """Terminate the server (SIGTERM), kill it if it does not go within 10 s."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._proc = None


class Gunicorn:
    """``python -m gunicorn -c gunicorn.conf.py 'service:create_app()'`` from the repo root."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = int(env["PORT"])
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.returncode: int | None = None
        self._env = {**os.environ, **env}
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the master (it forks the workers)."""
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", APP],
                cwd=ROOT,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 180.0) -> float:
        """Poll ``/readyz`` until 200; the seconds it took. Raises if gunicorn exits or the
        deadline passes."""
        assert self._proc is not None
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            try:
                if requests.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except requests.RequestException:
                pass  # not listening yet
            if self._proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log_tail()}")
            time.sleep(0.25)
        raise RuntimeError(f"gunicorn not ready within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 45.0) -> int | None:
        """SIGTERM (graceful: in-flight requests finish), SIGKILL past ``timeout``; the
        master's exit code (None if it never started)."""
        if self._proc is None:
            return self.returncode
        self.returncode = stop_gracefully(self._proc, timeout)
        self._proc = None
        return self.returncode

    def log_tail(self, chars: int = 3000) -> str:
        """The end of gunicorn's log (JSON lines from the master, the workers and the app)."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def log_summary(self) -> dict[str, object]:
        """Log lines by level, worker (re)starts, and the distinct WARNING/ERROR/CRITICAL
        messages (the access lines are INFO, so this is what went wrong or was noticed)."""
        levels: Counter[str] = Counter()
        notable: Counter[str] = Counter()
        workers: Counter[str] = Counter()
        try:
            lines = self.log_path.read_bytes().splitlines()
        except OSError:
            return {}
        for line in lines:
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                levels["non-json"] += 1
                notable[line.decode(errors="replace")[:200]] += 1
                continue
            level = str(entry.get("level", "?"))
            levels[level] += 1
            message = str(entry.get("message"))
            if message.startswith("Booting worker"):
                workers["booted"] += 1
            elif message.startswith("Autorestarting worker"):
                workers["recycled_after_max_requests"] += 1
            if level in ("WARNING", "ERROR", "CRITICAL"):
                what = f"{level} {entry.get('logger')}: {message[:160]}"
                if entry.get("exception"):
                    what += f" <- {str(entry['exception']).strip().splitlines()[-1][:200]}"
                notable[what] += 1
        return {
            "lines_by_level": dict(levels),
            "workers": dict(workers),
            "notable": dict(notable.most_common(20)),
        }


def service_env(port: int, redis_url: str, prefix: str, metrics_dir: Path) -> dict[str, str]:
    """The environment the benchmarks run the service with: spaCy engines (no Stanza
    models), two workers of four threads, the private Redis and a prefix of its own."""
    return {
        "PORT": str(port),
        "REDIS_URL": redis_url,
        "CACHE_PREFIX": prefix,
        "STANZA_RESOURCES_DIR": "/nonexistent",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }


def scrape(base: str, names: tuple[str, ...]) -> dict[str, float]:
    """Samples of the named metrics from ``/metrics``, keyed ``name{labels}``."""
    text = requests.get(f"{base}/metrics", timeout=10).text
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        key, _, value = line.rpartition(" ")
        if key.split("{", 1)[0] in names:
            samples[key] = float(value)
    return samples


def delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    """Per sample, how much it grew (samples that did not move are left out)."""
    grown = {k: v - before.get(k, 0.0) for k, v in after.items()}
    return {k: round(v, 3) for k, v in sorted(grown.items()) if v}
