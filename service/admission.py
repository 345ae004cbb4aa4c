"""Load shedding: engine work this process cannot finish within the request budget is
refused up front (503 ``overloaded``) instead of queued.

The queue is measured in characters, and turned into seconds with the rate this process's
engines have shown (characters per second of engine and analysis work, a moving average;
:data:`PRIOR_CHARS_PER_SECOND` until the first measurement). Work is admitted while the
queue ahead of it, plus itself, fits in the budget; an idle process admits anything (the
text limits bound it), so that every text the limits allow can be answered.
"""

from __future__ import annotations

import math
import threading

from service.metrics import SHED

# spaCy's small pipelines did 10,000-40,000 characters a second here; Stanza fewer. Low, so
# that a new worker flooded before its first answer refuses rather than over-commits.
PRIOR_CHARS_PER_SECOND = 5_000.0
_SMOOTHING = 0.3


class OverloadedError(RuntimeError):
    """The engine queue is full: the work would not finish within the budget."""

    def __init__(self, queued_seconds: float, budget: float) -> None:
        super().__init__(
            f"the server has about {queued_seconds:.0f} s of work queued; with this request "
            f"it would not finish within the {budget:g} s budget"
        )
        self.retry_after = max(1, math.ceil(queued_seconds))


class Admission:
    """The engine work queued in this process, admitted against a time budget."""

    def __init__(self, budget_seconds: float) -> None:
        self._budget = budget_seconds
        self._lock = threading.Lock()
        self._queued = 0  # characters admitted and not yet done
        self._rate = PRIOR_CHARS_PER_SECOND

    def admit(self, chars: int) -> None:
        """Count ``chars`` of new work in, or raise :class:`OverloadedError`."""
        with self._lock:
            ahead = self._queued / self._rate
            if self._queued and ahead + chars / self._rate > self._budget:
                SHED.inc()
                raise OverloadedError(ahead, self._budget)
            self._queued += chars

    def done(self, chars: int, seconds: float | None) -> None:
        """Count admitted work out; ``seconds`` it took when it ran (None: dropped)."""
        with self._lock:
            self._queued -= chars
            if seconds and chars >= 1000:  # tiny texts say more of overheads than of rate
                rate = chars / seconds
                self._rate += _SMOOTHING * (rate - self._rate)

    def queued_seconds(self) -> float:
        """The work queued now, in estimated seconds."""
        return self._queued / self._rate
