"""A private redis-server process, for the tests and the benchmarks alike.

The tests use it through ``tests.conftest``'s ``private_redis``; ``bench/harness.py`` imports it
from here (bench code may use the test suite's helpers, the test suite never imports bench code,
and the service imports neither). It needs nothing but redis-py and the ``redis-server`` binary.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis


def free_port() -> int:
    """A TCP port nobody listens on right now, on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A private redis-server (no persistence, DEBUG allowed from loopback) that can be
    stopped and started again on the same port. It runs in a session of its own, so that a
    Ctrl-C in the terminal reaches only its owner, which then stops it."""

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
        options = {"port": self.port, "bind": "127.0.0.1", "save": "", "appendonly": "no"}
        options |= {"dir": self._workdir, "enable-debug-command": "local"}
        self._proc = subprocess.Popen(
            [binary, *(part for k, v in options.items() for part in (f"--{k}", str(v)))],
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
