"""Fixtures for the edge: the real app under uvicorn behind the real nginx, on loopback."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.infra.edge.certs import Authority
from tests.infra.edge.nginx_runner import Edge, edge_env, edge_render, edge_running
from tests.infra.edge.tools import INSTALL_HINT, edge_tools_missing
from tests.plugin import postgres_cluster
from tests.support.live_app import LiveApp, live_app, live_app_env

# Small, so the tests move few bytes; the edge's limit is rendered from the same value.
SMALL_UPLOAD_MAX_BYTES = 100_000
ACCEL_PREFIX = "/_protected"
DOMAIN = "edge.example.test"
# A loopback address standing in for a Cloudflare edge (added to the ranges file).
CLOUDFLARE_PEER = "127.0.0.2"


@pytest.fixture(scope="session", autouse=True)
def edge_tools() -> None:
    missing = edge_tools_missing()
    if missing:
        # CI names them in REQUIRE_TOOLS, so there the run stops before reaching this.
        pytest.skip(f"edge tools not installed: {', '.join(missing)} ({INSTALL_HINT})")


@dataclass(frozen=True)
class EdgeApp:
    app: LiveApp
    var_dir: Path

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.app.token}"}

    def access_entries(self) -> list[dict[str, object]]:
        entries = []
        for line in self.app.log_lines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("logger") == "app.access":
                    entries.append(entry)
        return entries

    def access_entry(self, request_id: str) -> dict[str, object]:
        matches = [entry for entry in self.access_entries() if entry.get("request_id") == request_id]
        assert len(matches) == 1, f"app logged {len(matches)} requests with id {request_id}"
        return matches[0]


@pytest.fixture(scope="session")
def edge_app(edge_tools: None) -> Iterator[EdgeApp]:
    """The app as the edge tests run it: small upload limit, downloads through X-Accel-Redirect."""
    env = live_app_env(
        postgres_cluster(),
        {
            "FILES_SMALL_UPLOAD_MAX_BYTES": str(SMALL_UPLOAD_MAX_BYTES),
            "FILES_LOCAL_ACCEL_REDIRECT_PREFIX": ACCEL_PREFIX,
        },
    )
    with live_app(env, serve_args=("--forwarded-allow-ips", "127.0.0.1")) as app:
        yield EdgeApp(app=app, var_dir=Path(env["APP_VAR_DIR"]))


@pytest.fixture(scope="session")
def edge_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site certificate, a stand-in for Cloudflare's origin-pull CA and its client certificate."""
    directory = tmp_path_factory.mktemp("edge-certs")
    Authority.create("site test CA").issue(directory / "site.pem", directory / "site.key", hosts=(DOMAIN,))
    origin_pull = Authority.create("origin pull test CA")
    origin_pull.write(directory / "origin-pull-ca.pem")
    origin_pull.issue(directory / "cloudflare.pem", directory / "cloudflare.key", client=True)
    return directory


def _app_settings(edge_app: EdgeApp) -> dict[str, str]:
    """What render.sh reads from the app's own environment."""
    return {
        "FILES_SMALL_UPLOAD_MAX_BYTES": str(SMALL_UPLOAD_MAX_BYTES),
        "FILES_LOCAL_ACCEL_REDIRECT_PREFIX": ACCEL_PREFIX,
        "APP_VAR_DIR": str(edge_app.var_dir),
    }


def vm_settings(certs: Path, webroot: Path) -> dict[str, str]:
    return {
        "EDGE_DOMAIN": DOMAIN,
        "EDGE_TLS_CERT": str(certs / "site.pem"),
        "EDGE_TLS_KEY": str(certs / "site.key"),
        "EDGE_ACME_WEBROOT": str(webroot),
    }


@pytest.fixture(scope="session")
def router(edge_app: EdgeApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    """The compose router (nginx/sites/compose.conf.template) in front of the app."""
    prefix = tmp_path_factory.mktemp("router")
    env = edge_env(prefix, upstream_port=edge_app.app.port, settings=_app_settings(edge_app))
    with edge_running(edge_render("compose", prefix, env)) as edge:
        yield edge


@pytest.fixture(scope="session")
def vm_site(edge_app: EdgeApp, edge_certs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    """The bare VM site (TLS, no Cloudflare) with X-Accel-Redirect downloads."""
    prefix = tmp_path_factory.mktemp("vm-site")
    webroot = prefix / "acme"
    (webroot / ".well-known" / "acme-challenge").mkdir(parents=True)
    settings = _app_settings(edge_app) | vm_settings(edge_certs, webroot)
    env = edge_env(prefix, upstream_port=edge_app.app.port, settings=settings)
    with edge_running(edge_render("vm", prefix, env)) as edge:
        yield edge


@pytest.fixture(scope="session")
def cloudflare_site(edge_app: EdgeApp, edge_certs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    """The VM site in Cloudflare mode with authenticated origin pulls."""
    prefix = tmp_path_factory.mktemp("cloudflare-site")
    settings = (
        _app_settings(edge_app)
        | vm_settings(edge_certs, prefix / "acme")
        | {"EDGE_CLOUDFLARE": "1", "EDGE_ORIGIN_PULL_CA": str(edge_certs / "origin-pull-ca.pem")}
    )
    env = edge_env(prefix, upstream_port=edge_app.app.port, settings=settings)
    edge = edge_render("vm", prefix, env)
    # Cloudflare's real ranges stay; a loopback address joins them as the test's Cloudflare edge.
    with (edge.conf_dir / "cloudflare" / "ips.conf").open("a") as ranges:
        ranges.write(f"set_real_ip_from {CLOUDFLARE_PEER};\n")
    with edge_running(edge) as running:
        yield running
