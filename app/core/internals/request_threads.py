"""Reusing the worker threads that Django's async path needs, across requests.

Django's ASGI handler gives every request a `ThreadSensitiveContext`, and with
it a new thread for the request's sync work (at least `response.close()`,
which sends `request_finished`), joined by yet another thread when the request
ends: two thread starts per request. asgiref lets the caller supply the
context's executor instead; this middleware lends each request a single-thread
executor kept from earlier requests, so the thread, and the database
connection wrapper Django keeps per thread, live on; those a burst started end
once idle.

(Running `response.close()` on the event loop for requests that did no other
sync work was tried: it looked cheaper in a profile and a sequential
micro-benchmark, and made the served app 3x slower under 64 connections.)
"""

import asyncio
from collections.abc import MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, reset_queries

from app.core.telemetry import ASGIApp


class ReusedRequestThreads:
    """ASGI middleware around Django: each HTTP request borrows a thread that earlier requests used.

    A thread serves one request at a time; a burst starts new ones, and those
    left idle for `idle_seconds` end, down to `idle_min`; at most `idle_max`
    are kept at all.
    """

    def __init__(self, app: ASGIApp, *, idle_max: int = 128, idle_min: int = 8, idle_seconds: float = 10.0) -> None:
        self.app = app
        self.idle_seconds = idle_seconds
        self.idle_max = idle_max
        self.idle_min = idle_min
        # Most recently returned last; each with the loop time it was returned at.
        self._idle: list[tuple[ThreadPoolExecutor, float]] = []
        self._trimming: asyncio.TimerHandle | None = None

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        executor = self._idle.pop()[0] if self._idle else ThreadPoolExecutor(1, thread_name_prefix="request")
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
        finally:
            self._give_back(executor)

    def _give_back(self, executor: ThreadPoolExecutor) -> None:
        if len(self._idle) >= self.idle_max:
            executor.shutdown(wait=False)
            return
        loop = asyncio.get_running_loop()
        self._idle.append((executor, loop.time()))
        if self._trimming is None and len(self._idle) > self.idle_min:
            self._trimming = loop.call_later(self.idle_seconds, self._trim)

    def _trim(self) -> None:
        self._trimming = None
        loop = asyncio.get_running_loop()
        cutoff = loop.time() - self.idle_seconds
        while len(self._idle) > self.idle_min and self._idle[0][1] <= cutoff:
            self._idle.pop(0)[0].shutdown(wait=False)
        if len(self._idle) > self.idle_min:
            self._trimming = loop.call_later(self.idle_seconds, self._trim)


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
