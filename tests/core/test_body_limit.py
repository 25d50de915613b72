"""Request bodies over the app's limit are refused before Django spools them to disk."""

import pytest
from django.conf import settings

from tests.support.live_app import LiveApp
from tests.support.raw_http import answer_head

CHUNK = b"x" * 65536


@pytest.mark.parametrize("path", ["/api/v1/files", "/healthz", "/accounts/login/", "/admin/"])
def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(
    embedded_pair: tuple[LiveApp, LiveApp], path: str
) -> None:
    app = embedded_pair[0]
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{app.port}\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Length: {1024**3}\r\n\r\n"
    )
    answer = answer_head(app.port, head.encode())
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
    answer = answer_head(app.port, head.encode() + body)
    assert answer.startswith(b"HTTP/1.1 413 "), answer
