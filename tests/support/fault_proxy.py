"""A loopback TCP fault proxy that answers Toxiproxy's HTTP API, for the toxics the project uses.

No Toxiproxy server can be installed on these machines, yet the chaos experiments
(ci/experiments/) drive Toxiproxy's HTTP API, and the `chaos` pipeline runs them against the
official image. This stands in for it on loopback, honouring the API's semantics as
Toxiproxy's README and server define them (tests/infra/chaos/test_fault_proxy.py holds it to
that contract):

- proxies: `GET/POST /proxies`, `POST /populate`, `GET/POST/PATCH/DELETE /proxies/{name}`;
  `enabled: false` takes the proxy down (the listener closes, open connections are cut) and
  `true` brings it back on the same address; a changed `listen` or `upstream` restarts it;
  `listen` with port 0 picks a free port and the answer says which;
- toxics: `GET/POST /proxies/{name}/toxics`, `GET/POST/PATCH/DELETE .../toxics/{toxic}`, each
  with `name` (default `<type>_<stream>`), `type`, `stream` (`downstream` by default: server
  to client; `upstream`: client to server), `toxicity` (the chance, decided once per
  connection, that it applies) and `attributes`; they act on open connections too:
  - `latency`: each chunk is held `latency` ± `jitter` ms from its arrival;
  - `timeout`: data is dropped, and the connection closed once none has come for
    `timeout` ms (0: never closed, dropped until the toxic goes);
  - `reset_peer`: on the next data, after `timeout` ms, both sockets are reset (RST);
- `POST /reset` (every proxy enabled, every toxic removed), `GET /version`.

Other toxic types answer 400 `invalid toxic type`: an experiment that needs one fails here
loudly rather than running without its fault.
"""

import asyncio
import json
import random
import re
import socket
import struct
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.ports import free_port

VERSION = "2.12.0-loopback"
STREAMS = ("upstream", "downstream")
# Each type's attributes and their defaults (Toxiproxy's zero values).
TOXIC_ATTRIBUTES: dict[str, dict[str, int]] = {
    "latency": {"latency": 0, "jitter": 0},
    "timeout": {"timeout": 0},
    "reset_peer": {"timeout": 0},
}
CHUNK_BYTES = 32 * 1024

# Toxiproxy's own error messages and statuses (api.go).
ERROR_BAD_BODY = ("bad request body", 400)
ERROR_MISSING_FIELD = ("missing required field", 400)
ERROR_PROXY_NOT_FOUND = ("proxy not found", 404)
ERROR_PROXY_EXISTS = ("proxy already exists", 409)
ERROR_INVALID_STREAM = ("stream was invalid, can be either upstream or downstream", 400)
ERROR_INVALID_TOXIC_TYPE = ("invalid toxic type", 400)
ERROR_TOXIC_EXISTS = ("toxic already exists", 409)
ERROR_TOXIC_NOT_FOUND = ("toxic not found", 404)


class ApiError(Exception):
    def __init__(self, error: tuple[str, int], detail: str = "") -> None:
        message, self.status = error
        self.message = f"{message}: {detail}" if detail else message
        super().__init__(self.message)


@dataclass
class Toxic:
    name: str
    type: str
    stream: str
    toxicity: float
    attributes: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "attributes": self.attributes,
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
        }


def _attributes(kind: str, given: object, current: dict[str, int] | None = None) -> dict[str, int]:
    attributes = dict(current or TOXIC_ATTRIBUTES[kind])
    if given is None:
        return attributes
    if not isinstance(given, dict):
        raise ApiError(ERROR_BAD_BODY, "attributes must be an object")
    for key, value in given.items():  # pyright: ignore[reportUnknownVariableType]
        if key in attributes:  # Go's decoder ignores fields the toxic does not have
            if not isinstance(value, int) or isinstance(value, bool):
                raise ApiError(ERROR_BAD_BODY, f"{key} must be an integer")
            attributes[key] = value
    return attributes


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ApiError(ERROR_BAD_BODY, f"address {address!r} is not host:port")
    return host.strip("[]"), int(port)


class _Link:
    """One direction of one connection: bytes from `source` to `sink`, through the toxics."""

    def __init__(self, proxy: "Proxy", connection: "_Connection", stream: str, source: asyncio.StreamReader) -> None:
        self.proxy = proxy
        self.connection = connection
        self.stream = stream
        self.source = source
        self.changed = asyncio.Event()
        # Whether each toxic (by identity) applies to this link: decided once, by its toxicity.
        self.rolls: dict[int, bool] = {}

    def toxics(self) -> list[Toxic]:
        applying: list[Toxic] = []
        for toxic in self.proxy.toxics.values():
            if toxic.stream != self.stream:
                continue
            if id(toxic) not in self.rolls:
                self.rolls[id(toxic)] = random.random() < toxic.toxicity  # noqa: S311 - a fault, not a secret
            if self.rolls[id(toxic)]:
                applying.append(toxic)
        return applying

    def _timeout_toxic(self) -> Toxic | None:
        return next((toxic for toxic in self.toxics() if toxic.type == "timeout"), None)

    async def _next_chunk(self, pending: asyncio.Task[bytes]) -> bytes | None:
        """The next chunk; None when the connection is to close (end of data, or a timeout toxic)."""
        while True:
            timeout_toxic = self._timeout_toxic()
            waiting_for = timeout_toxic.attributes["timeout"] / 1000 if timeout_toxic else None
            self.changed.clear()
            changed = asyncio.ensure_future(self.changed.wait())
            done, _ = await asyncio.wait(
                {pending, changed}, timeout=waiting_for or None, return_when=asyncio.FIRST_COMPLETED
            )
            changed.cancel()
            if pending in done:
                return pending.result() or None
            if not done:  # a timeout toxic's quiet period passed
                return None

    async def run(self, sink: asyncio.StreamWriter) -> None:
        try:
            while True:
                pending = asyncio.ensure_future(self.source.read(CHUNK_BYTES))
                try:
                    chunk = await self._next_chunk(pending)
                finally:
                    pending.cancel()
                if chunk is None:
                    break
                arrived = asyncio.get_running_loop().time()
                toxics = self.toxics()
                kinds = {toxic.type: toxic for toxic in toxics}
                if "reset_peer" in kinds:
                    await asyncio.sleep(kinds["reset_peer"].attributes["timeout"] / 1000)
                    self.connection.reset()
                    return
                if "timeout" in kinds:
                    continue  # dropped on the floor
                for toxic in toxics:
                    if toxic.type == "latency":
                        jitter = toxic.attributes["jitter"]
                        delay = toxic.attributes["latency"] + (random.randint(-jitter, jitter) if jitter else 0)  # noqa: S311
                        await asyncio.sleep(max(0.0, arrived + delay / 1000 - asyncio.get_running_loop().time()))
                sink.write(chunk)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.connection.close()


class _Connection:
    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.writers = (client, upstream)
        self.links: list[_Link] = []

    def close(self) -> None:
        for writer in self.writers:
            writer.close()

    def reset(self) -> None:
        """Both sockets closed with SO_LINGER 0: the peers see a TCP reset, as Toxiproxy's reset_peer sends."""
        for writer in self.writers:
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()


@dataclass
class Proxy:
    """One named proxy: its listener, its open connections and its toxics (in the order added)."""

    name: str
    listen: str
    upstream: str
    enabled: bool = False
    toxics: dict[str, Toxic] = field(default_factory=dict[str, Toxic])
    server: asyncio.Server | None = None
    connections: set[_Connection] = field(default_factory=set[_Connection])

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": self.toxics_json(),
        }

    def toxics_json(self) -> list[dict[str, Any]]:
        ordered = sorted(self.toxics.values(), key=lambda toxic: STREAMS.index(toxic.stream))
        return [toxic.as_json() for toxic in ordered]

    def toxics_changed(self) -> None:
        for connection in self.connections:
            for link in connection.links:
                link.changed.set()

    async def start(self) -> None:
        if self.enabled:
            return
        host, port = _host_port(self.listen)
        self.server = await asyncio.start_server(self._accept, host, port)
        bound = self.server.sockets[0].getsockname()
        self.listen = f"{bound[0]}:{bound[1]}"
        self.enabled = True

    async def stop(self) -> None:
        if not self.enabled or self.server is None:
            return
        self.enabled = False
        self.server.close()
        for connection in list(self.connections):
            connection.close()
        self.connections.clear()
        await self.server.wait_closed()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        host, port = _host_port(self.upstream)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        connection = _Connection(client_writer, upstream_writer)
        upstream_link = _Link(self, connection, "upstream", client_reader)
        downstream_link = _Link(self, connection, "downstream", upstream_reader)
        connection.links = [upstream_link, downstream_link]
        self.connections.add(connection)
        try:
            await asyncio.gather(upstream_link.run(upstream_writer), downstream_link.run(client_writer))
        finally:
            self.connections.discard(connection)


class FaultProxyServer:
    """The proxies and the HTTP API (`api_url`), each on a thread of its own."""

    def __init__(self) -> None:
        self.proxies: dict[str, Proxy] = {}
        self.loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self.loop.run_forever, name="fault-proxy", daemon=True)
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self._http = ThreadingHTTPServer(("127.0.0.1", self.api_port), _handler_for(self))
        self._http_thread = threading.Thread(target=self._http.serve_forever, name="fault-proxy-api", daemon=True)

    def start(self) -> None:
        self._loop_thread.start()
        self._http_thread.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        for proxy in list(self.proxies.values()):
            self.call(proxy.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._loop_thread.join(timeout=5)

    def call[R](self, make: Callable[[], Coroutine[Any, Any, R]]) -> R:
        """Runs a coroutine on the proxies' loop and returns its result (from any other thread)."""
        return asyncio.run_coroutine_threadsafe(make(), self.loop).result(timeout=10)

    # --- The API's operations, on the loop -------------------------------------------

    def _proxy(self, name: str) -> Proxy:
        if name not in self.proxies:
            raise ApiError(ERROR_PROXY_NOT_FOUND)
        return self.proxies[name]

    async def create(self, body: object, *, replace: bool = False) -> Proxy:
        if not isinstance(body, dict):
            raise ApiError(ERROR_BAD_BODY, "a proxy is an object")
        fields: dict[str, Any] = body  # pyright: ignore[reportUnknownVariableType]
        name, upstream = fields.get("name") or "", fields.get("upstream") or ""
        if not name:
            raise ApiError(ERROR_MISSING_FIELD, "name")
        if not upstream:
            raise ApiError(ERROR_MISSING_FIELD, "upstream")
        listen = fields.get("listen") or "127.0.0.1:0"
        existing = self.proxies.get(name)
        if existing is not None:
            if not replace:
                raise ApiError(ERROR_PROXY_EXISTS)
            if (existing.listen, existing.upstream) == (listen, upstream) or (
                listen.endswith(":0") and existing.upstream == upstream
            ):
                return existing
            await existing.stop()
        proxy = Proxy(name=name, listen=listen, upstream=upstream)
        if fields.get("enabled", True):
            await proxy.start()
        self.proxies[name] = proxy
        return proxy

    async def update(self, name: str, body: object) -> Proxy:
        proxy = self._proxy(name)
        if not isinstance(body, dict):
            raise ApiError(ERROR_BAD_BODY, "a proxy is an object")
        fields: dict[str, Any] = body  # pyright: ignore[reportUnknownVariableType]
        listen, upstream = fields.get("listen", proxy.listen), fields.get("upstream", proxy.upstream)
        enabled = bool(fields.get("enabled", proxy.enabled))
        if (listen, upstream) != (proxy.listen, proxy.upstream):
            was_enabled = proxy.enabled
            await proxy.stop()
            proxy.listen, proxy.upstream = listen, upstream
            if was_enabled and enabled:
                await proxy.start()
        if enabled and not proxy.enabled:
            await proxy.start()
        elif not enabled and proxy.enabled:
            await proxy.stop()
        return proxy

    async def delete(self, name: str) -> None:
        await self._proxy(name).stop()
        del self.proxies[name]

    async def reset(self) -> None:
        for proxy in self.proxies.values():
            await proxy.start()
            proxy.toxics.clear()
            proxy.toxics_changed()

    async def toxic_create(self, name: str, body: object) -> Toxic:
        proxy = self._proxy(name)
        if not isinstance(body, dict):
            raise ApiError(ERROR_BAD_BODY, "a toxic is an object")
        fields: dict[str, Any] = body  # pyright: ignore[reportUnknownVariableType]
        stream = fields.get("stream") or "downstream"
        if stream not in STREAMS:
            raise ApiError(ERROR_INVALID_STREAM)
        kind = fields.get("type") or ""
        toxic_name = fields.get("name") or f"{kind}_{stream}"
        if kind not in TOXIC_ATTRIBUTES:
            raise ApiError(ERROR_INVALID_TOXIC_TYPE)
        if toxic_name in proxy.toxics:
            raise ApiError(ERROR_TOXIC_EXISTS)
        toxicity = fields.get("toxicity", 1.0)
        toxic = Toxic(
            name=toxic_name,
            type=kind,
            stream=stream,
            toxicity=float(toxicity),
            attributes=_attributes(kind, fields.get("attributes")),
        )
        proxy.toxics[toxic_name] = toxic
        proxy.toxics_changed()
        return toxic

    def _toxic(self, name: str, toxic_name: str) -> Toxic:
        toxic = self._proxy(name).toxics.get(toxic_name)
        if toxic is None:
            raise ApiError(ERROR_TOXIC_NOT_FOUND)
        return toxic

    async def toxic_update(self, name: str, toxic_name: str, body: object) -> Toxic:
        toxic = self._toxic(name, toxic_name)
        if not isinstance(body, dict):
            raise ApiError(ERROR_BAD_BODY, "a toxic is an object")
        fields: dict[str, Any] = body  # pyright: ignore[reportUnknownVariableType]
        toxic.attributes = _attributes(toxic.type, fields.get("attributes"), toxic.attributes)
        toxic.toxicity = float(fields.get("toxicity", toxic.toxicity))
        self._proxy(name).toxics_changed()
        return toxic

    async def toxic_delete(self, name: str, toxic_name: str) -> None:
        self._toxic(name, toxic_name)
        proxy = self._proxy(name)
        del proxy.toxics[toxic_name]
        proxy.toxics_changed()

    async def show(self, name: str) -> Proxy:
        return self._proxy(name)

    async def toxic_show(self, name: str, toxic_name: str) -> Toxic:
        return self._toxic(name, toxic_name)

    async def populate(self, body: object) -> list[Proxy]:
        if not isinstance(body, list):
            raise ApiError(ERROR_BAD_BODY, "populate takes a list of proxies")
        entries: list[Any] = body  # pyright: ignore[reportUnknownVariableType]
        for index, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict) or not entry.get("name"):  # pyright: ignore[reportUnknownMemberType]
                raise ApiError(ERROR_MISSING_FIELD, f"name at proxy {index}")
            if not entry.get("upstream"):  # pyright: ignore[reportUnknownMemberType]
                raise ApiError(ERROR_MISSING_FIELD, f"upstream at proxy {index}")
        return [await self.create(entry, replace=True) for entry in entries]

    def populated_json(self, body: object) -> list[dict[str, Any]]:
        return [proxy.as_json() for proxy in self.call(lambda: self.populate(body))]

    # --- For tests that set faults in-process -------------------------------------------

    def proxy_add(self, name: str, *, upstream_port: int) -> int:
        """A proxy on a free loopback port to `127.0.0.1:upstream_port`; returns its port."""
        proxy = self.call(lambda: self.create({"name": name, "upstream": f"127.0.0.1:{upstream_port}"}))
        return _host_port(proxy.listen)[1]


_PROXY = r"/proxies/(?P<proxy>[^/]+)"
_TOXIC = _PROXY + r"/toxics/(?P<toxic>[^/]+)"


def _handler_for(server: FaultProxyServer) -> type[BaseHTTPRequestHandler]:
    # (methods, path, takes a JSON body, operation): each answers a payload (200), (status,
    # payload), or None (204).
    routes: list[tuple[str, str, bool, Callable[..., Any]]] = [
        ("GET", r"/version", False, lambda: {"version": VERSION}),
        ("POST", r"/reset", False, lambda: server.call(server.reset)),
        ("GET", r"/proxies", False, lambda: {name: proxy.as_json() for name, proxy in server.proxies.items()}),
        ("POST", r"/proxies", True, lambda body: (201, server.call(lambda: server.create(body)).as_json())),
        ("POST", r"/populate", True, lambda body: (201, {"proxies": server.populated_json(body)})),
        ("GET", _PROXY, False, lambda proxy: server.call(lambda: server.show(proxy)).as_json()),
        ("POST|PATCH", _PROXY, True, lambda proxy, body: server.call(lambda: server.update(proxy, body)).as_json()),
        ("DELETE", _PROXY, False, lambda proxy: server.call(lambda: server.delete(proxy))),
        ("GET", _PROXY + r"/toxics", False, lambda proxy: server.call(lambda: server.show(proxy)).toxics_json()),
        (
            "POST",
            _PROXY + r"/toxics",
            True,
            lambda proxy, body: server.call(lambda: server.toxic_create(proxy, body)).as_json(),
        ),
        ("GET", _TOXIC, False, lambda proxy, toxic: server.call(lambda: server.toxic_show(proxy, toxic)).as_json()),
        (
            "POST|PATCH",
            _TOXIC,
            True,
            lambda proxy, toxic, body: server.call(lambda: server.toxic_update(proxy, toxic, body)).as_json(),
        ),
        ("DELETE", _TOXIC, False, lambda proxy, toxic: server.call(lambda: server.toxic_delete(proxy, toxic))),
    ]

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, payload: object | None) -> None:
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            if payload is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _dispatch(self) -> None:
            path = self.path.split("?", 1)[0]
            for methods, pattern, takes_body, operation in routes:
                match = re.fullmatch(pattern, path)
                if match is None or self.command not in methods.split("|"):
                    continue
                arguments: list[object] = list(match.groups())
                try:
                    if takes_body:
                        length = int(self.headers.get("Content-Length") or 0)
                        raw = self.rfile.read(length) if length else b""
                        try:
                            arguments.append(json.loads(raw) if raw else None)
                        except ValueError as error:
                            raise ApiError(ERROR_BAD_BODY, str(error)) from None
                    result = operation(*arguments)
                except ApiError as error:
                    self._answer(error.status, {"error": error.message, "status": error.status})
                    return
                except OSError as error:  # a listen address taken: Toxiproxy answers 500 with the reason
                    self._answer(500, {"error": str(error), "status": 500})
                    return
                if isinstance(result, tuple):
                    self._answer(*result)  # pyright: ignore[reportUnknownArgumentType]
                elif result is None:
                    self._answer(204, None)
                else:
                    self._answer(200, result)
                return
            self._answer(404, {"error": "404 page not found", "status": 404})

        do_GET = do_POST = do_PATCH = do_DELETE = _dispatch  # noqa: N815 - the names http.server calls

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def fault_proxy_server() -> Iterator[FaultProxyServer]:
    """A running fault proxy and its API; every proxy is stopped on exit."""
    server = FaultProxyServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
