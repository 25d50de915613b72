"""The rules every storage call runs under (app/files/storage/guard.py), in-process.

A cancelled caller waits for its call's thread (issue 18, item 16: what a cancelled request
started must not outlive it unseen), and an outage is answered at once until a probe finds
storage again (item 15).
"""

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from app.files.storage import StorageUnavailable, guard, in_storage_thread


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
