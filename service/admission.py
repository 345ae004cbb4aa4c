"""Load shedding: engine work this process cannot finish within the request budget is
refused up front (503 ``overloaded``) instead of queued.

The queue is measured in tokens (service/engines/view.py's estimate of what the engine
reads, what its work grows with: a text whose runs were blanked costs little however long),
and turned into seconds with the rate this process's engines have shown (tokens per second
of engine and analysis work, a moving average; :data:`PRIOR_TOKENS_PER_SECOND` until the
first measurement). Work is admitted while the
queue ahead of it, plus itself, fits in the budget; an idle process admits anything (the
text limits bound it), so that every text the limits allow can be answered.
"""

from __future__ import annotations

import math
import threading

from service.metrics import SHED

# spaCy's small pipelines did 2,000-8,000 tokens a second here; Stanza fewer. Low, so that a
# new worker flooded before its first answer refuses rather than over-commits.
PRIOR_TOKENS_PER_SECOND = 1_000.0
# Smaller jobs say more of per-call overheads than of the rate.
_MEASURED_FROM = 200
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
        self._queued = 0  # tokens admitted and not yet done
        self._rate = PRIOR_TOKENS_PER_SECOND

    def admit(self, tokens: int) -> None:
        """Count ``tokens`` of new work in, or raise :class:`OverloadedError`."""
        with self._lock:
            ahead = self._queued / self._rate
            if self._queued and ahead + tokens / self._rate > self._budget:
                SHED.inc()
                raise OverloadedError(ahead, self._budget)
            self._queued += tokens

    def done(self, tokens: int, seconds: float | None) -> None:
        """Count admitted work out; ``seconds`` it took when it ran (None: dropped)."""
        with self._lock:
            self._queued -= tokens
            if seconds and tokens >= _MEASURED_FROM:
                rate = tokens / seconds
                self._rate += _SMOOTHING * (rate - self._rate)

    def queued_seconds(self) -> float:
        """The work queued now, in estimated seconds."""
        return self._queued / self._rate
