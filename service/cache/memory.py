"""In-process LRU cache: the embedded default when no Redis is configured."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from service.cache.base import Lookup, decode, encode
from service.metrics import CACHE


class MemoryCache:
    """A bounded, thread-safe LRU with expiry; per worker process, so not shared."""

    backend = "memory"

    def __init__(self, max_items: int, ttl_seconds: int) -> None:
        self._max = max_items
        self._ttl = ttl_seconds
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes | None, Lookup]:
        """The stored answer, if present and not expired."""
        with self._lock:
            item = self._items.get(key)
            if item is not None and item[0] > time.monotonic():
                self._items.move_to_end(key)
                CACHE.labels(self.backend, "hit").inc()
                return decode(item[1]), Lookup.HIT
            self._items.pop(key, None)
        CACHE.labels(self.backend, "miss").inc()
        return None, Lookup.MISS

    def set(self, key: str, value: bytes) -> bool:
        """Store an answer, evicting the least recently used beyond the bound."""
        if self._max == 0:
            return True
        with self._lock:
            self._items[key] = (time.monotonic() + self._ttl, encode(value))
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)
        return True

    def lock(self, key: str, ttl_seconds: float) -> None:
        """No cross-process lock: the cache belongs to one process."""
        return None

    def healthy(self) -> bool:
        """Always reachable."""
        return True
