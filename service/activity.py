"""What this process's engines are doing: read by the gunicorn worker (to balance new
connections) and gunicorn.conf.py (to recycle workers), written by the enricher.

Kept free of imports so that gunicorn's master can load it without the NLP stack.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0  # engine calls in progress
_documents = 0  # documents run through an engine since the process started


@contextmanager
def engine_call(documents: int) -> Iterator[None]:
    """Mark one engine call over ``documents`` documents as running for its duration."""
    global _running, _documents
    with _lock:
        _running += 1
        _documents += documents
    try:
        yield
    finally:
        with _lock:
            _running -= 1


def engine_busy() -> bool:
    """True while an engine call of this process is running."""
    return _running > 0


def documents_computed() -> int:
    """How many documents this process has run through an engine."""
    return _documents
