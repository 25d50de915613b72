"""Request bodies over the app's limit are refused before Django spools them to disk."""

import socket

import pytest
from django.conf import settings

from tests.support.live_app import LiveApp

ANSWER_TIMEOUT_SECONDS = 5
CHUNK = b"x" * 65536


def _answer(app: LiveApp, head: str, body: bytes = b"") -> bytes:
    """The start of the server's answer to `head` (and `body`), whatever else the client would send."""
    with socket.create_connection(("127.0.0.1", app.port), timeout=ANSWER_TIMEOUT_SECONDS) as connection:
        connection.sendall(head.encode() + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                pytest.fail(f"no answer within {ANSWER_TIMEOUT_SECONDS} s: the server waits for the body")
            if not chunk:
                break
            answer += chunk
        return answer


@pytest.mark.parametrize("path", ["/api/v1/files", "/healthz", "/accounts/login/", "/admin/"])
def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(
    embedded_pair: tuple[LiveApp, LiveApp], path: str
) -> None:
    app = embedded_pair[0]
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{app.port}\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {1024**3}\r\n\r\n"
    )
    answer = _answer(app, head)
    assert answer.startswith(b"HTTP/1.1 413 "), answer
    assert b"content-type: application/problem+json" in answer.lower()


def test_a_chunked_body_is_refused_once_it_passes_the_limit(embedded_pair: tuple[LiveApp, LiveApp]) -> None:
    app = embedded_pair[1]
    head = (
        f"POST /api/v1/files HTTP/1.1\r\nHost: 127.0.0.1:{app.port}\r\n"
        "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunks = settings.REQUEST_BODY_MAX_BYTES // len(CHUNK) + 2
    body = (f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n") * chunks
    answer = _answer(app, head, body)
    assert answer.startswith(b"HTTP/1.1 413 "), answer
