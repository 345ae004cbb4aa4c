"""Single flight: identical requests arriving together compute once.

Threads of one worker wait on a local lock; workers and replicas sharing Redis wait on a
Redis lock and poll for the answer the holder stores.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
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
        return self.run_many([key], lambda _: [compute()], {key: first})[key]

    def run_many(
        self,
        keys: Sequence[str],
        compute: Callable[[list[str]], list[tuple[bytes, bool]]],
        firsts: Mapping[str, Lookup],
    ) -> dict[str, tuple[bytes, Lookup]]:
        """The answers for several keys (a batch): those another caller stores meanwhile
        are read, the others computed together by one call of ``compute``, which gets the
        keys still missing. Single requests for any of the keys wait on this batch, and it
        on them."""
        out: dict[str, tuple[bytes, Lookup]] = {}
        deadline = time.monotonic() + self._wait
        with ExitStack() as held:
            missing = []
            # Every caller takes its keys in one order, so two batches never wait on each
            # other in a cycle.
            for key in sorted(set(keys)):
                held.enter_context(self._local(key))
                found = self._claim(key, firsts[key], deadline, held)
                if found is None:
                    missing.append(key)
                else:
                    out[key] = found
            if missing:
                for key, (body, stored) in zip(missing, compute(missing), strict=True):
                    first = firsts[key]
                    out[key] = (body, first if stored or first is Lookup.BYPASS else Lookup.BYPASS)
        return out

    def _claim(
        self, key: str, first: Lookup, deadline: float, held: ExitStack
    ) -> tuple[bytes, Lookup] | None:
        """The answer when another caller has stored it; else None, with the key's
        cross-process lock taken (if the backend has one) until ``held`` closes."""
        if first is not Lookup.BYPASS:
            body, found = self._cache.get(key)
            if body is not None:
                return body, found
        release = self._cache.lock(key, self._wait)
        while release is False and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
            body, found = self._cache.get(key)
            if body is not None:
                return body, found
            release = self._cache.lock(key, self._wait)
        if callable(release):
            held.callback(release)
        return None
