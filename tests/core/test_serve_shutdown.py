"""`app serve` stops within its grace period after SIGTERM, even with clients stalled mid-body."""

import socket
import time

import httpx

from tests.plugin import postgres_cluster
from tests.support.live_app import live_app, live_app_env

GRACE_SECONDS = 2
# Past the grace: uvicorn's own steps after it (closing, the lifespan) and a loaded machine.
EXIT_MARGIN_SECONDS = 5


def _stall(port: int, head: str) -> socket.socket:
    """A connection that sent a request's headers and a little of its body, then nothing more."""
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(head.encode() + b"only the beginning")
    return connection


def test_serve_stops_within_its_grace_period_with_clients_stalled_mid_body() -> None:
    env = live_app_env(postgres_cluster(), {"SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS)})
    with live_app(env) as app:
        started = httpx.post(
            f"{app.base_url}/api/v1/uploads",
            json={"filename": "a.txt", "size": 10_000, "content_type": "text/plain"},
            headers={"Authorization": f"Bearer {app.token}"},
        ).json()
        upload_path = "/" + started["upload_url"].split("/", 3)[3]
        host = f"Host: 127.0.0.1:{app.port}\r\nContent-Type: text/plain\r\nContent-Length: 10000\r\n"
        stalled = [
            # Through the signed upload route, and through Django, which reads a body before any view.
            _stall(app.port, f"PUT {upload_path} HTTP/1.1\r\n{host}\r\n"),
            _stall(app.port, f"POST /api/v1/files HTTP/1.1\r\n{host}Authorization: Bearer {app.token}\r\n\r\n"),
        ]
        time.sleep(0.5)  # both requests are in the app
        signalled = time.monotonic()
        app.process.terminate()
        try:
            app.process.wait(timeout=GRACE_SECONDS + EXIT_MARGIN_SECONDS)
        finally:
            for connection in stalled:
                connection.close()
        took = time.monotonic() - signalled
    assert GRACE_SECONDS - 0.5 <= took <= GRACE_SECONDS + EXIT_MARGIN_SECONDS, took
    assert "timeout graceful shutdown exceeded" in app.log_path.read_text()
