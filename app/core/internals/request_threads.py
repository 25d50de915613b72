"""Reusing the worker threads that Django's async path needs, across requests, and only when needed.

Django's ASGI handler gives every request a `ThreadSensitiveContext`, and with
it a new thread for the request's sync work, joined by yet another thread when
the request ends: two thread starts per request. asgiref lets the caller supply
the context's executor instead; this middleware lends each request a
single-thread executor kept from earlier requests, so the thread, and the
database connection wrapper Django keeps per thread, live on.

Most API requests do no sync work at all (their queries run on the database
threads or the event loop, see app/core/db.py) except the one Django always
does last: `response.close()`, which sends `request_finished`, whose receivers
close the connections *of that thread*. A request that never used its thread
left nothing there to close, so its `response.close()` runs on the event loop
instead (measured: the hop was a third of a request's CPU under load). A
request that did use its thread closes on it, as Django does.
"""

import asyncio
import functools
from collections.abc import Callable, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, reset_queries
from django.http.response import HttpResponseBase

from app.core.telemetry import ASGIApp

IDLE_SECONDS = 10.0


def closes_response(work: Callable[..., object]) -> bool:
    """Whether `work` is what asgiref hands an executor for Django's `sync_to_async(response.close)()`.

    asgiref submits `partial(thread_handler, loop, exc_info, task_context, func, child)`
    where `child` is `partial(response.close)`: tests/core/test_upgrade_contract.py
    fails by name if that shape changes (the request then simply closes on its thread).
    """
    if not isinstance(work, functools.partial) or not work.args:
        return False
    child: object = work.args[-1]  # pyright: ignore[reportUnknownMemberType]
    target: object = getattr(child, "func", None)
    return getattr(target, "__name__", None) == "close" and isinstance(
        getattr(target, "__self__", None), HttpResponseBase
    )


class RequestThread(ThreadPoolExecutor):
    """One request's thread, started only if the request has sync work for it."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="request")
        self.is_used = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if not self.is_used and not args and not kwargs and closes_response(fn):
            return _run_here(fn)
        self.is_used = True
        return super().submit(fn, *args, **kwargs)


def _run_here(work: Callable[[], object]) -> Future[Any]:
    done: Future[Any] = Future()
    try:
        done.set_result(work())
    except BaseException as error:  # handed to the awaiting request, as a thread would
        done.set_exception(error)
    return done


class ReusedRequestThreads:
    """ASGI middleware around Django: each HTTP request borrows a thread that earlier requests used.

    A thread serves one request at a time; a burst starts new ones (only for
    requests with sync work), and those left idle for IDLE_SECONDS end, down
    to `idle_min`; at most `idle_max` are kept at all.
    """

    def __init__(self, app: ASGIApp, *, idle_max: int = 128, idle_min: int = 8) -> None:
        self.app = app
        self.idle_max = idle_max
        self.idle_min = idle_min
        # Most recently returned last; each with the loop time it was returned at.
        self._idle: list[tuple[RequestThread, float]] = []
        self._trimming: asyncio.TimerHandle | None = None

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        executor = self._idle.pop()[0] if self._idle else RequestThread()
        executor.is_used = False
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
        finally:
            self._give_back(executor)

    def _give_back(self, executor: RequestThread) -> None:
        if len(self._idle) >= self.idle_max:
            executor.shutdown(wait=False)
            return
        loop = asyncio.get_running_loop()
        self._idle.append((executor, loop.time()))
        if self._trimming is None and len(self._idle) > self.idle_min:
            self._trimming = loop.call_later(IDLE_SECONDS, self._trim)

    def _trim(self) -> None:
        self._trimming = None
        loop = asyncio.get_running_loop()
        cutoff = loop.time() - IDLE_SECONDS
        while len(self._idle) > self.idle_min and self._idle[0][1] <= cutoff:
            self._idle.pop(0)[0].shutdown(wait=False)
        if len(self._idle) > self.idle_min:
            self._trimming = loop.call_later(IDLE_SECONDS, self._trim)


def release_connections_only_when_requests_finish() -> None:
    """Drops Django's database receivers from `request_started`, leaving them on `request_finished`.

    Under ASGI every sync receiver of `request_started` costs the request a
    thread hop. Django connects two: `close_old_connections`, which on a
    reused thread finds nothing to close, because `request_finished` already
    ran it on that same thread when the previous request ended; and
    `reset_queries`, which only matters with DEBUG's query log and moves to
    `request_finished`, where the hop happens anyway.
    """
    request_started.disconnect(close_old_connections)
    request_started.disconnect(reset_queries)
    request_finished.connect(reset_queries)
