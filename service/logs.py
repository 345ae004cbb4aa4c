"""Structured JSON logs, one object per line, with the request id where there is one.

Request text never reaches the logs: the access line carries method, path, status,
duration, cache result and sizes only.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import time
from typing import Any

import orjson

# Set by the web layer for the duration of a request; read by every log record.
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_STANDARD = frozenset(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...extra}`` per record."""

    def format(self, record: logging.LogRecord) -> str:
        """One JSON line; fields passed with ``extra=`` are kept."""
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,  # which gunicorn worker
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        entry.update(
            {k: v for k, v in vars(record).items() if k not in _STANDARD and v is not None}
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure(level: str) -> None:
    """Send every log record to stderr as JSON, once per process."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    # Only plain console handlers are replaced: file handlers and capture handlers (their
    # subclasses) keep receiving records.
    root.handlers = [h for h in root.handlers if type(h) is not logging.StreamHandler]
    root.addHandler(handler)
    root.setLevel(level)
