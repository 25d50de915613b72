"""Each request borrows a long-lived thread for its sync work, and gives its database connection back."""

import asyncio
import threading
import time
from typing import Any

import httpx
from django.core.asgi import get_asgi_application
from django.core.signals import request_started
from django.db import close_old_connections
from django.test import Client

from app.core.internals.request_threads import ReusedRequestThreads
from tests.plugin import postgres_cluster
from tests.support.live_app import live_app, live_app_env


def test_sequential_requests_do_their_sync_work_on_one_reused_thread() -> None:
    threads: list[int] = []

    def record_thread(**kwargs: Any) -> None:
        threads.append(threading.get_ident())

    application = ReusedRequestThreads(get_asgi_application(), idle_max=4)

    async def requests() -> list[int]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return [(await client.get("/healthz")).status_code for _ in range(5)]

    # A sync receiver of request_started is sync work on the request's thread.
    request_started.connect(record_thread)
    try:
        statuses = asyncio.run(requests())
    finally:
        request_started.disconnect(record_thread)
    assert statuses == [200] * 5
    assert len(threads) == 5
    assert len(set(threads)) == 1, "each request started a thread of its own"
    assert threads[0] != threading.get_ident()


def test_threads_a_burst_started_end_once_idle() -> None:

    def sync_work(**kwargs: Any) -> None:
        time.sleep(0.01)

    application = ReusedRequestThreads(get_asgi_application(), idle_min=2, idle_seconds=0.05)

    async def burst_then_idle() -> tuple[int, int]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await asyncio.gather(*(client.get("/healthz") for _ in range(12)))
        after_burst = threading.active_count()
        await asyncio.sleep(0.3)
        return after_burst, threading.active_count()

    before = threading.active_count()
    request_started.connect(sync_work)
    try:
        after_burst, after_idle = asyncio.run(burst_then_idle())
    finally:
        request_started.disconnect(sync_work)
    assert after_burst >= before + 6
    assert after_idle <= before + 2


def test_many_concurrent_requests_share_a_two_connection_pool() -> None:
    # Were a thread or a request to keep its connection after its query, the
    # third concurrent request would wait out the pool's timeout and fail. (All
    # 60 may wait their turn: none is shed.)
    env = live_app_env(
        postgres_cluster(), {"DATABASE_POOL_MAX_SIZE": "2", "DATABASE_THREADS": "1", "DATABASE_MAX_WAITING": "200"}
    )
    with live_app(env) as app:

        async def burst() -> list[int]:
            limits = httpx.Limits(max_connections=40)
            headers = {"Authorization": f"Bearer {app.token}"}
            async with httpx.AsyncClient(base_url=app.base_url, headers=headers, limits=limits, timeout=30) as client:
                responses = await asyncio.gather(*(client.get("/api/v1/me") for _ in range(60)))
            return [response.status_code for response in responses]

        assert asyncio.run(burst()) == [200] * 60


def test_the_in_process_test_client_keeps_the_apps_request_signal_wiring(alice_api: Client) -> None:
    assert alice_api.get("/api/v1/me").status_code == 200
    assert close_old_connections not in request_started._live_receivers(None)[0]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
