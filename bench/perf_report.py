"""The machine the figures were measured on, and the figures as a table and as JSON."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(slots=True)
class Figure:
    """One measured figure with its target and whether it holds."""

    figure: str
    engine: str
    name: str
    value: float | None
    unit: str
    target: str
    passed: bool | None  # None: no target, or not measured
    note: str = ""

    @property
    def verdict(self) -> str:
        """PASS, MISS, or what stands instead."""
        if self.value is None:
            return "SKIP"
        return "-" if self.passed is None else ("PASS" if self.passed else "MISS")


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    with open("/proc/meminfo", encoding="ascii") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return float("nan")


def _wrk_version() -> str | None:
    try:
        done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (
        (done.stdout or done.stderr).splitlines()[0].strip() if done.stdout or done.stderr else None
    )


def cpu_busy(seconds: float = 1.0) -> float:
    """Share of all cores' time spent busy over the next ``seconds`` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values), idle

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return round(1 - (idle1 - idle0) / max(1, total1 - total0), 3)


def revision(root: str) -> dict[str, Any]:
    """The commit measured, and whether the service's code differed from it."""
    try:
        head = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--", "service", "gunicorn.conf.py"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None}
    return {"commit": head, "service_modified_since_commit": bool(dirty)}


def machine() -> dict[str, Any]:
    """Platform, cores, memory, Python and the versions the figures depend on."""
    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gib": _memory_gib(),
        "python": sys.version.split()[0],
        "torch": _version("torch"),
        "stanza": _version("stanza"),
        "spacy": _version("spacy"),
        "gunicorn": _version("gunicorn"),
        "flask": _version("flask"),
        "redis_py": _version("redis"),
        "wrk": _wrk_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpu_busy_before_start": cpu_busy(),
    }


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "ratio":
        return f"{value:.3f}" if value >= 0.01 else f"{value:.5f}"
    return f"{value:,.1f} {unit}" if abs(value) >= 10 else f"{value:.2f} {unit}"


def table(figures: list[Figure]) -> str:
    """The figures as a fixed-width text table."""
    head = ("fig", "engine", "figure", "measured", "target", "result")
    rows = [
        (f.figure, f.engine, f.name, _fmt(f.value, f.unit), f.target, f.verdict) for f in figures
    ]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*head), line.format(*("-" * w for w in widths))]
    out += [line.format(*row) for row in rows]
    notes = [f"  [{f.figure} {f.engine}] {f.note}" for f in figures if f.note]
    return "\n".join(out + (["", *notes] if notes else []))


def as_json(figures: list[Figure]) -> list[dict[str, Any]]:
    """The figures as plain data, with their verdicts."""
    return [{**asdict(f), "result": f.verdict} for f in figures]
