"""The fake Cloud Run's data plane: a service URL and one URL per tag, each a loopback HTTP listener
that proxies to the revision processes and records every response it passes on, which is all the
fake Monitoring knows."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}


@dataclass(frozen=True)
class Served:
    """One response the front end passed on: what Cloud Run's request metrics count."""

    at: float
    service: str
    revision: str
    status: int
    latency_ms: float


class WeightedChoice:
    """Smooth weighted round robin: over any 100 requests, each revision gets exactly its percent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._weights: dict[str, int] = {}
        self._current: dict[str, int] = {}

    def set(self, weights: dict[str, int]) -> None:
        with self._lock:
            self._weights = {revision: percent for revision, percent in weights.items() if percent > 0}
            self._current = dict.fromkeys(self._weights, 0)

    def next(self) -> str | None:
        with self._lock:
            if not self._weights:
                return None
            for revision, weight in self._weights.items():
                self._current[revision] += weight
            chosen = max(self._current, key=lambda revision: self._current[revision])
            self._current[chosen] -= sum(self._weights.values())
            return chosen


class Listener:
    """One URL of a service: picks a revision per request and proxies to its process."""

    def __init__(
        self,
        *,
        service: str,
        choose: Callable[[], str | None],
        upstream: Callable[[str], str | None],
        record: Callable[[Served], None],
        client: httpx.Client,
    ) -> None:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _proxy(self) -> None:
                listener.proxy(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _proxy  # noqa: N815

        self.service = service
        self._choose = choose
        self._upstream = upstream
        self._record = record
        self._client = client
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def proxy(self, handler: BaseHTTPRequestHandler) -> None:
        started = time.perf_counter()
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        revision = self._choose()
        base = self._upstream(revision) if revision else None
        if revision is None or base is None:
            status, headers, content = 503, [("Content-Type", "text/plain")], b"no revision can serve this request"
        else:
            forwarded = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
            try:
                response = self._client.request(
                    handler.command, base + handler.path, headers=forwarded, content=body, timeout=30
                )
                status, content = response.status_code, response.content
                headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in HOP_BY_HOP]
            except httpx.TransportError:
                status, headers, content = 503, [("Content-Type", "text/plain")], b"the revision did not answer"
        handler.send_response(status)
        for key, value in headers:
            if key.lower() != "content-encoding":
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(content)
        if revision is not None:
            latency_ms = (time.perf_counter() - started) * 1000
            self._record(Served(time.time(), self.service, revision, status, latency_ms))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
