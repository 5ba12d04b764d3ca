"""Call deadlines: one keeper per handler, many calls with their own deadlines."""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.queues
import time
import uuid

import pytest

from ivs_async import IvsClient, StaticCredentials
from ivs_async._core.deadline import DeadlineKeeper
from ivs_async.commands import GetChannelCommand
from ivs_async.errors import DeadlineExceededError
from ivs_async.middleware.retry import invocation_id
from tests.conftest import KEY, REGION, SECRET
from tests.support.loopback import LoopbackServer, Reply

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234"


async def guarded(keeper: DeadlineKeeper, seconds: float, work: float) -> str:
    loop = asyncio.get_running_loop()
    watch = keeper.watch(loop, loop.time() + seconds)
    try:
        await asyncio.sleep(work)
        return "done"
    except asyncio.CancelledError:
        if keeper.release(watch):
            return "deadline"
        raise
    finally:
        keeper.release(watch)


async def test_each_call_gets_its_own_deadline() -> None:
    keeper = DeadlineKeeper()
    started = time.monotonic()
    # A long deadline first sets the timer; shorter ones later must pull it earlier.
    results = await asyncio.gather(
        guarded(keeper, 5, 0.3), guarded(keeper, 0.1, 1), guarded(keeper, 0.2, 1), guarded(keeper, 1, 0.05)
    )
    assert results == ["done", "deadline", "deadline", "done"]
    assert time.monotonic() - started < 1  # the 0.1 and 0.2 s calls did not wait for the 5 s timer


async def test_a_callers_cancellation_stays_a_cancellation() -> None:
    keeper = DeadlineKeeper()
    task = asyncio.create_task(guarded(keeper, 5, 5))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not keeper._watches  # released: the keeper holds no reference to the finished call


def test_a_keeper_survives_a_new_event_loop() -> None:
    keeper = DeadlineKeeper()
    assert asyncio.run(guarded(keeper, 0.1, 1)) == "deadline"
    asyncio.run(guarded(keeper, 30, 0))  # leaves a timer on a loop that is then closed
    assert asyncio.run(guarded(keeper, 0.1, 1)) == "deadline"


async def test_per_call_deadlines_on_one_client(server: LoopbackServer) -> None:
    server.default = Reply(200, {"channel": {"arn": ARN}}, delay=0.4)
    async with IvsClient(region=REGION, credentials=StaticCredentials(KEY, SECRET), endpoint=server.endpoint) as c:
        outcomes = await asyncio.gather(
            c.send(GetChannelCommand(arn=ARN), timeout=0.1),
            c.send(GetChannelCommand(arn=ARN)),
            c.send(GetChannelCommand(arn=ARN), timeout=0.2),
            c.send(GetChannelCommand(arn=ARN), timeout=3),
            return_exceptions=True,
        )
    kinds = [type(o).__name__ for o in outcomes]
    assert kinds == ["DeadlineExceededError", "GetChannelResponse", "DeadlineExceededError", "GetChannelResponse"]
    assert all(o.metadata.attempts == 1 for o in outcomes if isinstance(o, DeadlineExceededError))


def test_invocation_ids_are_random_version_4_uuids() -> None:
    ids = {invocation_id() for _ in range(2000)}
    assert len(ids) == 2000
    for value in list(ids)[:200]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def _child_ids(queue: multiprocessing.queues.Queue[list[str]]) -> None:
    queue.put([invocation_id() for _ in range(5)])


def test_a_forked_worker_never_repeats_the_parents_invocation_ids() -> None:
    invocation_id()  # the generator's state exists before the fork
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.queues.Queue[list[str]] = context.Queue()
    child = context.Process(target=_child_ids, args=(queue,))
    child.start()
    theirs = queue.get(timeout=30)
    child.join(30)
    ours = [invocation_id() for _ in range(5)]
    assert not set(theirs) & set(ours)
