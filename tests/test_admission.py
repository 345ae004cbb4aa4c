"""Load shedding: work is admitted while the queue ahead of it fits in the budget."""

from __future__ import annotations

import pytest

from service.admission import PRIOR_TOKENS_PER_SECOND, Admission, OverloadedError


def test_an_idle_process_admits_anything_then_sheds_what_cannot_finish():
    admission = Admission(budget_seconds=10)
    too_big = int(PRIOR_TOKENS_PER_SECOND * 30)
    admission.admit(too_big)  # idle: every text the limits allow can be answered
    with pytest.raises(OverloadedError) as refused:
        admission.admit(1000)
    assert refused.value.retry_after == 30
    admission.done(too_big, seconds=None)
    admission.admit(1000)


def test_the_rate_follows_what_the_engine_shows():
    admission = Admission(budget_seconds=10)
    for _ in range(20):
        admission.admit(100_000)
        admission.done(100_000, seconds=1.0)  # 100,000 tokens a second
    admission.admit(500_000)
    admission.admit(400_000)  # 5 s queued + 4 s: fits in 10 s
    with pytest.raises(OverloadedError):
        admission.admit(200_000)
    assert admission.queued_seconds() == pytest.approx(9, rel=0.05)
