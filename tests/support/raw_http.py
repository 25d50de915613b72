"""HTTP by hand on a socket, for what a well-behaved client library refuses to send."""

import socket

import pytest


def answer_head(port: int, request: bytes, *, timeout: float = 5) -> bytes:
    """The start of the server's answer to `request` (its headers, at least), sent as is.

    Whatever else the request announced (the rest of a body) is never sent: a
    server that waits for it fails the test after `timeout` seconds.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                pytest.fail(f"no answer within {timeout} s: the server waits for the rest of the request")
            if not chunk:
                break
            answer += chunk
        return answer
