"""The one rule for database access from async code.

Async views and services never call the ORM themselves. They hand a plain
synchronous function to one of two doors:

- `read(query)` for reads;
- `write(change)` for writes: the function runs inside `transaction.atomic`,
  so everything it does commits together or not at all (row locks taken with
  `select_for_update` hold until it returns).

Both run the function on one of a few long-lived database threads
(DATABASE_THREADS), which hands its pooled connection back to Django's pool
as soon as the function returns. A request therefore holds a connection only
for the length of its queries, never while it waits on storage or renders a
response, and the process never holds more than DATABASE_THREADS of them for
this work. (Django's async ORM, by contrast, keeps the connection checked out
on the request's thread until the request finishes.)

A third door, `rows(sql, params)`, is for hot read paths whose cost was
measured to be the ORM (DESIGN.md): hand-written, parameterised SQL for
PostgreSQL only, run on the event loop through psycopg's async pool, with no
thread hop, no SQL compilation and no model instances. Its callers are
selectors that keep the ORM version beside it (for SQLite, where `is_sql_path()`
is false) and tests that pin the two to the same results. It never caches.

Every door is guarded the same way, so a failing database costs a request
milliseconds, not a pool timeout:

- Work in flight is bounded: as many calls as there are database threads (or
  async pool connections) run at once; at most DATABASE_MAX_WAITING more wait,
  for at most QUEUE_WAIT_SECONDS. Beyond that a call fails at once with
  `Overloaded` (503, `overloaded`, Retry-After).
- Every query has a deadline: PostgreSQL's statement_timeout and libpq's
  connect_timeout on every connection (settings), and DATABASE_TIMEOUT_SECONDS
  for the whole call as the caller sees it.
- When PostgreSQL cannot be reached, the first call that finds out marks it
  down; from then on every call fails at once with `DatabaseUnavailable` (503,
  `database_unavailable`, Retry-After) while a probe on the event loop tries a
  fresh connection every PROBE_INTERVAL_SECONDS. When one answers, both pools
  drop their dead connections and the doors open again.

With DATABASE_THREADS=0 (the in-process test client, whose test transaction
belongs to the request thread's connection) functions run on Django's own
thread and `rows` on Django's connection, without the bound on work in flight.
"""

import asyncio
import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import psycopg
from asgiref.sync import sync_to_async
from django import db as django_db
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from psycopg.abc import Params
from psycopg.errors import QueryCanceled

from app.core.problems import Problem, ProblemCode

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "The database is unavailable; try again shortly."
OVERLOADED = "The service is overloaded; try again shortly."
# What a client is told to wait, in seconds, in both cases.
RETRY_AFTER_SECONDS = 1
QUEUE_WAIT_SECONDS = 1.0
PROBE_INTERVAL_SECONDS = 0.25

type Row = tuple[Any, ...]


class DatabaseUnavailable(Problem):
    """PostgreSQL cannot be reached: 503 at once, until a probe reaches it again."""

    status = 503

    def __init__(self) -> None:
        super().__init__(DATABASE_UNAVAILABLE, code=ProblemCode.DATABASE_UNAVAILABLE, retry_after=RETRY_AFTER_SECONDS)


class Overloaded(Problem):
    """More work than the database can take in time: shed with 503 rather than queued."""

    status = 503

    def __init__(self) -> None:
        super().__init__(OVERLOADED, code=ProblemCode.OVERLOADED, retry_after=RETRY_AFTER_SECONDS)


# --- Bounded work in flight ----------------------------------------------------


class Lane:
    """`capacity` calls at a time; at most `max_waiting` more wait, each for QUEUE_WAIT_SECONDS;
    beyond that `acquire` raises `Overloaded` at once. (Storage calls share the rule.)"""

    def __init__(self, capacity: int, max_waiting: int) -> None:
        self._semaphore = asyncio.Semaphore(capacity)
        self._max_waiting = max_waiting
        self._waiting = 0

    async def acquire(self) -> None:
        if not self._semaphore.locked():
            await self._semaphore.acquire()  # free: returns without yielding
            return
        if self._waiting >= self._max_waiting:
            raise Overloaded
        self._waiting += 1
        try:
            async with asyncio.timeout(QUEUE_WAIT_SECONDS):
                await self._semaphore.acquire()
        except TimeoutError:
            raise Overloaded from None
        finally:
            self._waiting -= 1

    def release(self) -> None:
        self._semaphore.release()


@cache
def _thread_lane() -> Lane:
    return Lane(settings.DATABASE_THREADS, settings.DATABASE_MAX_WAITING)


@cache
def _pool_lane() -> Lane:
    return Lane(settings.DATABASE_POOL_MAX_SIZE, settings.DATABASE_MAX_WAITING)


# --- Availability ----------------------------------------------------------------


class _Availability:
    is_down = False
    probe: asyncio.Task[None] | None = None


_availability = _Availability()
# Tasks nothing awaits, kept here until done (the loop holds only weak references).
_background: set[asyncio.Task[None]] = set()


@cache
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def is_sql_path() -> bool:
    """Whether selectors take their hand-written SQL (PostgreSQL) rather than the ORM."""
    return is_postgres()


def _connect_kwargs() -> dict[str, Any]:
    """Django's own connection parameters (host, credentials, timeouts), for psycopg directly."""
    params = connection.get_connection_params()
    for django_only in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(django_only, None)
    return params


async def _probe_until_up() -> None:
    while True:
        await asyncio.sleep(PROBE_INTERVAL_SECONDS)
        try:
            probe = await psycopg.AsyncConnection.connect(**_connect_kwargs(), autocommit=True)
            async with probe:
                await probe.execute("SELECT 1")
        except psycopg.Error:
            continue
        break
    # Both pools hold dead connections and back off reconnecting: start both afresh.
    if _async_pool.cache_info().currsize:
        stale = _async_pool()
        _async_pool.cache_clear()
        _background.add(task := asyncio.get_running_loop().create_task(stale.close()))
        task.add_done_callback(_background.discard)
    if getattr(connection, "pool", None) is not None:
        await asyncio.to_thread(connection.close_pool)
    _availability.is_down = False
    _availability.probe = None
    logger.warning("database reachable again")


def mark_down() -> None:
    """Records that PostgreSQL cannot be reached; the next async call starts the probe."""
    if not _availability.is_down:
        logger.error("database unreachable: failing requests fast until it answers")
    _availability.is_down = True


def _check_available() -> None:
    if not _availability.is_down:
        return
    if _availability.probe is None:
        _availability.probe = asyncio.get_running_loop().create_task(_probe_until_up())
    raise DatabaseUnavailable


def failure_problem(error: BaseException) -> Problem | None:
    """The 503 a database error stands for (marking PostgreSQL down if unreachable), or None for other errors."""
    if not is_postgres():
        return None
    cause = error.__cause__ if isinstance(error, django_db.Error) and error.__cause__ else error
    if isinstance(cause, QueryCanceled):  # statement_timeout: slow, not down
        return Overloaded()
    if isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError | django_db.InterfaceError):
        mark_down()
        return DatabaseUnavailable()
    return None


# --- The doors ------------------------------------------------------------------------


@cache
def _executor() -> ThreadPoolExecutor:
    # A few threads let queries overlap their waits on the network; each holds
    # at most one pooled connection at a time.
    return ThreadPoolExecutor(max_workers=settings.DATABASE_THREADS, thread_name_prefix="db")


async def _on_database_thread[R](function: Callable[[], R]) -> R:
    _check_available()
    if not settings.DATABASE_THREADS:
        try:
            return await sync_to_async(function)()
        except django_db.Error as error:
            raise failure_problem(error) or error from error
    lane = _thread_lane()
    await lane.acquire()

    def run() -> R:
        try:
            return function()
        finally:
            # With CONN_MAX_AGE = 0 this returns the connection to the pool.
            close_old_connections()

    # In the caller's context, so its trace (the current span) reaches the query's spans.
    future = asyncio.get_running_loop().run_in_executor(_executor(), contextvars.copy_context().run, run)
    # The slot is free only when the thread is, even if the caller stopped waiting.
    future.add_done_callback(lambda done: (lane.release(), done.cancelled() or done.exception()))
    try:
        return await asyncio.wait_for(asyncio.shield(future), settings.DATABASE_TIMEOUT_SECONDS)
    except TimeoutError:
        raise Overloaded from None
    except django_db.Error as error:
        raise failure_problem(error) or error from error


async def read[R](query: Callable[[], R]) -> R:
    """Runs `query` (sync ORM reads) on a database thread and returns its result."""
    return await _on_database_thread(query)


async def write[R](change: Callable[[], R]) -> R:
    """Runs `change` (sync ORM writes) in one transaction on a database thread."""

    def atomically() -> R:
        with transaction.atomic():
            return change()

    return await _on_database_thread(atomically)


@cache
def _async_pool() -> Any:
    from psycopg_pool import AsyncConnectionPool

    # Autocommit: a read is one round trip, with no BEGIN before it. psycopg
    # prepares a statement on the server once a connection has run it 5 times.
    return AsyncConnectionPool(
        kwargs={**_connect_kwargs(), "autocommit": True},
        min_size=1,
        max_size=settings.DATABASE_POOL_MAX_SIZE,
        timeout=settings.DATABASE_CONNECT_TIMEOUT_SECONDS,
        open=False,
        name="hot-reads",
    )


def _django_rows(sql: str, params: Params) -> list[Row]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


async def rows(sql: str, params: Params = ()) -> list[Row]:
    """The rows of one parameterised PostgreSQL query, run on the event loop (see the module's docstring)."""
    if not settings.DATABASE_THREADS:
        return await read(lambda: _django_rows(sql, params))
    _check_available()
    lane = _pool_lane()
    await lane.acquire()
    try:
        pool = _async_pool()
        if pool.closed:
            await pool.open(wait=False)
        async with asyncio.timeout(settings.DATABASE_TIMEOUT_SECONDS):
            async with pool.connection() as conn:
                cursor = await conn.execute(sql, params)
                return await cursor.fetchall()
    except TimeoutError:
        raise Overloaded from None
    except psycopg.Error as error:
        raise failure_problem(error) or error from error
    finally:
        lane.release()
