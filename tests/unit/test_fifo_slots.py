"""The transport's FIFO gate: slots go to waiters in arrival order and are never lost."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from ivs_async._core.transport import FifoSlots


async def test_free_slots_are_taken_without_waiting_and_waiters_are_served_in_order() -> None:
    slots = FifoSlots(2)
    assert slots.take_free() and slots.take_free()
    assert not slots.take_free()
    served: list[int] = []

    async def waiter(n: int) -> None:
        await slots.wait()
        served.append(n)

    tasks = [asyncio.create_task(waiter(n)) for n in range(5)]
    await asyncio.sleep(0)
    for _ in range(5):
        slots.give_back()
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert served == [0, 1, 2, 3, 4]
    assert slots.free == 0  # each give_back went to a waiter, not to the pool
    slots.give_back()
    slots.give_back()
    assert slots.free == 2


async def test_a_slot_handed_to_a_cancelled_waiter_goes_to_the_next() -> None:
    slots = FifoSlots(1)
    assert slots.take_free()
    first = asyncio.create_task(slots.wait())
    second = asyncio.create_task(slots.wait())
    await asyncio.sleep(0)
    slots.give_back()  # handed to `first`, which has not run yet
    first.cancel()  # cancelled before it could use the slot
    await asyncio.gather(first, return_exceptions=True)
    await asyncio.wait_for(second, 1)  # the slot moved on
    assert slots.free == 0 and not slots.take_free()


async def test_a_newcomer_does_not_pass_a_queued_waiter() -> None:
    slots = FifoSlots(1)
    assert slots.take_free()
    queued = asyncio.create_task(slots.wait())
    await asyncio.sleep(0)
    slots.give_back()
    assert not slots.take_free()  # the freed slot belongs to the waiter
    await queued


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 4), plan=st.lists(st.tuples(st.integers(0, 3), st.booleans()), max_size=25))
def test_slots_are_never_lost_or_doubled(size: int, plan: list[tuple[int, bool]]) -> None:
    async def run() -> None:
        slots = FifoSlots(size)
        holding = 0
        peak = 0

        async def user(pause: int, cancel_me: bool) -> None:
            nonlocal holding, peak
            if not slots.take_free():
                await slots.wait()
            holding += 1
            peak = max(peak, holding)
            try:
                for _ in range(pause):
                    await asyncio.sleep(0)
            finally:
                holding -= 1
                slots.give_back()

        tasks = [asyncio.create_task(user(p, c)) for p, c in plan]
        await asyncio.sleep(0)
        for task, (_, cancel_me) in zip(tasks, plan, strict=True):
            if cancel_me:
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert peak <= size
        assert slots.free == size  # every slot came back, whoever was cancelled where

    asyncio.run(run())
