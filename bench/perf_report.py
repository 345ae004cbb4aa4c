"""The figures of ``bench/performance.py`` as a table and as JSON."""

from __future__ import annotations

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
