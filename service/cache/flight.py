"""Single flight: identical requests arriving together compute once.

Threads of one worker wait on a local lock; workers and replicas sharing Redis wait on a
Redis lock and poll for the answer the holder stores.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from service.cache.base import Cache, Lookup

_POLL_SECONDS = 0.02


@dataclass(slots=True)
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0


class SingleFlight:
    """Runs ``compute`` once per key among concurrent callers."""

    def __init__(self, cache: Cache, wait_seconds: float) -> None:
        self._cache = cache
        self._wait = wait_seconds
        self._slots: dict[str, _Slot] = {}
        self._guard = threading.Lock()

    @contextmanager
    def _local(self, key: str) -> Iterator[None]:
        with self._guard:
            slot = self._slots.setdefault(key, _Slot())
            slot.users += 1
        try:
            with slot.lock:
                yield
        finally:
            with self._guard:
                slot.users -= 1
                if slot.users == 0:
                    del self._slots[key]

    def run(
        self, key: str, compute: Callable[[], tuple[bytes, bool]], first: Lookup
    ) -> tuple[bytes, Lookup]:
        """The answer for ``key``: from the cache if another caller stored it meanwhile,
        else computed (and stored) by ``compute``, which says whether it could store it.
        ``first`` is what the caller's own lookup found."""
        with self._local(key):
            if first is not Lookup.BYPASS:
                body, found = self._cache.get(key)
                if body is not None:
                    return body, found
            deadline = time.monotonic() + self._wait
            release = self._cache.lock(key, self._wait)
            while release is False and time.monotonic() < deadline:
                time.sleep(_POLL_SECONDS)
                body, found = self._cache.get(key)
                if body is not None:
                    return body, found
                release = self._cache.lock(key, self._wait)
            try:
                body, stored = compute()
            finally:
                if callable(release):
                    release()
        return body, (first if stored or first is Lookup.BYPASS else Lookup.BYPASS)
