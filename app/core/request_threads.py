"""Reusing the worker threads that Django's async path needs, across requests.

Django's ASGI handler gives every request a `ThreadSensitiveContext`, and with
it a new thread for the request's sync work (the `request_started` and
`request_finished` signals at least), joined by yet another thread when the
request ends: two thread starts per request, which under load cost more than
the request itself. asgiref lets the caller supply the context's executor
instead; this middleware lends each request a single-thread executor kept from
earlier requests, so the thread, and the database connection wrapper Django
keeps per thread, live on.
"""

from collections.abc import MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, reset_queries

from app.core.telemetry import ASGIApp


class ReusedRequestThreads:
    """ASGI middleware around Django: each HTTP request borrows a thread that earlier requests used.

    A thread serves one request at a time; a burst starts new ones, and of
    those left idle afterwards at most `idle_max` are kept.
    """

    def __init__(self, app: ASGIApp, *, idle_max: int = 128) -> None:
        self.app = app
        self.idle_max = idle_max
        self._idle: list[ThreadPoolExecutor] = []

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        executor = self._idle.pop() if self._idle else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
        finally:
            if len(self._idle) < self.idle_max:
                self._idle.append(executor)
            else:
                executor.shutdown(wait=False)


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
