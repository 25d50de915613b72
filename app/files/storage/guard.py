"""How every storage call is run, so that a failing storage endpoint costs a request a bounded
wait and a clear 503, and never takes the rest of the worker down with it.

- On threads of their own (STORAGE_THREADS), never the event loop's default executor, which
  Django and asyncio use for everything else.
- Bounded work in flight: as many calls as there are threads run at once; at most
  STORAGE_MAX_WAITING more wait, for at most QUEUE_WAIT_SECONDS; beyond that `Overloaded`
  (503 `overloaded`) at once. The rule is the database's (`app.core.db.Lane`).
- A deadline that fits a request: each implementation bounds its own calls within
  STORAGE_TIMEOUT_SECONDS (GCS: connect and read timeouts and a retry deadline) and raises
  `StorageUnavailable` when storage cannot be reached or does not answer in time.
- Fail fast during an outage: the first call that meets `StorageUnavailable` marks storage
  down; from then on calls fail at once with it (503 `storage_unavailable`, Retry-After) while
  a probe pings storage every PROBE_INTERVAL_SECONDS, and the first answer opens the way again.
- Nothing left behind: a thread cannot be stopped, so a caller that is cancelled (the client
  went away) still waits for its call to end before the cancellation goes on. Whatever the
  request does next to clean up (remove an object, release the quota) comes after the write
  it started, never before it.

The database is never held across a storage call: services reach it through `app.core.db`,
whose threads hand their connection back as soon as each query returns.
"""

import asyncio
import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache, partial
from typing import Any

from app.core.db import RETRY_AFTER_SECONDS, Lane
from app.core.problems import Problem, ProblemCode

logger = logging.getLogger(__name__)

STORAGE_UNAVAILABLE = "File storage is unavailable; try again shortly."
# Storage calls that may run at once per process; at most STORAGE_MAX_WAITING more wait their turn.
STORAGE_THREADS = 8
STORAGE_MAX_WAITING = 64
PROBE_INTERVAL_SECONDS = 0.5


class StorageUnavailable(Problem):
    """Storage cannot be reached, or did not answer within its deadline: 503, try again shortly."""

    status = 503

    def __init__(self) -> None:
        super().__init__(STORAGE_UNAVAILABLE, code=ProblemCode.STORAGE_UNAVAILABLE, retry_after=RETRY_AFTER_SECONDS)


class _Availability:
    is_down = False
    probe: asyncio.Task[None] | None = None


_availability = _Availability()


@cache
def executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=STORAGE_THREADS, thread_name_prefix="storage")


@cache
def _lane() -> Lane:
    return Lane(STORAGE_THREADS, STORAGE_MAX_WAITING)


def is_down() -> bool:
    """Whether this process knows storage to be unreachable right now."""
    return _availability.is_down


async def _probe_until_up(ping: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(PROBE_INTERVAL_SECONDS)
        try:
            await loop.run_in_executor(executor(), ping)
        except Exception:  # noqa: S112 - any failure means: not yet
            continue
        break
    _availability.is_down = False
    _availability.probe = None
    logger.warning("storage reachable again")


def mark_down(ping: Callable[[], None]) -> None:
    """Records that storage cannot be reached and starts the probe that finds out when it can."""
    if not _availability.is_down:
        logger.error("storage unreachable: failing its calls fast until it answers")
    _availability.is_down = True
    if _availability.probe is None:
        _availability.probe = asyncio.get_running_loop().create_task(_probe_until_up(ping))


async def _finished(future: "asyncio.Future[Any]") -> None:
    """Waits for a thread's call to end, whatever cancels the waiter meanwhile (its deadline bounds it)."""
    while not future.done():
        try:
            await asyncio.wait([future])
        except asyncio.CancelledError:
            continue


async def guarded[R](
    call: Callable[[], R], *, ping: Callable[[], None], on_cancel: Callable[[], None] | None = None
) -> R:
    """Runs a blocking storage call under the rules above; `ping` is how the probe asks storage,
    `on_cancel` what makes the call end early when its caller is cancelled."""
    if _availability.is_down:
        raise StorageUnavailable
    lane = _lane()
    await lane.acquire()
    loop = asyncio.get_running_loop()
    # The caller's context goes along (the current span, the request id), as asyncio.to_thread does.
    future = loop.run_in_executor(executor(), partial(contextvars.copy_context().run, call))
    # The slot is free only when the thread is.
    future.add_done_callback(lambda done: (lane.release(), done.cancelled() or done.exception()))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        if on_cancel is not None:
            on_cancel()
        await _finished(future)
        raise
    except StorageUnavailable:
        mark_down(ping)
        raise
