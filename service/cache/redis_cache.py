"""Redis cache-aside that fails open: Redis down or slow never fails a request."""

from __future__ import annotations

import logging
import threading
import time
from typing import Literal

import redis
from redis.exceptions import LockError
from redis.lock import Lock

from service.cache.base import Lookup, Release, decode, encode
from service.metrics import CACHE

logger = logging.getLogger(__name__)

# After a failure, skip Redis this long before trying again, so that a dead Redis costs
# one timeout per interval instead of one per request.
_RETRY_AFTER_SECONDS = 1.0
_LOG_EVERY_SECONDS = 30.0
# Locks whose release failed, kept to be released later; past this many (a long outage)
# the oldest are left to expire by themselves.
_MAX_ORPHANS = 1024


class RedisCache:
    """Compressed answers in Redis with a TTL, behind a small circuit breaker."""

    backend = "redis"

    def __init__(self, url: str, ttl_seconds: int, timeout_seconds: float) -> None:
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            health_check_interval=30,
        )
        self._ttl = ttl_seconds
        self._down_until = 0.0
        self._last_log = 0.0
        self._state = threading.Lock()
        # (lock, its token, when it expires anyway): released at the next get or lock.
        self._orphans: list[tuple[Lock, bytes, float]] = []

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _ready(self) -> bool:
        """Whether Redis may be asked now; the locks of failed releases are released first."""
        if self._orphans and self._available():
            self._release_orphans()
        return self._available()

    def _failed(self, action: str, exc: Exception) -> None:
        CACHE.labels(self.backend, "error").inc()
        now = time.monotonic()
        with self._state:
            self._down_until = now + _RETRY_AFTER_SECONDS
            if now - self._last_log < _LOG_EVERY_SECONDS:
                return
            self._last_log = now
        logger.warning("Redis %s failed, answering uncached: %s", action, exc)

    def get(self, key: str) -> tuple[bytes | None, Lookup]:
        """The stored answer; BYPASS when Redis cannot be asked."""
        if not self._ready():
            CACHE.labels(self.backend, "bypass").inc()
            return None, Lookup.BYPASS
        try:
            value = self._client.get(key)
        except redis.RedisError as exc:
            self._failed("get", exc)
            return None, Lookup.BYPASS
        body = decode(value) if isinstance(value, bytes) else None
        if body is None:
            CACHE.labels(self.backend, "miss" if value is None else "corrupt").inc()
            return None, Lookup.MISS
        CACHE.labels(self.backend, "hit").inc()
        return body, Lookup.HIT

    def set(self, key: str, value: bytes) -> bool:
        """Store an answer with the TTL; False when Redis cannot be reached."""
        if not self._available():
            return False
        try:
            self._client.set(key, encode(value), ex=self._ttl)
        except redis.RedisError as exc:
            self._failed("set", exc)
            return False
        return True

    def lock(self, key: str, ttl_seconds: float) -> Release | Literal[False] | None:
        """A lock shared by every worker and replica (redis-py's token lock, so only its
        holder can release it); False when held elsewhere, None when Redis is unreachable."""
        if not self._ready():
            return None
        held = self._client.lock(f"{key}:lock", timeout=ttl_seconds, blocking=False)
        try:
            if not held.acquire():
                return False
        except redis.RedisError as exc:
            self._failed("lock", exc)
            return None
        # Kept here: redis-py's release() forgets the token before it reaches Redis.
        token: bytes = held.local.token
        expires = time.monotonic() + ttl_seconds

        def release() -> None:
            try:
                held.do_release(token)
            except LockError:  # expired, or someone else's since: nothing of ours is left
                pass
            except redis.RedisError:
                # Redis slow or away right now. Left in place, the lock would make every
                # request for this key wait for it to expire (the request budget), holding
                # their threads: it is released once Redis answers again. (No circuit
                # breaker here: the answer is out, and the next get or lock trips it if
                # Redis is still unwell.)
                with self._state:
                    self._orphans = [*self._orphans[-_MAX_ORPHANS + 1 :], (held, token, expires)]

        return release

    def _release_orphans(self) -> None:
        """Release the locks whose release failed; stop at the first Redis error."""
        with self._state:
            orphans, self._orphans = self._orphans, []
        now = time.monotonic()
        for n, (held, token, expires) in enumerate(orphans):
            if expires <= now:
                continue
            try:
                held.do_release(token)
            except LockError:
                continue
            except redis.RedisError:
                with self._state:
                    self._orphans = [o for o in orphans[n:] if o[2] > now] + self._orphans
                return

    def healthy(self) -> bool:
        """True when Redis answers a PING now."""
        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False
