"""Storage failing under the served app: the GCS emulator behind the fault proxy (Toxiproxy's
toxics), the app with the `perf` pipeline's production settings on PostgreSQL.

What a client must see (issue 18, items 15, 16 and 19): a storage outage answers a clear 503
`storage_unavailable` within the storage deadline, then at once; requests that need only the
database, and `/readyz`'s database check, do not notice; an upload that fails or is abandoned
leaves no object behind and gives its quota back; a worker killed mid-upload holds the
quota only as long as such a request can last.
"""

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs_storage

from app.core.problems import PROBLEM_CONTENT_TYPE, ProblemCode
from app.files.storage.guard import PROBE_INTERVAL_SECONDS
from tests.plugin import postgres_cluster
from tests.support.fault_proxy import FaultProxyServer, fault_proxy_server
from tests.support.gcs import TEST_BUCKET, Emulator
from tests.support.live_app import LiveApp
from tests.support.perf_app import perf_app

# Short deadlines keep the faults' windows short; the split into connect, read and retry
# deadlines is the app's own (app/integrations/gcs.py).
STORAGE_TIMEOUT_SECONDS = 2
DATABASE_TIMEOUT_SECONDS = 1
# The reservation of a small upload: three storage deadlines and two database ones (services).
HOLD_SECONDS = 3 * STORAGE_TIMEOUT_SECONDS + 2 * DATABASE_TIMEOUT_SECONDS
FAST_SECONDS = 0.5
TEXT = b"chaos stays out of the bytes\n"


@pytest.fixture
def toxiproxy() -> Iterator[FaultProxyServer]:
    with fault_proxy_server() as server:
        yield server


@contextmanager
def _served(
    toxiproxy: FaultProxyServer, gcs_emulator: Emulator, gcs_signing_key: Path, *, workers: int = 1
) -> Iterator[LiveApp]:
    gcs_port = toxiproxy.proxy_add("gcs", upstream_port=int(gcs_emulator.url.rsplit(":", 1)[1]))
    proxied = Emulator(url=f"http://127.0.0.1:{gcs_port}", server=None)
    env = {
        "STORAGE_TIMEOUT_SECONDS": str(STORAGE_TIMEOUT_SECONDS),
        "DATABASE_TIMEOUT_SECONDS": str(DATABASE_TIMEOUT_SECONDS),
    }
    try:
        with perf_app(postgres_cluster(), proxied, gcs_signing_key, workers=workers, env=env) as app:
            yield app
    except LookupError as error:
        pytest.skip(str(error))


def _client(app: LiveApp) -> httpx.Client:
    return httpx.Client(base_url=app.base_url, headers={"Authorization": f"Bearer {app.token}"}, timeout=30)


def _toxic(toxiproxy: FaultProxyServer, toxic: dict[str, object]) -> None:
    httpx.post(f"{toxiproxy.api_url}/proxies/gcs/toxics", json=toxic).raise_for_status()


def _upload(client: httpx.Client, name: str = "notes.txt") -> httpx.Response:
    return client.post("/api/v1/files", files={"file": (name, TEXT, "text/plain")})


def _files_used(client: httpx.Client) -> int:
    return client.get("/api/v1/me").json()["quota"]["files_used"]


def _objects(owner_id: str, gcs_emulator: Emulator) -> list[str]:
    """What the emulator itself holds under the user's prefix (not through the proxy)."""
    client = gcs_storage.Client(
        project="local", credentials=AnonymousCredentials(), client_options={"api_endpoint": gcs_emulator.url}
    )
    return [blob.name for blob in client.list_blobs(TEST_BUCKET, prefix=f"uploads/{owner_id}/")]


def _is_storage_unavailable(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and response.headers["content-type"] == PROBLEM_CONTENT_TYPE
        and response.json()["code"] == ProblemCode.STORAGE_UNAVAILABLE
        and response.headers.get("Retry-After") == "1"
    )


def test_storage_outage_answers_503_within_its_deadline_then_at_once_and_spares_the_rest(
    toxiproxy: FaultProxyServer, gcs_emulator: Emulator, gcs_signing_key: Path
) -> None:
    with _served(toxiproxy, gcs_emulator, gcs_signing_key) as app, _client(app) as client:
        assert _upload(client).status_code == 201
        _toxic(toxiproxy, {"type": "reset_peer", "attributes": {"timeout": 0}})

        started = time.monotonic()
        first = _upload(client)
        assert _is_storage_unavailable(first), first.text
        assert time.monotonic() - started < STORAGE_TIMEOUT_SECONDS + 1
        for path in ("/api/v1/files", "/api/v1/me", "/readyz"):
            started = time.monotonic()
            response = _upload(client) if path == "/api/v1/files" else client.get(path)
            assert time.monotonic() - started < FAST_SECONDS, path
            if path == "/api/v1/files":
                assert _is_storage_unavailable(response), response.text
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["failed"] == ["storage"]
        assert client.get("/api/v1/files").status_code == 200  # the database's own requests
        assert _files_used(client) == 1, "a failed upload still holds quota"

        httpx.post(f"{toxiproxy.api_url}/reset").raise_for_status()
        back = time.monotonic()
        while (response := _upload(client)).status_code != 201:
            assert _is_storage_unavailable(response), response.text
            assert time.monotonic() - back < PROBE_INTERVAL_SECONDS + STORAGE_TIMEOUT_SECONDS
            time.sleep(0.05)
        assert client.get("/readyz").status_code == 200
        owner = client.get("/api/v1/me").json()["id"]
        ready_files = client.get("/api/v1/files").json()["items"]
        assert len(_objects(owner, gcs_emulator)) >= len(ready_files) == 2
    assert not [line for line in app.log_lines() if '"status": 500' in line]


def test_a_storage_timeout_is_a_503_and_an_abandoned_upload_leaves_no_object(
    toxiproxy: FaultProxyServer, gcs_emulator: Emulator, gcs_signing_key: Path
) -> None:
    with _served(toxiproxy, gcs_emulator, gcs_signing_key) as app, _client(app) as client:
        owner = client.get("/api/v1/me").json()["id"]
        # Slow storage: the write is still on its way when the client gives up.
        _toxic(toxiproxy, {"type": "latency", "stream": "upstream", "attributes": {"latency": 700}})
        with pytest.raises(httpx.ReadTimeout):
            client.post("/api/v1/files", files={"file": ("gone.txt", TEXT, "text/plain")}, timeout=0.3)
        time.sleep(STORAGE_TIMEOUT_SECONDS + 1)  # the write lands or fails; the cleanup follows
        assert _objects(owner, gcs_emulator) == [], "an abandoned upload left its object"
        assert _files_used(client) == 0

        # Storage that takes the bytes and never answers: the read deadline ends it.
        httpx.post(f"{toxiproxy.api_url}/reset").raise_for_status()
        _toxic(toxiproxy, {"type": "timeout", "attributes": {"timeout": 0}})
        started = time.monotonic()
        response = _upload(client)
        assert _is_storage_unavailable(response), response.text
        assert time.monotonic() - started < STORAGE_TIMEOUT_SECONDS + 1
        assert _files_used(client) == 0
    assert not [line for line in app.log_lines() if '"status": 500' in line]


def _workers(app: LiveApp) -> list[int]:
    children = Path(f"/proc/{app.process.pid}/task/{app.process.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def test_a_worker_killed_mid_upload_holds_the_quota_only_as_long_as_the_request_could_last(
    toxiproxy: FaultProxyServer, gcs_emulator: Emulator, gcs_signing_key: Path
) -> None:
    with _served(toxiproxy, gcs_emulator, gcs_signing_key, workers=2) as app, _client(app) as client:
        workers = _workers(app)
        _toxic(toxiproxy, {"type": "latency", "stream": "upstream", "attributes": {"latency": 1000}})

        def cut_off() -> None:
            with pytest.raises(httpx.TransportError):
                _upload(client)

        cut = threading.Thread(target=cut_off)
        cut.start()
        deadline = time.monotonic() + 5
        while _files_used(client) == 0:  # reserved: the bytes are on their way to storage
            assert time.monotonic() < deadline
            time.sleep(0.02)
        reserved = time.monotonic()
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        cut.join()
        while set(_workers(app)) & set(workers) or len(_workers(app)) < 2:
            time.sleep(0.05)
        httpx.post(f"{toxiproxy.api_url}/reset").raise_for_status()
        # Nobody was left to release it: the reservation lapses by itself, no cleanup run needed
        # (it used to hold the quota for FILES_PENDING_TTL_SECONDS, an hour).
        while _files_used(client) == 1:
            assert time.monotonic() - reserved < HOLD_SECONDS + 2
            time.sleep(0.25)
