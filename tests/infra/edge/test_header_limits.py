"""The edge caps the request head, which uvicorn does not: its size and its number of headers.

Measured against the real nginx in front of the real app. Over HTTP/1.1 one
header line (or the request line) must fit one large buffer (8 KiB) and the head
all of them (1 KiB + 4 x 8 KiB); over HTTP/2 the decoded head must fit 32 KiB.
The count is max_headers, which render.sh sets wherever nginx has it.
"""

import http.client
import json
import re
import subprocess
from pathlib import Path

from tests.infra.edge.nginx_runner import Edge
from tests.support.tools import system_tool

LARGE_BUFFER_BYTES = 8 * 1024
# Headers every request below carries besides the ones a test adds.
BASE_HEADERS = [("Host", "localhost"), ("Connection", "close")]


def _max_headers(edge: Edge) -> int:
    rendered = (edge.conf_dir / "generated" / "header-count.conf").read_text()
    found = re.search(r"^max_headers (\d+);", rendered, re.MULTILINE)
    assert found, f"render.sh set no header count although this nginx has max_headers:\n{rendered}"
    return int(found[1])


def _get(edge: Edge, headers: list[tuple[str, str]], path: str = "/healthz") -> http.client.HTTPResponse:
    """GET with exactly these headers (http.client adds none of its own here)."""
    connection = http.client.HTTPConnection("127.0.0.1", edge.http_port, timeout=10)
    connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    for name, value in [*BASE_HEADERS, *headers]:
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    return response


def _assert_problem(response: http.client.HTTPResponse, status: int) -> None:
    assert response.status == status
    assert response.getheader("Content-Type") == "application/problem+json"


def _numbered(count: int) -> list[tuple[str, str]]:
    return [(f"X-Filler-{number}", "v") for number in range(count)]


def test_router_refuses_a_header_line_longer_than_a_large_buffer_with_431(router: Edge) -> None:
    fits = _get(router, [("X-Big", "a" * (LARGE_BUFFER_BYTES - 100))])
    too_long = _get(router, [("X-Big", "a" * LARGE_BUFFER_BYTES)])

    assert fits.status == 200
    _assert_problem(too_long, 431)


def test_router_refuses_a_head_larger_than_all_its_buffers_with_431(router: Edge) -> None:
    three_buffers = _get(router, [(f"X-Big-{n}", "a" * (LARGE_BUFFER_BYTES - 300)) for n in range(3)])
    five_buffers = _get(router, [(f"X-Big-{n}", "a" * (LARGE_BUFFER_BYTES - 300)) for n in range(5)])

    assert three_buffers.status == 200
    _assert_problem(five_buffers, 431)


def test_router_refuses_a_request_line_longer_than_a_large_buffer_with_414(router: Edge) -> None:
    response = _get(router, [], path="/healthz?" + "a" * LARGE_BUFFER_BYTES)

    _assert_problem(response, 414)


def test_router_refuses_more_headers_than_max_headers_with_431(router: Edge) -> None:
    limit = _max_headers(router)

    at_limit = _get(router, _numbered(limit - len(BASE_HEADERS)))
    over_limit = _get(router, _numbered(limit - len(BASE_HEADERS) + 1))
    thousands = _get(router, _numbered(5000))

    assert at_limit.status == 200
    _assert_problem(over_limit, 431)
    _assert_problem(thousands, 431)
    # Refused by the edge: the app never saw them.
    assert router.access_entry(thousands.getheader("X-Request-ID") or "")["upstream_status"] == ""


def _curl_http2(edge: Edge, headers: list[tuple[str, str]], tmp_path: Path) -> tuple[str, str]:
    """(status, body) of a GET over HTTP/2 that carries only these headers (curl's own removed)."""
    config = tmp_path / "headers.curlrc"
    lines = ['header = "User-Agent:"', 'header = "Accept:"']
    lines += [f'header = "{name}: {value}"' for name, value in headers]
    config.write_text("\n".join(lines) + "\n")
    command = [system_tool("curl", "apt-get install curl"), "--silent", "--insecure", "--http2"]
    command += ["--config", str(config), "--write-out", "\n%{http_code} %{http_version}", edge.https_url("/healthz")]
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    body, _, status = completed.stdout.rpartition("\n")
    return status, body


def test_vm_site_caps_the_header_count_over_http2_too(vm_site: Edge, tmp_path: Path) -> None:
    limit = _max_headers(vm_site)

    at_limit = _curl_http2(vm_site, _numbered(limit), tmp_path)
    over_limit = _curl_http2(vm_site, _numbered(limit + 1), tmp_path)

    assert at_limit[0] == "200 2"
    assert over_limit[0] == "431 2"
    assert json.loads(over_limit[1])["code"] == "headers_too_large"


def test_vm_site_resets_an_http2_head_over_its_decoded_size(vm_site: Edge, tmp_path: Path) -> None:
    # Past 4 x 8 KiB decoded, nginx ends the connection (ENHANCE_YOUR_CALM): no response at all.
    status, _ = _curl_http2(vm_site, [(f"X-Big-{n}", "a" * 7000) for n in range(5)], tmp_path)

    assert status.startswith("000"), status
