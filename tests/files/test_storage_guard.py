"""The rules every storage call runs under (app/files/storage/guard.py), in-process.

A cancelled caller waits for its call's thread (issue 18, item 16: what a cancelled request
started must not outlive it unseen), and an outage is answered at once until a probe finds
storage again (item 15).
"""

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from app.files.storage import StorageUnavailable, guard, in_storage_thread, storage, write_arriving


@pytest.fixture(autouse=True)
def storage_up() -> Iterator[None]:
    yield
    guard._availability.is_down = False  # pyright: ignore[reportPrivateUsage]
    guard._availability.probe = None  # pyright: ignore[reportPrivateUsage]


def test_a_cancelled_caller_returns_only_once_its_storage_call_is_over() -> None:
    release = threading.Event()
    done: list[str] = []

    def slow_write() -> None:
        release.wait(5)
        done.append("written")

    async def scenario() -> None:
        task = asyncio.create_task(in_storage_thread(slow_write))
        await asyncio.sleep(0.05)
        task.cancel()  # the client went away
        await asyncio.sleep(0.2)
        assert not task.done(), "the caller went on while its write was still running"
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        # What the request cleans up next comes after the write, never before it.
        assert done == ["written"]

    asyncio.run(scenario())


def test_an_outage_fails_calls_at_once_until_the_probe_reaches_storage_again() -> None:
    calls: list[str] = []

    def unreachable() -> None:
        raise StorageUnavailable

    async def scenario() -> None:
        with pytest.raises(StorageUnavailable):
            await in_storage_thread(unreachable)
        with pytest.raises(StorageUnavailable):
            await in_storage_thread(calls.append, "not run")
        assert calls == [] and guard.is_down()
        # The probe pings the configured storage (local files here, which answer).
        started = time.monotonic()
        while guard.is_down():
            assert time.monotonic() - started < guard.PROBE_INTERVAL_SECONDS * 4
            await asyncio.sleep(0.05)
        await in_storage_thread(calls.append, "run")
        assert calls == ["run"]

    asyncio.run(scenario())


def test_a_body_written_as_it_arrives_stops_when_its_request_is_cancelled_and_leaves_no_object() -> None:
    key = "uploads/guard/abandoned"
    arrived = asyncio.Event()

    async def client_then_silence() -> AsyncIterator[bytes]:
        yield b"the beginning"
        arrived.set()
        await asyncio.Event().wait()  # the client stalls, then goes away
        yield b"never"

    async def scenario() -> None:
        task = asyncio.create_task(
            write_arriving(key, client_then_silence(), size=100, content_type="text/plain", filename="a.txt")
        )
        await arrived.wait()
        task.cancel()
        # The storage thread was waiting for bytes: it is woken and ends, and only then the caller.
        with pytest.raises(asyncio.CancelledError):
            await task
        assert storage().info(key) is None

    # A write left waiting would hold its caller forever: that must fail here, not hang the suite.
    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(scenario())
        except BaseException as failure:  # reported below, on the test's thread
            failures.append(failure)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(timeout=10)
    assert not runner.is_alive(), "the cancelled request is still waiting for its abandoned write"
    assert failures == []


def test_a_body_is_refused_at_once_while_storage_is_down() -> None:
    guard._availability.is_down = True  # pyright: ignore[reportPrivateUsage]
    guard._availability.probe = None  # pyright: ignore[reportPrivateUsage]

    async def never() -> AsyncIterator[bytes]:
        await asyncio.Event().wait()
        yield b""

    async def scenario() -> None:
        # The probe is this test's to start: keep it from clearing the outage meanwhile.
        guard._availability.probe = asyncio.create_task(asyncio.sleep(0))  # pyright: ignore[reportPrivateUsage]
        with pytest.raises(StorageUnavailable):
            await asyncio.wait_for(
                write_arriving("uploads/guard/down", never(), size=1, content_type="text/plain", filename="a"), 1
            )

    asyncio.run(scenario())
