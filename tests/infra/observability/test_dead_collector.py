"""A dead collector never blocks or fails a request, nor holds up shutdown."""

import socket
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.infra.observability.conftest import otel_env, serve
from tests.support.live_app import LiveApp

# How long requests are driven: long enough for several export attempts to fail.
DRIVE_SECONDS = 3.0
# The bound on what a dead collector may add to a request's median latency.
ADDED_MEDIAN_MS = 15.0
# A request must never wait anything like an export timeout.
WORST_REQUEST_MS = 1000.0
EXPORT_TIMEOUT_SECONDS = "2"


@contextmanager
def _dead_collector(kind: str) -> Iterator[str]:
    """`refused`: nothing listens. `unresponsive`: connections are taken but never answered."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        if kind == "unresponsive":
            sock.listen(1024)
            yield f"http://127.0.0.1:{port}"
        else:
            sock.close()
            yield f"http://127.0.0.1:{port}"


def _latencies_ms(app: LiveApp) -> list[float]:
    headers = {"Authorization": f"Bearer {app.token}"}
    with httpx.Client(base_url=app.base_url, headers=headers, timeout=30) as client:
        created = client.post("/api/v1/files", files={"file": ("a.txt", b"hello\n")})
        assert created.status_code == 201
        path = f"/api/v1/files/{created.json()['id']}"
        for _ in range(10):  # warm-up
            client.get(path)
        latencies: list[float] = []
        stop = time.monotonic() + DRIVE_SECONDS
        while time.monotonic() < stop:
            started = time.perf_counter()
            response = client.get(path)
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    return latencies


@pytest.mark.parametrize("kind", ["refused", "unresponsive"])
def test_requests_succeed_without_added_latency_when_the_collector_is_dead(kind: str) -> None:
    with serve({}) as app:
        baseline = _latencies_ms(app)

    with _dead_collector(kind) as endpoint:
        environment = otel_env(endpoint, OTEL_EXPORTER_OTLP_TIMEOUT=EXPORT_TIMEOUT_SECONDS)
        with serve(environment) as app:
            latencies = _latencies_ms(app)
            time.sleep(float(EXPORT_TIMEOUT_SECONDS) + 0.5)  # let the exports give up
            started = time.monotonic()
            app.process.terminate()
            app.process.wait(timeout=15)
            stopped_in = time.monotonic() - started
            log = app.log_path.read_text()

    added = statistics.median(latencies) - statistics.median(baseline)
    print(
        f"{kind}: median off {statistics.median(baseline):.2f} ms, dead collector {statistics.median(latencies):.2f} ms"
    )
    assert added < ADDED_MEDIAN_MS
    assert max(latencies) < WORST_REQUEST_MS
    # The exporters really tried and failed meanwhile.
    assert "Failed to export" in log
    # Shutdown gives up on the collector within its budget (5 s) plus uvicorn's own stop.
    assert stopped_in < 8
