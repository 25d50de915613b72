"""The loopback fault proxy holds to Toxiproxy's HTTP API contract (its README and api.go):
the fields, defaults, statuses and error messages, and what each toxic does to real traffic.

The experiments' own client, chaostoolkit-toxiproxy, is driven against it too.
"""

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from chaostoxi.proxy import actions as proxy_actions
from chaostoxi.toxic import actions as toxic_actions

from tests.support.fault_proxy import (
    ERROR_INVALID_STREAM,
    ERROR_INVALID_TOXIC_TYPE,
    ERROR_PROXY_EXISTS,
    ERROR_PROXY_NOT_FOUND,
    ERROR_TOXIC_EXISTS,
    ERROR_TOXIC_NOT_FOUND,
    FaultProxyServer,
    fault_proxy_server,
)

# Comfortably above what a loopback round trip costs on a busy machine, well below the delays.
FAST_SECONDS = 0.15


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        # The proxy's reset_peer and down cut this side too: that ends the echo, quietly.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            while data := self.request.recv(65536):
                self.request.sendall(data)


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def toxiproxy() -> Iterator[FaultProxyServer]:
    with fault_proxy_server() as server:
        yield server


@pytest.fixture
def api(toxiproxy: FaultProxyServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=toxiproxy.api_url, timeout=5) as client:
        yield client


def _proxy(api: httpx.Client, echo_port: int, name: str = "echo") -> int:
    created = api.post("/proxies", json={"name": name, "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{echo_port}"})
    assert created.status_code == 201, created.text
    return int(created.json()["listen"].rsplit(":", 1)[1])


def _round_trip(port: int, payload: bytes = b"ping", *, timeout: float = 5) -> tuple[bytes, float]:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        return sock.recv(65536), time.monotonic() - started


def test_proxies_are_created_listed_shown_and_deleted_with_toxiproxys_fields_and_errors(
    api: httpx.Client, echo_port: int
) -> None:
    port = _proxy(api, echo_port)
    shown = api.get("/proxies/echo").json()
    assert shown == {
        "name": "echo",
        "listen": f"127.0.0.1:{port}",
        "upstream": f"127.0.0.1:{echo_port}",
        "enabled": True,
        "toxics": [],
    }
    assert api.get("/proxies").json() == {"echo": shown}
    assert _round_trip(port)[0] == b"ping"

    again = api.post("/proxies", json={"name": "echo", "upstream": f"127.0.0.1:{echo_port}"})
    assert (again.status_code, again.json()["error"]) == (ERROR_PROXY_EXISTS[1], ERROR_PROXY_EXISTS[0])
    no_upstream = api.post("/proxies", json={"name": "x"})
    assert no_upstream.json() == {"error": "missing required field: upstream", "status": 400}
    assert api.post("/proxies", content=b"{").status_code == 400
    missing = api.get("/proxies/nope")
    assert (missing.status_code, missing.json()["error"]) == (ERROR_PROXY_NOT_FOUND[1], ERROR_PROXY_NOT_FOUND[0])

    assert api.delete("/proxies/echo").status_code == 204
    assert api.get("/proxies").json() == {}
    with pytest.raises(ConnectionRefusedError):
        _round_trip(port)
    assert api.get("/version").json()["version"]


def test_a_disabled_proxy_is_down_cutting_open_connections_and_comes_back_on_its_address(
    api: httpx.Client, echo_port: int
) -> None:
    port = _proxy(api, echo_port)
    open_connection = socket.create_connection(("127.0.0.1", port), timeout=5)
    open_connection.sendall(b"a")
    assert open_connection.recv(10) == b"a"

    down = api.post("/proxies/echo", json={"enabled": False})
    assert down.status_code == 200 and down.json()["enabled"] is False
    assert open_connection.recv(10) == b""  # cut
    open_connection.close()
    with pytest.raises(ConnectionRefusedError):
        _round_trip(port)

    up = api.patch("/proxies/echo", json={"enabled": True})
    assert up.json()["enabled"] is True and up.json()["listen"] == f"127.0.0.1:{port}"
    assert _round_trip(port)[0] == b"ping"

    api.post("/proxies/echo", json={"enabled": False})
    assert api.post("/reset").status_code == 204  # enables every proxy
    assert _round_trip(port)[0] == b"ping"


def test_toxics_take_toxiproxys_defaults_and_answer_its_errors(api: httpx.Client, echo_port: int) -> None:
    _proxy(api, echo_port)
    created = api.post("/proxies/echo/toxics", json={"type": "latency", "attributes": {"latency": 10}})
    assert created.status_code == 200
    assert created.json() == {
        "attributes": {"latency": 10, "jitter": 0},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
    }
    for body, error in (
        ({"type": "latency"}, ERROR_TOXIC_EXISTS),
        ({"type": "latency", "stream": "sideways"}, ERROR_INVALID_STREAM),
        ({"type": "bandwidth", "attributes": {"rate": 1}}, ERROR_INVALID_TOXIC_TYPE),
    ):
        answer = api.post("/proxies/echo/toxics", json=body)
        assert answer.json() == {"error": error[0], "status": error[1]}, body
    updated = api.post("/proxies/echo/toxics/latency_downstream", json={"attributes": {"jitter": 5}, "toxicity": 0.5})
    assert updated.json()["attributes"] == {"latency": 10, "jitter": 5} and updated.json()["toxicity"] == 0.5
    assert api.get("/proxies/echo/toxics").json() == [updated.json()]
    assert api.get("/proxies/echo").json()["toxics"] == [updated.json()]
    assert api.delete("/proxies/echo/toxics/latency_downstream").status_code == 204
    gone = api.get("/proxies/echo/toxics/latency_downstream")
    assert (gone.status_code, gone.json()["error"]) == (ERROR_TOXIC_NOT_FOUND[1], ERROR_TOXIC_NOT_FOUND[0])


def test_latency_delays_each_way_it_is_set_on_and_goes_with_the_toxic(api: httpx.Client, echo_port: int) -> None:
    port = _proxy(api, echo_port)
    assert _round_trip(port)[1] < FAST_SECONDS
    api.post("/proxies/echo/toxics", json={"type": "latency", "stream": "upstream", "attributes": {"latency": 300}})
    reply, elapsed = _round_trip(port)
    assert reply == b"ping" and 0.3 <= elapsed < 0.3 + FAST_SECONDS
    api.post("/proxies/echo/toxics", json={"type": "latency", "attributes": {"latency": 200}})
    assert 0.5 <= _round_trip(port)[1] < 0.5 + FAST_SECONDS
    api.post("/reset")
    assert _round_trip(port)[1] < FAST_SECONDS


def test_timeout_drops_data_then_closes_after_its_quiet_period_or_never_with_zero(
    api: httpx.Client, echo_port: int
) -> None:
    port = _proxy(api, echo_port)
    api.post("/proxies/echo/toxics", json={"type": "timeout", "attributes": {"timeout": 300}})
    started = time.monotonic()
    assert _round_trip(port)[0] == b""  # nothing came back; the proxy closed the connection
    assert 0.3 <= time.monotonic() - started < 0.3 + FAST_SECONDS

    api.post("/proxies/echo/toxics/timeout_downstream", json={"attributes": {"timeout": 0}})
    with pytest.raises(TimeoutError):
        _round_trip(port, timeout=0.6)
    api.delete("/proxies/echo/toxics/timeout_downstream")
    assert _round_trip(port)[0] == b"ping"


def test_reset_peer_resets_the_connection_on_its_next_data(api: httpx.Client, echo_port: int) -> None:
    port = _proxy(api, echo_port)
    idle = socket.create_connection(("127.0.0.1", port), timeout=5)
    api.post("/proxies/echo/toxics", json={"type": "reset_peer", "stream": "upstream", "attributes": {"timeout": 100}})
    idle.sendall(b"x")  # an open connection is reset too, once data flows
    with pytest.raises(ConnectionResetError):
        idle.recv(10)
    idle.close()
    with pytest.raises(ConnectionResetError):
        _round_trip(port)


def test_a_toxic_applies_to_a_connection_with_the_chance_its_toxicity_gives(api: httpx.Client, echo_port: int) -> None:
    port = _proxy(api, echo_port)
    api.post("/proxies/echo/toxics", json={"type": "reset_peer", "toxicity": 0.0})
    assert _round_trip(port)[0] == b"ping"


def test_populate_creates_or_keeps_proxies_by_name(api: httpx.Client, echo_port: int) -> None:
    proxies = [{"name": "a", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{echo_port}"}]
    first = api.post("/populate", json=proxies)
    assert first.status_code == 201
    listen = first.json()["proxies"][0]["listen"]
    assert api.post("/populate", json=proxies).json()["proxies"][0]["listen"] == listen  # untouched
    assert api.post("/populate", json=[{"listen": "127.0.0.1:0"}]).json()["error"] == (
        "missing required field: name at proxy 1"
    )


def test_chaostoolkit_toxiproxy_drives_it(toxiproxy: FaultProxyServer, echo_port: int) -> None:
    # chaoslib types a configuration as dict[str, dict[str, str]]; its values are plain strings too.
    configuration: Any = {"toxiproxy_url": toxiproxy.api_url}
    port = toxiproxy.proxy_add("db", upstream_port=echo_port)
    assert toxic_actions.create_latency_toxic("db", "slow", latency=250, configuration=configuration)
    assert _round_trip(port)[1] >= 0.25
    assert toxic_actions.delete_toxic("db", "slow", configuration=configuration)
    assert proxy_actions.disable_proxy("db", configuration=configuration)
    with pytest.raises(ConnectionRefusedError):
        _round_trip(port)
    assert proxy_actions.enable_proxy("db", configuration=configuration)
    assert toxic_actions.create_timeout_toxic("db", "cut", timeout=100, configuration=configuration)
    assert proxy_actions.reset(configuration=configuration)
    assert _round_trip(port)[0] == b"ping"
