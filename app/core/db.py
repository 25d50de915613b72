"""Running ORM code from async views on a few long-lived database threads.

Django's async ORM (`aget`, `async for`, ...) runs each query on the request's
own thread (see `app/core/request_threads.py`), where the pooled connection
stays checked out until the request finishes, rendering the response
included: 64 requests in flight want 64 connections, and past the pool's size
they queue for its timeout. Hot read paths call `in_db_thread` instead: the
same sync ORM, on a small pool of threads that live as long as the process,
each handing its connection back to Django's pool after every call, so those
paths never hold more than DATABASE_THREADS connections.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections


@cache
def _executor() -> ThreadPoolExecutor:
    # A few threads let queries overlap their waits on the network; each holds
    # at most one pooled connection at a time.
    return ThreadPoolExecutor(max_workers=settings.DATABASE_THREADS, thread_name_prefix="db")


async def in_db_thread[R](query: Callable[[], R]) -> R:
    """Runs `query` (sync ORM code, no transaction spanning calls) on a database thread.

    With DATABASE_THREADS=0 it takes Django's own path (the request's thread),
    which the in-process test client needs: its test transaction belongs to
    that thread's connection. Tests against the real server take the threads.
    """
    if not settings.DATABASE_THREADS:
        return await sync_to_async(query)()

    def run() -> R:
        try:
            return query()
        finally:
            # With CONN_MAX_AGE = 0 this returns the connection to the pool.
            close_old_connections()

    return await sync_to_async(run, thread_sensitive=False, executor=_executor())()
