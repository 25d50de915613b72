"""Cloudflare mode: the client address from CF-Connecting-IP only from Cloudflare; origin pulls."""

import ssl
from pathlib import Path

import httpx

from tests.infra.edge.certs import Authority
from tests.infra.edge.conftest import CLOUDFLARE_PEER, EdgeApp
from tests.infra.edge.nginx_runner import Edge

CLIENT_ADDRESS = "203.0.113.50"


def _client(edge_certs: Path, edge_app: EdgeApp, *, source: str, with_certificate: bool = True) -> httpx.Client:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if with_certificate:
        context.load_cert_chain(edge_certs / "cloudflare.pem", edge_certs / "cloudflare.key")
    transport = httpx.HTTPTransport(verify=context, local_address=source)
    return httpx.Client(transport=transport, headers=edge_app.auth, timeout=10)


def test_cloudflare_peer_sets_the_client_address_from_cf_connecting_ip(
    cloudflare_site: Edge, edge_app: EdgeApp, edge_certs: Path
) -> None:
    headers = {"CF-Connecting-IP": CLIENT_ADDRESS, "X-Forwarded-For": "198.51.100.7"}
    with _client(edge_certs, edge_app, source=CLOUDFLARE_PEER) as client:
        response = client.get(cloudflare_site.https_url("/api/v1/me"), headers=headers)

    assert response.status_code == 200, response.text
    request_id = response.headers["x-request-id"]
    assert edge_app.access_entry(request_id)["client_ip"] == CLIENT_ADDRESS
    logged = cloudflare_site.access_entry(request_id)
    assert (logged["client_ip"], logged["peer_ip"]) == (CLIENT_ADDRESS, CLOUDFLARE_PEER)


def test_peer_outside_cloudflare_ranges_cannot_set_the_client_address(
    cloudflare_site: Edge, edge_app: EdgeApp, edge_certs: Path
) -> None:
    headers = {"CF-Connecting-IP": CLIENT_ADDRESS, "X-Forwarded-For": CLIENT_ADDRESS}
    with _client(edge_certs, edge_app, source="127.0.0.1") as client:
        response = client.get(cloudflare_site.https_url("/api/v1/me"), headers=headers)

    assert response.status_code == 200, response.text
    assert edge_app.access_entry(response.headers["x-request-id"])["client_ip"] == "127.0.0.1"


def test_origin_pull_refuses_clients_without_cloudflare_certificate(
    cloudflare_site: Edge, edge_app: EdgeApp, edge_certs: Path
) -> None:
    with _client(edge_certs, edge_app, source=CLOUDFLARE_PEER, with_certificate=False) as client:
        response = client.get(cloudflare_site.https_url("/api/v1/me"))

    assert response.status_code == 400
    assert all(entry["request_id"] != response.headers.get("x-request-id") for entry in edge_app.access_entries())


def test_origin_pull_refuses_a_certificate_from_another_ca(
    cloudflare_site: Edge, edge_app: EdgeApp, edge_certs: Path, tmp_path: Path
) -> None:
    Authority.create("not Cloudflare").issue(tmp_path / "c.pem", tmp_path / "c.key", client=True)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "c.key")
    response = httpx.get(cloudflare_site.https_url("/healthz"), verify=context)

    assert response.status_code == 400
    assert "certificate" in response.text
