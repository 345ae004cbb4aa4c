"""A gunicorn gthread worker that leaves new connections to less loaded siblings.

Every worker of a gunicorn server polls the same listening socket, and the kernel wakes
them in a fixed order: the first one awake takes the connection, even while its engine is
computing another article or it already holds a connection per thread. Seen here with
plain gthread: 40 sequential requests all on one worker of two; a second concurrent
Stanza request waiting seconds behind the first while the other worker idled; and 32
keep-alive clients all on one worker, at a third of the throughput of two.

This worker, when its engine is busy or it holds as many connections as it has threads,
stops polling the socket for a moment (its other connections are served meanwhile), so
an idle sibling takes the connection first; if none does, it accepts after the pause, so
nothing is refused, only delayed by that moment. Built on the gthread worker of gunicorn
27 (its ``accept``, ``set_accept_enabled`` and ``wait_for_and_dispatch_events``).
"""

from __future__ import annotations

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from service.activity import engine_busy

# Long enough for an idle sibling, woken by the same connection, to take it; short enough
# not to matter beside an uncached answer (100 ms with spaCy, seconds with Stanza).
_DEFER_SECONDS = 0.02


class BalancedThreadWorker(ThreadWorker):
    """gthread, but a loaded worker lets idle siblings accept first."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._defer_until = 0.0
        self._deferred = False  # the last connection seen was left to the siblings

    def _loaded(self) -> bool:
        return engine_busy() or self.nr_conns >= self.cfg.threads

    def accept(self, listener: Any) -> None:
        """Accept one connection, or, when loaded, leave it to the siblings for a moment
        (once: a connection still waiting after the pause is taken here)."""
        if self._loaded() and not self._deferred:
            self._deferred = True
            self._defer_until = time.monotonic() + _DEFER_SECONDS
            self.set_accept_enabled(False)
            return
        self._deferred = False
        super().accept(listener)

    def set_accept_enabled(self, enabled: bool) -> None:
        """As gthread's, but the socket stays unpolled until the pause is over."""
        if enabled and time.monotonic() < self._defer_until:
            return
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        """As gthread's, but waking at the end of a pause: gthread's loop then polls the
        socket again (it re-enables accepting on every turn)."""
        pause = self._defer_until - time.monotonic()
        if pause > 0:
            timeout = min(timeout, pause)
        super().wait_for_and_dispatch_events(timeout)
