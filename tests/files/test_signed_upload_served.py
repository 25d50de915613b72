"""The signed upload PUT against the real server: refused before its body, claimed once, given back when cut off."""

import hashlib
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.core.problems import ProblemCode
from tests.support.live_app import LiveApp
from tests.support.raw_http import answer_head

MIB = 1024 * 1024
ANSWER_TIMEOUT_SECONDS = 5


def _start(app: LiveApp, size: int, **more: Any) -> dict[str, Any]:
    started = httpx.post(
        f"{app.base_url}/api/v1/uploads",
        json={"filename": "a.txt", "size": size, "content_type": "text/plain", **more},
        headers={"Authorization": f"Bearer {app.token}"},
    )
    assert started.status_code == 201, started.text
    return started.json()


def _path(url: str) -> str:
    return urlsplit(url).path


def _head(app: LiveApp, path: str, *, length: int, content_type: str = "text/plain", host: str | None = None) -> bytes:
    return (
        f"PUT {path} HTTP/1.1\r\nHost: {host or f'127.0.0.1:{app.port}'}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def test_a_put_is_refused_before_any_of_its_body_is_read(embedded_pair: tuple[LiveApp, LiveApp]) -> None:
    app = embedded_pair[0]
    target = _start(app, 64 * MIB)
    path = _path(target["upload_url"])
    refusals = {
        "not-a-token": (_head(app, "/files/local/upload/not-a-token", length=200 * MIB), 403),
        "length-not-signed": (_head(app, path, length=200 * MIB), 403),
        "type-not-signed": (_head(app, path, length=64 * MIB, content_type="text/html"), 403),
        "foreign-host": (_head(app, path, length=64 * MIB, host="evil.example"), 400),
    }
    for case, (head, status) in refusals.items():
        answer = answer_head(app.port, head, timeout=ANSWER_TIMEOUT_SECONDS)
        assert answer.startswith(f"HTTP/1.1 {status} ".encode()), (case, answer)
        assert b"content-type: application/problem+json" in answer.lower(), (case, answer)
    httpx.delete(f"{app.base_url}/api/v1/files/{target['id']}", headers={"Authorization": f"Bearer {app.token}"})


def test_simultaneous_puts_to_one_url_store_one_writers_bytes(embedded_pair: tuple[LiveApp, LiveApp]) -> None:
    first = embedded_pair[0]
    size = 4 * MIB
    target = _start(first, size)
    path = _path(target["upload_url"])
    bodies = [bytes([ord("a") + index]) * size for index in range(8)]

    def put(index: int) -> int:
        # Spread over both processes, as over a deployment's workers.
        app = embedded_pair[index % 2]
        return httpx.put(
            f"{app.base_url}{path}", content=bodies[index], headers=target["headers"], timeout=60
        ).status_code

    with ThreadPoolExecutor(len(bodies)) as pool:
        statuses = list(pool.map(put, range(len(bodies))))

    assert sorted(statuses) == [200] + [409] * (len(bodies) - 1), statuses
    winner = bodies[statuses.index(200)]
    auth = {"Authorization": f"Bearer {first.token}"}
    completed = httpx.post(f"{first.base_url}/api/v1/uploads/{target['id']}/complete", headers=auth)
    assert completed.status_code == 200, completed.text
    served = httpx.get(f"{first.base_url}/api/v1/files/{target['id']}/download", headers=auth, follow_redirects=True)
    assert hashlib.sha256(served.content).digest() == hashlib.sha256(winner).digest()


def test_a_put_cut_off_midway_stores_nothing_and_may_be_sent_again(embedded_pair: tuple[LiveApp, LiveApp]) -> None:
    app = embedded_pair[1]
    content = b"x" * (2 * MIB)
    target = _start(app, len(content))
    path = _path(target["upload_url"])
    with socket.create_connection(("127.0.0.1", app.port)) as connection:
        connection.sendall(_head(app, path, length=len(content)) + content[: MIB // 2])
    url = f"{app.base_url}{path}"
    deadline = time.monotonic() + ANSWER_TIMEOUT_SECONDS
    while (put := httpx.put(url, content=content, headers=target["headers"])).status_code == 409:
        # The server learns of the lost client when it next reads; then it gives the claim back.
        assert put.json()["code"] == ProblemCode.ALREADY_UPLOADED
        assert time.monotonic() < deadline, "the cut-off PUT kept its claim"
        time.sleep(0.05)
    assert put.status_code == 200, put.text
    completed = httpx.post(
        f"{app.base_url}/api/v1/uploads/{target['id']}/complete", headers={"Authorization": f"Bearer {app.token}"}
    )
    assert completed.status_code == 200, completed.text
    assert completed.json()["size"] == len(content)
