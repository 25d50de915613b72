"""The bare VM site: TLS, redirects, HSTS, proxying as https, X-Accel-Redirect downloads."""

import socket
import ssl
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from tests.infra.edge.conftest import DOMAIN, SMALL_UPLOAD_MAX_BYTES, EdgeApp
from tests.infra.edge.nginx_runner import Edge

# Mozilla intermediate's TLS 1.2 suites, as OpenSSL names them.
INTERMEDIATE_TLS12_CIPHERS = {
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
}


def _https(edge_app: EdgeApp | None = None) -> httpx.Client:
    # The site certificate is for DOMAIN, reached here as 127.0.0.1: TLS itself is tested below.
    headers = edge_app.auth if edge_app else {}
    return httpx.Client(verify=False, headers=headers, timeout=10)  # noqa: S501


def _upload_hello(client: httpx.Client, edge: Edge) -> str:
    uploaded = client.post(edge.https_url("/api/v1/files"), files={"file": ("a.txt", b"hello\n", "text/plain")})
    assert uploaded.status_code == 201, uploaded.text
    return uploaded.json()["id"]


def _handshake(port: int, context: ssl.SSLContext) -> ssl.SSLSocket:
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return context.wrap_socket(raw, server_hostname=DOMAIN)


def test_http_redirects_to_https_except_the_acme_challenge(vm_site: Edge) -> None:
    webroot = Path(vm_site.env["EDGE_ACME_WEBROOT"])
    (webroot / ".well-known" / "acme-challenge" / "token-1").write_text("token-1.thumbprint")

    redirected = httpx.get(vm_site.http_url("/api/v1/me?x=1"))
    challenge_answer = httpx.get(vm_site.http_url("/.well-known/acme-challenge/token-1"))
    unknown_challenge = httpx.get(vm_site.http_url("/.well-known/acme-challenge/nope"))

    assert redirected.status_code == 301
    assert redirected.headers["location"] == vm_site.https_url("/api/v1/me?x=1")
    assert (challenge_answer.status_code, challenge_answer.text) == (200, "token-1.thumbprint")
    assert unknown_challenge.status_code == 404


def test_https_offers_tls_1_2_and_1_3_with_forward_secret_aead_suites(vm_site: Edge) -> None:
    tls13 = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls13.minimum_version = ssl.TLSVersion.TLSv1_3
    tls12 = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2

    with (
        _handshake(vm_site.https_port, tls13) as modern,
        _handshake(vm_site.https_port, tls12) as older,
    ):
        assert modern.version() == "TLSv1.3"
        assert older.version() == "TLSv1.2"
        cipher = older.cipher()
        assert cipher is not None
        assert cipher[0] in INTERMEDIATE_TLS12_CIPHERS


def test_https_refuses_tls_1_2_suites_without_forward_secrecy(vm_site: Edge) -> None:
    static_rsa = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    static_rsa.maximum_version = ssl.TLSVersion.TLSv1_2
    static_rsa.set_ciphers("AES128-GCM-SHA256:AES256-SHA:@SECLEVEL=0")

    with pytest.raises(ssl.SSLError):
        _handshake(vm_site.https_port, static_rsa).close()


def test_https_negotiates_http2(vm_site: Edge) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.set_alpn_protocols(["h2", "http/1.1"])

    with _handshake(vm_site.https_port, context) as tls:
        assert tls.selected_alpn_protocol() == "h2"


def test_https_sends_hsts_and_security_headers(vm_site: Edge) -> None:
    with _https() as client:
        response = client.get(vm_site.https_url("/healthz"))

    assert response.status_code == 200
    assert response.headers.get_list("strict-transport-security") == ["max-age=63072000; includeSubDomains"]
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    assert response.headers.get_list("x-frame-options") == ["DENY"]


def test_vm_site_tells_the_app_https_and_the_peer_address_never_a_spoofed_one(vm_site: Edge, edge_app: EdgeApp) -> None:
    spoofed = {"X-Forwarded-For": "198.51.100.7", "CF-Connecting-IP": "198.51.100.8"}
    with _https(edge_app) as client:
        response = client.get(vm_site.https_url("/api/v1/me"), headers=spoofed)

    assert response.status_code == 200, response.text
    logged = edge_app.access_entry(response.headers["x-request-id"])
    assert (logged["client_ip"], logged["scheme"]) == ("127.0.0.1", "https")


def test_direct_upload_route_takes_files_over_the_small_upload_limit(vm_site: Edge, edge_app: EdgeApp) -> None:
    size = SMALL_UPLOAD_MAX_BYTES + 100_000
    with _https(edge_app) as client:
        started = client.post(
            vm_site.https_url("/api/v1/uploads"),
            json={"filename": "big.txt", "size": size, "content_type": "text/plain"},
        )
        assert started.status_code == 201, started.text
        target = started.json()
        assert target["upload_url"].startswith(vm_site.https_url("/files/local/upload/"))
        put = client.request(target["method"], target["upload_url"], headers=target["headers"], content=b"b" * size)
        completed = client.post(vm_site.https_url(f"/api/v1/uploads/{target['id']}/complete"))

    assert put.status_code == 200, put.text
    assert completed.status_code == 200, completed.text
    assert completed.json()["size"] == size


def test_local_download_bytes_are_sent_by_nginx_through_x_accel_redirect(vm_site: Edge, edge_app: EdgeApp) -> None:
    with _https(edge_app) as client:
        file_id = _upload_hello(client, vm_site)
        redirect = client.get(vm_site.https_url(f"/api/v1/files/{file_id}/download"))
        assert redirect.status_code == 302
        download_url = urljoin(vm_site.https_url("/"), redirect.headers["location"])
        through_nginx = client.get(download_url)
    from_app = httpx.get(edge_app.app.base_url + httpx.URL(download_url).raw_path.decode())

    # The app itself answers with a redirect for nginx and no bytes...
    assert from_app.headers["x-accel-redirect"].startswith("/_protected/uploads/")
    assert from_app.content == b""
    # ...and nginx sends the file, hiding the internal path.
    assert through_nginx.status_code == 200
    assert through_nginx.content == b"hello\n"
    assert "x-accel-redirect" not in through_nginx.headers
    assert through_nginx.headers["content-disposition"].startswith("attachment")
    assert through_nginx.headers.get_list("x-content-type-options") == ["nosniff"]


def test_accel_redirect_prefix_is_not_reachable_from_outside(vm_site: Edge, edge_app: EdgeApp) -> None:
    with _https(edge_app) as client:
        file_id = _upload_hello(client, vm_site)
        stored = next((edge_app.var_dir / "media" / "uploads").glob(f"*/{file_id}*"))
        response = client.get(vm_site.https_url(f"/_protected/{stored.relative_to(edge_app.var_dir / 'media')}"))

    assert response.status_code == 404
