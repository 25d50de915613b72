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

Hot read paths whose cost is measured to be the ORM may run hand-written,
parameterised SQL behind their selector instead, with tests that pin the
results to the ORM's (DESIGN.md).
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, transaction


@cache
def _executor() -> ThreadPoolExecutor:
    # A few threads let queries overlap their waits on the network; each holds
    # at most one pooled connection at a time.
    return ThreadPoolExecutor(max_workers=settings.DATABASE_THREADS, thread_name_prefix="db")


async def _on_database_thread[R](function: Callable[[], R]) -> R:
    if not settings.DATABASE_THREADS:
        # Django's own path (the request's thread), which the in-process test
        # client needs: its test transaction belongs to that thread's
        # connection. Tests against the real server take the threads.
        return await sync_to_async(function)()

    def run() -> R:
        try:
            return function()
        finally:
            # With CONN_MAX_AGE = 0 this returns the connection to the pool.
            close_old_connections()

    return await sync_to_async(run, thread_sensitive=False, executor=_executor())()


async def read[R](query: Callable[[], R]) -> R:
    """Runs `query` (sync ORM reads) on a database thread and returns its result."""
    return await _on_database_thread(query)


async def write[R](change: Callable[[], R]) -> R:
    """Runs `change` (sync ORM writes) in one transaction on a database thread."""

    def atomically() -> R:
        with transaction.atomic():
            return change()

    return await _on_database_thread(atomically)
