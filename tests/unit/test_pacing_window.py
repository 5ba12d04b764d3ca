"""The pacer's sliding window: whatever the order of requests, no window holds more than the limit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivs_async.middleware.metadata_pacing import PacingTimeoutError, PutMetadataPacer, SlidingWindow


def max_in_any_window(times: list[float], width: float) -> int:
    ordered = sorted(times)
    # A half-open window (t - width, t] ending at each time holds the most; 1e-9 absorbs the
    # rounding of slot + width - width.
    return max((sum(1 for s in ordered if t - width + 1e-9 < s <= t) for t in ordered), default=0)


@given(
    limit=st.integers(min_value=1, max_value=6),
    arrivals=st.lists(st.floats(min_value=0, max_value=5, allow_nan=False), min_size=1, max_size=40),
)
def test_earliest_slots_never_overfill_a_window(limit: int, arrivals: list[float]) -> None:
    window = SlidingWindow(limit, 1.0)
    slots = []
    for at in arrivals:  # requests arrive in any order of time (a reservation may be in the past of another)
        slot = window.earliest(at)
        assert slot >= at
        window.add(slot)
        slots.append(slot)
    assert max_in_any_window(slots, 1.0) <= limit


def test_slots_are_as_early_as_the_limit_allows() -> None:
    window = SlidingWindow(5, 1.0)
    slots = []
    for _ in range(12):
        slot = window.earliest(0.0)
        window.add(slot)
        slots.append(slot)
    assert slots == [0.0] * 5 + [1.0] * 5 + [2.0] * 2


def test_forget_and_remove() -> None:
    window = SlidingWindow(2, 1.0)
    for t in (0.0, 0.1, 0.5):
        window.add(t)
    window.forget_before(1.2)
    assert window.times == [0.5]
    window.remove(0.5)
    window.remove(9.9)  # absent: nothing happens
    assert window.times == []


def test_room_from_counts_only_the_past() -> None:
    window = SlidingWindow(2, 1.0)
    for t in (0.0, 0.5, 3.0):  # 3.0 is another caller's plan
        window.add(t)
    assert window.room_from(0.7) == 1.0  # two sends in (-0.3, 0.7]: wait until 0.0 leaves
    assert window.room_from(1.2) == 1.2
    assert window.room_from(0.2) == 0.2  # only 0.0 is in the past of 0.2


async def test_a_finished_call_counts_at_its_end() -> None:
    now = [100.0]
    pacer = PutMetadataPacer(per_channel=1, per_account=10, max_wait=0, clock=lambda: now[0])
    sent = await pacer.wait_for_slot("arn:c")
    now[0] = 100.4  # the call took 0.4 s: IVS may have counted it as late as this
    pacer.finished("arn:c", sent)
    now[0] = 101.2  # a window after the send, but not after the end
    with pytest.raises(PacingTimeoutError, match="per channel"):
        await pacer.wait_for_slot("arn:c")
    now[0] = 101.5
    assert await pacer.wait_for_slot("arn:c") == 101.5
