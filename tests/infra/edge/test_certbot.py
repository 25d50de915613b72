"""certbot against a real ACME server (pebble), through the VM site's webroot, renewal included."""

import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.infra.edge.acme import Pebble, pebble_running
from tests.infra.edge.certs import pem_serial, served_certificate
from tests.infra.edge.conftest import DOMAIN, EdgeApp, vm_settings
from tests.infra.edge.load import load_start, load_stop
from tests.infra.edge.nginx_runner import REPO, Edge, edge_env, edge_render, edge_running

VM = REPO / "deploy" / "vm"
RELOAD_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class AcmeSite:
    edge: Edge
    pebble: Pebble
    env: dict[str, str]
    live: Path
    placeholder_serial: int
    issue_seconds: float


def _certbot_env(workdir: Path, pebble: Pebble) -> dict[str, str]:
    """certbot's directories and server, set in cli.ini as on a VM (/etc/letsencrypt/cli.ini)."""
    config_dir = workdir / "letsencrypt"
    hooks = config_dir / "renewal-hooks" / "deploy"
    hooks.mkdir(parents=True)
    # Where bootstrap.sh installs it.
    shutil.copy(VM / "certbot-deploy-hook.sh", hooks / "50-reload-nginx.sh")
    cli_ini = workdir / "xdg" / "letsencrypt" / "cli.ini"
    cli_ini.parent.mkdir(parents=True)
    cli_ini.write_text(
        f"server = {pebble.directory_url}\n"
        f"config-dir = {config_dir}\n"
        f"work-dir = {workdir / 'certbot-work'}\n"
        f"logs-dir = {workdir / 'certbot-logs'}\n"
    )
    return {
        "XDG_CONFIG_HOME": str(workdir / "xdg"),
        "REQUESTS_CA_BUNDLE": str(pebble.ca_bundle),
        "EDGE_CERTBOT_CONFIG_DIR": str(config_dir),
        "EDGE_EMAIL": "ops@example.test",
    }


@pytest.fixture(scope="module")
def acme_site(edge_app: EdgeApp, edge_certs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AcmeSite]:
    """nginx on a placeholder certificate, then deploy/vm/issue-certificate.sh run as on a VM."""
    prefix = tmp_path_factory.mktemp("acme-site")
    webroot = prefix / "acme"
    env = edge_env(prefix, upstream_port=edge_app.app.port, settings=vm_settings(edge_certs, webroot))
    edge = edge_render("vm", prefix, env)
    with (
        edge_running(edge) as running,
        pebble_running(prefix / "pebble", http_port=running.http_port) as pebble,
    ):
        env |= _certbot_env(prefix, pebble) | running.hook_env() | {"EDGE_NGINX_DIR": str(running.conf_dir)}
        started = time.monotonic()
        subprocess.run([VM / "issue-certificate.sh"], env=env, check=True, capture_output=True, text=True)
        yield AcmeSite(
            edge=running,
            pebble=pebble,
            env=env,
            live=Path(env["EDGE_CERTBOT_CONFIG_DIR"]) / "live" / DOMAIN,
            placeholder_serial=pem_serial(edge_certs / "site.pem"),
            issue_seconds=time.monotonic() - started,
        )


def _served_serial(site: AcmeSite) -> int:
    return served_certificate(site.edge.https_port, DOMAIN).serial_number


def _wait_for_serial(site: AcmeSite, serial: int) -> None:
    deadline = time.monotonic() + RELOAD_TIMEOUT_SECONDS
    while _served_serial(site) != serial:
        assert time.monotonic() < deadline, f"nginx still serves {_served_serial(site):x}, not {serial:x}"
        time.sleep(0.1)


def test_certbot_issues_through_the_webroot_and_nginx_serves_the_certificate(
    acme_site: AcmeSite,
) -> None:
    issued = pem_serial(acme_site.live / "fullchain.pem")

    assert issued != acme_site.placeholder_serial
    _wait_for_serial(acme_site, issued)
    served = served_certificate(acme_site.edge.https_port, DOMAIN)
    assert DOMAIN in str(served.extensions)
    print(f"issuance took {acme_site.issue_seconds:.1f}s")


def test_forced_renewal_reloads_nginx_onto_the_new_certificate_without_failing_a_request(
    acme_site: AcmeSite,
) -> None:
    before = pem_serial(acme_site.live / "fullchain.pem")
    _wait_for_serial(acme_site, before)
    unit = (VM / "systemd" / "certbot-renew.service").read_text()
    renew = shlex.split(
        next(line for line in unit.splitlines() if line.startswith("ExecStart=")).removeprefix("ExecStart=")
    )

    # A new connection per request: each one is accepted by a worker, old or new, and must
    # complete. (On a reused keep-alive connection, a request can cross the old worker closing
    # it as idle; HTTP clients retry those, RFC 9112 section 9.3.1.)
    load = load_start(
        acme_site.edge.https_url("/healthz"),
        connections=16,
        seconds=30,
        headers=("Connection: close",),
    )
    time.sleep(1)
    renew_started = time.monotonic()
    subprocess.run([*renew, "--force-renewal"], env=acme_site.env, check=True, capture_output=True, text=True)
    renew_seconds = time.monotonic() - renew_started
    after = pem_serial(acme_site.live / "fullchain.pem")
    _wait_for_serial(acme_site, after)
    time.sleep(1)
    result = load_stop(load)

    assert after != before
    assert result.requests > 100, result.output
    assert (result.socket_errors, result.non_2xx_3xx) == (0, 0), result.output
    print(f"reload under load: {result.requests} requests, 0 errors; renewal {renew_seconds:.1f}s")
