"""Processes of the performance benchmark: gunicorn (the service or the floor app) started
in a session of its own, and what ``/proc`` says about it (memory, CPU time, workers).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _servers import stop_gracefully
from perf_http import get

ROOT = Path(__file__).resolve().parents[1]
SERVICE_APP = "service:create_app()"
_TICKS = os.sysconf("SC_CLK_TCK")
_STATUS = re.compile(rb'"status":(\d{3})')


@dataclass(frozen=True, slots=True)
class Memory:
    """Resident, proportional and unique memory of one process, in MiB."""

    rss: float
    pss: float
    uss: float


def memory(pid: int) -> Memory:
    """From ``/proc/PID/smaps_rollup``: RSS, PSS (shared pages divided among their users)
    and USS (private pages only)."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            name, _, rest = line.partition(":")
            parts = rest.split()
            if len(parts) == 2 and parts[1] == "kB":
                fields[name] = int(parts[0])
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return Memory(fields["Rss"] / 1024, fields["Pss"] / 1024, private / 1024)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        after_name = stat.read().rsplit(")", 1)[1].split()
    return (int(after_name[11]) + int(after_name[12])) / _TICKS


def server_cpu_seconds(master: int) -> float:
    """CPU time of a gunicorn server so far: the master's own and its reaped workers'
    (utime, stime, cutime, cstime) plus its live workers'. The difference over an interval
    is what the server spent in it, workers recycled meanwhile included."""
    with open(f"/proc/{master}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    total = sum(int(x) for x in fields[11:15]) / _TICKS
    for pid in children(master):
        # reaped between the listing and the read: then in the master's cutime
        with contextlib.suppress(OSError):
            total += cpu_seconds(pid)
    return total


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (gunicorn's workers), by scanning ``/proc``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            found.append(int(entry))
    return sorted(found)


class Gunicorn:
    """``python -m gunicorn -c gunicorn.conf.py [extra] APP`` from the repository root."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        app: str = SERVICE_APP,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.port = int(env["PORT"])
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.workers = int(env.get("WEB_CONCURRENCY", "2"))
        self._command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *extra, app]
        self._env = {**os.environ, **env}
        self._proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    @property
    def pid(self) -> int:
        """The master's process id."""
        assert self._proc is not None
        return self._proc.pid

    def start(self) -> None:
        """Start the master (it forks the workers); the clock of the cold start starts here."""
        with open(self.log_path, "wb") as log:
            self.started = time.monotonic()
            self._proc = subprocess.Popen(
                self._command,
                cwd=ROOT,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float) -> float:
        """Seconds from :meth:`start` to the first ``/readyz`` 200."""
        assert self._proc is not None
        while time.monotonic() - self.started < timeout:
            try:
                if get(f"{self.base}/readyz", timeout=2).status == 200:
                    return time.monotonic() - self.started
            except OSError:
                pass  # not listening yet
            if self._proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log_tail()}")
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn not ready within {timeout:.0f} s:\n{self.log_tail()}")

    def wait_all_loaded(self, languages: int, timeout: float) -> float:
        """Seconds from :meth:`start` until every worker logged its languages as loaded
        (``/readyz`` answers from whichever worker takes the connection)."""
        wanted = self.workers * languages
        while time.monotonic() - self.started < timeout:
            if self.log_count('"message":"loaded ') >= wanted:
                return time.monotonic() - self.started
            time.sleep(0.1)
        raise RuntimeError(f"not every worker loaded within {timeout:.0f} s:\n{self.log_tail()}")

    def wait_settled(self, timeout: float, calm: float = 3.0) -> float:
        """Seconds until ``/readyz`` has answered 200 for ``calm`` seconds in a row (after
        load, recycled workers may still be loading their models)."""
        began = time.monotonic()
        since: float | None = None
        while time.monotonic() - began < timeout:
            try:
                ok = get(f"{self.base}/readyz", timeout=2).status == 200
            except OSError:
                ok = False
            now = time.monotonic()
            since = (since or now) if ok else None
            if since is not None and now - since >= calm:
                return now - began
            time.sleep(0.05)
        raise RuntimeError(f"/readyz not steadily 200 within {timeout:.0f} s")

    def worker_pids(self) -> list[int]:
        """The workers alive now."""
        return children(self.pid)

    def log_count(self, needle: str) -> int:
        """How many log lines contain ``needle``."""
        try:
            with open(self.log_path, "rb") as log:
                return sum(needle.encode() in line for line in log)
        except OSError:
            return 0

    def log_summary(self) -> dict[str, Any]:
        """What the log says happened: worker boots and recycles, workers killed by a
        signal, native crashes (faulthandler dumps), answers by status."""
        statuses: Counter[str] = Counter()
        counts: Counter[str] = Counter()
        needles = {
            "worker_boots": b"Booting worker",
            "recycled_after_max_requests": b"Autorestarting worker",
            "killed_by_signal": b"was sent SIG",
            "native_crashes": b"Fatal Python error",
            "cpp_terminate": b"terminate called",
        }
        try:
            with open(self.log_path, "rb") as log:
                for line in log:
                    for name, needle in needles.items():
                        counts[name] += needle in line
                    found = _STATUS.search(line)
                    if found and b'"service.access"' in line:
                        statuses[found.group(1).decode()] += 1
        except OSError:
            return {}
        return {**{k: counts[k] for k in needles}, "answers_by_status": dict(statuses)}

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the log."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 45.0) -> None:
        """SIGTERM to the master (graceful), SIGKILL to its session past ``timeout``."""
        if self._proc is None:
            return
        stop_gracefully(self._proc, timeout)
        self._proc = None


def _tree_cpu_ticks(root: int) -> int:
    """CPU ticks of ``root`` and every live descendant, with their reaped children's."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    ours, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == pid and p not in ours]
        ours.update(kids)
        frontier.extend(kids)
    return sum(ticks.get(pid, 0) for pid in ours)


def _busy_ticks() -> int:
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    return sum(values) - values[3] - values[4]  # all but idle and iowait


class ForeignCpu:
    """Samples, every second, the CPU that processes outside this benchmark's own tree
    use: another load test on the machine shows here, and makes the figures noisy."""

    def __init__(self) -> None:
        self.shares: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="foreign-cpu", daemon=True)
        self._cores = len(os.sched_getaffinity(0))

    def start(self) -> None:
        """Start sampling."""
        self._thread.start()

    def _run(self) -> None:
        me = os.getpid()
        busy, ours = _busy_ticks(), _tree_cpu_ticks(me)
        while not self._stop.wait(1.0):
            busy2, ours2 = _busy_ticks(), _tree_cpu_ticks(me)
            foreign = max(0, (busy2 - busy) - (ours2 - ours))
            self.shares.append(min(1.0, foreign / (_TICKS * self._cores)))
            busy, ours = busy2, ours2

    def stop(self) -> dict[str, float]:
        """Stop; the mean and the 95th percentile share of all cores used by others."""
        self._stop.set()
        self._thread.join(timeout=5)
        ordered = sorted(self.shares) or [0.0]
        return {
            "seconds": len(self.shares),
            "mean": round(sum(ordered) / len(ordered), 3),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
            "seconds_over_25pct": sum(s > 0.25 for s in ordered),
        }
