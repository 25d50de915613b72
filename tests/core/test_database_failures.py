"""A real PostgreSQL stopped and started again, and slowed by a proxy, under the served app.

What a client must see (issue 18, items 13 and 14): while the database is
down, a fast 503 problem with a stable code and Retry-After, and `/readyz`
naming the database within its own timeout; the first success soon after the
database is back; under a slow database the excess shed early with 503 and
Retry-After, every answer within the timeouts, and no threads left behind.
"""

import asyncio
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.core.db import QUEUE_WAIT_SECONDS, RETRY_AFTER_SECONDS
from app.core.problems import PROBLEM_CONTENT_TYPE, ProblemCode
from app.core.views import READINESS_TIMEOUT_SECONDS
from tests.support.fault_proxy import fault_proxy_server
from tests.support.live_app import LiveApp, live_app, live_app_env
from tests.support.postgres import PostgresCluster, postgres_cluster_new

# A fast 503, once the app knows the database is down.
FAST_SECONDS = 0.5
# The first success after PostgreSQL accepts connections again.
RECOVERY_SECONDS = 1.5
# Slow database: the deadline of each call, and the delay per round trip.
TIMEOUT_SECONDS = 2
ROUND_TRIP_DELAY_SECONDS = 0.3
# Calls that may wait for a connection: with 10 in flight, most of a burst is shed at once.
MAX_WAITING = 10
BURST = 120


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    """A cluster of this test's own, since the test stops it."""
    cluster = postgres_cluster_new()
    if cluster is None:
        pytest.skip("needs PostgreSQL binaries (CI sets REQUIRE_POSTGRES)")
    cluster.start()
    yield cluster
    cluster.stop()


def _is_unavailable_problem(response: httpx.Response, code: str) -> bool:
    return (
        response.status_code == 503
        and response.headers["content-type"] == PROBLEM_CONTENT_TYPE
        and response.json()["code"] == code
        and response.headers.get("Retry-After") == str(RETRY_AFTER_SECONDS)
    )


def _threads(app: LiveApp) -> int:
    status = Path(f"/proc/{app.process.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


def test_database_down_answers_fast_503s_and_recovers_within_a_second(cluster: PostgresCluster) -> None:
    with live_app(live_app_env(cluster)) as app:
        client = httpx.Client(base_url=app.base_url, headers={"Authorization": f"Bearer {app.token}"}, timeout=30)
        assert client.get("/api/v1/files").status_code == 200

        cluster.pause()
        first = client.get("/api/v1/files")  # finds out (a dead pooled connection, or the connect timeout)
        assert _is_unavailable_problem(first, ProblemCode.DATABASE_UNAVAILABLE), first.text
        for path in ("/api/v1/files", "/api/v1/me", "/api/v1/files/00000000-0000-0000-0000-000000000000"):
            started = time.monotonic()
            response = client.get(path)
            assert time.monotonic() - started < FAST_SECONDS
            assert _is_unavailable_problem(response, ProblemCode.DATABASE_UNAVAILABLE), response.text
        started = time.monotonic()
        ready = client.get("/readyz")
        assert time.monotonic() - started < READINESS_TIMEOUT_SECONDS + 0.5
        assert ready.status_code == 503
        assert ready.json()["failed"] == ["database"]

        cluster.resume()
        back = time.monotonic()
        while (response := client.get("/api/v1/files")).status_code != 200:
            assert _is_unavailable_problem(response, ProblemCode.DATABASE_UNAVAILABLE), response.text
            assert time.monotonic() - back < RECOVERY_SECONDS, "no success within a second of the database's return"
            time.sleep(0.05)
        assert client.get("/readyz").status_code == 200
    assert not [line for line in app.log_lines() if '"status": 500' in line]


def test_slow_database_sheds_the_excess_early_and_keeps_no_threads(cluster: PostgresCluster) -> None:
    with fault_proxy_server() as toxiproxy:
        proxy_port = toxiproxy.proxy_add("postgres", upstream_port=cluster.port)
        env = live_app_env(cluster)
        env["DATABASE_URL"] = env["DATABASE_URL"].replace(f":{cluster.port}/", f":{proxy_port}/")
        env["DATABASE_TIMEOUT_SECONDS"] = str(TIMEOUT_SECONDS)
        env["DATABASE_MAX_WAITING"] = str(MAX_WAITING)
        env["REQUEST_THREADS_IDLE_SECONDS"] = "1"
        with live_app(env) as app:
            headers = {"Authorization": f"Bearer {app.token}"}

            async def burst(count: int) -> list[tuple[httpx.Response, float]]:
                limits = httpx.Limits(max_connections=count)
                async with httpx.AsyncClient(base_url=app.base_url, headers=headers, limits=limits, timeout=60) as c:

                    async def timed(path: str) -> tuple[httpx.Response, float]:
                        started = time.monotonic()
                        response = await c.get(path)
                        return response, time.monotonic() - started

                    return await asyncio.gather(*(timed("/api/v1/files") for _ in range(count)))

            asyncio.run(burst(20))
            for _ in range(4):
                httpx.get(f"{app.base_url}/readyz")
            idle_threads = _threads(app)

            # Toxiproxy's latency toxic on the requests' way to PostgreSQL, as the experiments set it.
            delay_ms = int(ROUND_TRIP_DELAY_SECONDS * 1000)
            toxic = {"type": "latency", "stream": "upstream", "attributes": {"latency": delay_ms}}
            httpx.post(f"{toxiproxy.api_url}/proxies/postgres/toxics", json=toxic).raise_for_status()
            answers = asyncio.run(burst(BURST))
            httpx.post(f"{toxiproxy.api_url}/reset").raise_for_status()

            outcomes = Counter(response.status_code for response, _ in answers)
            assert set(outcomes) <= {200, 503}, outcomes
            shed = [response for response, _ in answers if response.status_code == 503]
            assert shed and all(_is_unavailable_problem(r, ProblemCode.OVERLOADED) for r in shed)
            assert outcomes[200] > 0, "nothing got through"
            # Two queries a request, each waiting at most QUEUE_WAIT_SECONDS and running at most TIMEOUT_SECONDS.
            worst = max(elapsed for _, elapsed in answers)
            assert worst < 2 * (QUEUE_WAIT_SECONDS + TIMEOUT_SECONDS), worst
            shed_after = sorted(elapsed for response, elapsed in answers if response.status_code == 503)
            # Beyond MAX_WAITING, shed without waiting for a connection (a burst still queues for the CPU).
            assert shed_after[len(shed_after) // 2] < QUEUE_WAIT_SECONDS

            assert httpx.get(f"{app.base_url}/api/v1/files", headers=headers).status_code == 200
            time.sleep(2.5)  # REQUEST_THREADS_IDLE_SECONDS, and the trim after it
            # psycopg cancels a query past its deadline from the loop's default
            # executor, which keeps its threads (at most min(32, CPUs + 4)); no other
            # thread outlives the burst.
            assert _threads(app) <= idle_threads + min(32, (os.cpu_count() or 1) + 4)
