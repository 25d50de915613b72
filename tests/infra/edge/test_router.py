"""The compose router: proxying, limits and headers, against the real app."""

import re
import socket
import time

import httpx
import pytest

from tests.infra.edge.conftest import SMALL_UPLOAD_MAX_BYTES, EdgeApp
from tests.infra.edge.nginx_runner import Edge, edge_env, edge_render, edge_running
from tests.support.gcs import TEST_BUCKET, Emulator
from tests.support.ports import free_port

NGINX_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def _upload(edge: Edge, edge_app: EdgeApp, content: bytes) -> httpx.Response:
    return httpx.post(
        edge.http_url("/api/v1/files"),
        headers=edge_app.auth,
        files={"file": ("a.txt", content, "text/plain")},
        timeout=10,
    )


def test_router_hands_the_app_client_address_scheme_host_and_its_request_id(router: Edge, edge_app: EdgeApp) -> None:
    host = f"localhost:{router.http_port}"
    response = httpx.get(router.http_url("/api/v1/me"), headers=edge_app.auth | {"Host": host})

    assert response.status_code == 200, response.text
    request_id = response.headers["x-request-id"]
    assert NGINX_REQUEST_ID.match(request_id)
    logged = edge_app.access_entry(request_id)
    assert (logged["client_ip"], logged["scheme"], logged["host"]) == ("127.0.0.1", "http", host)
    assert router.access_entry(request_id)["request_id"] == request_id


def test_router_forwards_a_well_formed_caller_request_id_and_replaces_a_malformed_one(
    router: Edge, edge_app: EdgeApp
) -> None:
    kept = httpx.get(router.http_url("/api/v1/me"), headers=edge_app.auth | {"X-Request-ID": "trace-42.a:b"})
    replaced = httpx.get(router.http_url("/api/v1/me"), headers=edge_app.auth | {"X-Request-ID": "a b\tc"})

    assert kept.headers["x-request-id"] == "trace-42.a:b"
    assert edge_app.access_entry("trace-42.a:b")["status"] == 200
    assert NGINX_REQUEST_ID.match(replaced.headers["x-request-id"])
    assert edge_app.access_entry(replaced.headers["x-request-id"])["status"] == 200


def test_router_ignores_spoofed_forwarded_for_and_cf_connecting_ip(router: Edge, edge_app: EdgeApp) -> None:
    spoofed = {
        "X-Forwarded-For": "198.51.100.7",
        "CF-Connecting-IP": "198.51.100.8",
        "X-Forwarded-Proto": "https",
    }
    response = httpx.get(router.http_url("/api/v1/me"), headers=edge_app.auth | spoofed)

    logged = edge_app.access_entry(response.headers["x-request-id"])
    assert (logged["client_ip"], logged["scheme"]) == ("127.0.0.1", "http")


def test_router_passes_a_file_at_the_small_upload_limit(router: Edge, edge_app: EdgeApp) -> None:
    response = _upload(router, edge_app, b"a" * SMALL_UPLOAD_MAX_BYTES)

    assert response.status_code == 201, response.text
    assert response.json()["size"] == SMALL_UPLOAD_MAX_BYTES


def test_router_refuses_a_body_over_the_small_upload_limit_with_413(router: Edge, edge_app: EdgeApp) -> None:
    # Past the limit plus the 64 KiB multipart slack render.sh adds.
    response = _upload(router, edge_app, b"a" * (SMALL_UPLOAD_MAX_BYTES + 65_537))

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413
    request_id = response.headers["x-request-id"]
    assert all(entry["request_id"] != request_id for entry in edge_app.access_entries())


def test_router_rate_limits_sign_in_with_429(router: Edge) -> None:
    statuses = [httpx.get(router.http_url("/accounts/login/")).status_code for _ in range(25)]

    assert statuses[0] == 200
    assert 429 in statuses, statuses


def test_router_rate_limits_upload_start_with_429(router: Edge, edge_app: EdgeApp) -> None:
    with httpx.Client(headers=edge_app.auth) as client:
        responses = [client.post(router.http_url("/api/v1/uploads"), json={}) for _ in range(40)]

    statuses = [response.status_code for response in responses]
    assert statuses[0] == 422
    assert 429 in statuses, statuses
    limited = responses[statuses.index(429)]
    assert limited.headers["content-type"] == "application/problem+json"


def test_router_passes_healthz_through_to_the_app(router: Edge) -> None:
    response = httpx.get(router.http_url("/healthz"))

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_router_gzips_json(router: Edge, edge_app: EdgeApp) -> None:
    for _ in range(8):
        assert _upload(router, edge_app, b"hello\n").status_code == 201

    response = httpx.get(
        router.http_url("/api/v1/files?limit=20"),
        headers=edge_app.auth | {"Accept-Encoding": "gzip"},
    )

    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.json()["items"]) >= 8


def test_router_sets_security_headers_on_app_and_edge_responses(router: Edge) -> None:
    from_app = httpx.get(router.http_url("/healthz"))
    from_edge = httpx.post(router.http_url("/api/v1/files"), content=b"x" * (SMALL_UPLOAD_MAX_BYTES + 70_000))

    assert from_edge.status_code == 413
    for response in (from_app, from_edge):
        for header, value in SECURITY_HEADERS.items():
            assert response.headers.get_list(header) == [value], (header, response.headers)


def test_router_logs_json_with_request_and_upstream_time(router: Edge, edge_app: EdgeApp) -> None:
    response = httpx.get(router.http_url("/api/v1/me"), headers=edge_app.auth)

    entry = router.access_entry(response.headers["x-request-id"])
    assert entry["status"] == 200
    assert entry["uri"] == "/api/v1/me"
    assert isinstance(entry["request_time"], float | int)
    assert float(entry["upstream_time"]) >= 0
    assert entry["client_ip"] == "127.0.0.1"


def test_router_answers_502_quickly_when_the_app_is_down(tmp_path_factory: pytest.TempPathFactory) -> None:
    prefix = tmp_path_factory.mktemp("router-no-app")
    # Nothing listens on this port.
    edge = edge_render("compose", prefix, edge_env(prefix, upstream_port=free_port()))
    with edge_running(edge):
        started = time.monotonic()
        response = httpx.get(edge.http_url("/api/v1/me"), timeout=10)
        elapsed = time.monotonic() - started

    assert response.status_code in (502, 503)
    assert response.headers["content-type"] == "application/problem+json"
    assert elapsed < 1.0


def test_router_serves_the_storage_emulator_under_storage_for_signed_urls(
    edge_app: EdgeApp, gcs_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> None:
    prefix = tmp_path_factory.mktemp("router-storage")
    emulator_address = gcs_emulator.url.removeprefix("http://")
    env = edge_env(prefix, upstream_port=edge_app.app.port, settings={"EDGE_STORAGE_UPSTREAM": emulator_address})
    with edge_running(edge_render("compose", prefix, env)) as edge:
        url = edge.http_url(f"/storage/{TEST_BUCKET}/uploads/through-the-router")
        put = httpx.put(url, content=b"via nginx\n", headers={"Content-Type": "text/plain"})
        assert put.status_code == 200, put.text
        assert httpx.get(url).content == b"via nginx\n"
        assert httpx.get(edge.http_url("/healthz")).status_code == 200
        # A signed URL's query is its signature: the access log keeps the path only.
        signed = httpx.get(url, params={"X-Goog-Signature": "not-for-the-log"})
        logged = edge.access_entry(signed.headers["x-request-id"])["uri"]
        assert logged == f"/storage/{TEST_BUCKET}/uploads/through-the-router?{{signature}}"
        assert "not-for-the-log" not in (edge.prefix / "access.log").read_text()


def test_router_logs_signed_urls_without_their_tokens(router: Edge, edge_app: EdgeApp) -> None:
    content = b"behind the router\n"
    started = httpx.post(
        router.http_url("/api/v1/uploads"),
        json={"filename": "a.txt", "size": len(content), "content_type": "text/plain"},
        headers=edge_app.auth,
    ).json()
    upload = "/" + started["upload_url"].split("/", 3)[3]
    put = httpx.put(router.http_url(upload), content=content, headers=started["headers"])
    assert put.status_code == 200, put.text
    # Over the edge's body limit for uploads: refused by nginx itself, which logs an error about it.
    with socket.create_connection(("127.0.0.1", router.http_port), timeout=5) as connection:
        connection.sendall(
            f"PUT {upload} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {2 * 1024**3}\r\n\r\n".encode()
        )
        assert connection.recv(4096).startswith(b"HTTP/1.1 413 ")
    completed = httpx.post(router.http_url(f"/api/v1/uploads/{started['id']}/complete"), headers=edge_app.auth)
    assert completed.status_code == 200, completed.text
    location = httpx.get(router.http_url(f"/api/v1/files/{started['id']}/download"), headers=edge_app.auth)
    download = location.headers["Location"]
    for path in (download, download + "/", download + "/deeper"):
        httpx.get(router.http_url(path))

    assert router.access_entry(put.headers["x-request-id"])["uri"] == "/files/local/upload/{token}"
    logs = (router.prefix / "access.log").read_text() + router.error_log()
    for url in (upload, download):
        token = url.rsplit("/", 1)[1]
        for secret in (token, *token.split(":")):
            assert secret not in logs, f"the edge logged part of a signed token: {secret}"
