"""Every shipped configuration loads in the real nginx; render.sh and the shell scripts hold up."""

import functools
import http.server
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.infra.edge.certs import Authority
from tests.infra.edge.conftest import DOMAIN
from tests.infra.edge.nginx_runner import RENDER, REPO, Edge, edge_env, edge_render, nginx_check

SHELL_SCRIPTS = sorted([*REPO.joinpath("nginx").rglob("*.sh"), *REPO.joinpath("deploy").rglob("*.sh")])
UPDATE_IPS = REPO / "nginx" / "cloudflare" / "update-ips.sh"


@pytest.fixture
def certs(tmp_path: Path) -> Path:
    authority = Authority.create("config test CA")
    authority.write(tmp_path / "ca.pem")
    authority.issue(tmp_path / "site.pem", tmp_path / "site.key", hosts=(DOMAIN,))
    return tmp_path


def _vm(certs: Path, **extra: str) -> dict[str, str]:
    return {
        "EDGE_DOMAIN": DOMAIN,
        "EDGE_TLS_CERT": str(certs / "site.pem"),
        "EDGE_TLS_KEY": str(certs / "site.key"),
        "EDGE_ACME_WEBROOT": str(certs / "acme"),
    } | extra


VARIANTS = {
    "compose": ("compose", lambda certs: {}),
    "vm": ("vm", lambda certs: _vm(certs)),
    "vm-cloudflare-origin-pull-accel": (
        "vm",
        lambda certs: _vm(
            certs,
            EDGE_CLOUDFLARE="1",
            EDGE_ORIGIN_PULL_CA=str(certs / "ca.pem"),
            FILES_LOCAL_ACCEL_REDIRECT_PREFIX="/_protected",
        ),
    ),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_shipped_configuration_passes_nginx_t(variant: str, certs: Path, tmp_path: Path) -> None:
    target, settings = VARIANTS[variant]
    prefix = tmp_path / "nginx"
    edge = edge_render(target, prefix, edge_env(prefix, upstream_port=8000, settings=settings(certs)))

    checked = nginx_check(edge)

    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


@pytest.mark.parametrize("target", ["compose", "vm"])
def test_render_sets_the_body_limit_from_the_apps_small_upload_limit(target: str, certs: Path, tmp_path: Path) -> None:
    settings = _vm(certs) if target == "vm" else {}
    env = edge_env(tmp_path, upstream_port=8000, settings=settings | {"FILES_SMALL_UPLOAD_MAX_BYTES": "123456"})
    edge = edge_render(target, tmp_path, env)

    site = (edge.conf_dir / "site.conf").read_text()
    assert f"client_max_body_size {123456 + 65536};" in site


@pytest.mark.parametrize(
    ("target", "setting", "message"),
    [
        ("compose", {"FILES_SMALL_UPLOAD_MAX_BYTES": "10M"}, "whole number of bytes"),
        ("compose", {"APP_UPSTREAM": "app:8000; include /etc/passwd"}, "single word"),
        ("vm", {"EDGE_DOMAIN": "bad domain"}, "not a domain name"),
        ("vm", {"EDGE_CLOUDFLARE": "yes"}, "EDGE_CLOUDFLARE must be 0 or 1"),
        ("vm", {"EDGE_ORIGIN_PULL_CA": "/x.pem"}, "needs EDGE_CLOUDFLARE=1"),
        ("vm", {"FILES_LOCAL_ACCEL_REDIRECT_PREFIX": "_protected"}, "must be a path"),
        ("vm", {"EDGE_NGINX_VERSION": "latest"}, "EDGE_NGINX_VERSION"),
    ],
)
def test_render_refuses_bad_settings_naming_them(
    target: str, setting: dict[str, str], message: str, certs: Path, tmp_path: Path
) -> None:
    settings = (_vm(certs) if target == "vm" else {}) | setting
    env = edge_env(tmp_path, upstream_port=8000, settings=settings)

    rendered = subprocess.run([RENDER, target, tmp_path / "conf"], env=env, capture_output=True, text=True)

    assert rendered.returncode != 0
    assert message in rendered.stderr


def _https_listen(edge: Edge) -> list[str]:
    return (edge.conf_dir / "generated" / "listen-https.conf").read_text().splitlines()


def _installed_nginx_version() -> tuple[int, ...]:
    reported = subprocess.run(["nginx", "-v"], capture_output=True, text=True, check=True).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", reported)
    assert found, reported
    return tuple(int(part) for part in found.groups())


@pytest.mark.parametrize(
    ("version", "has_http2_directive"),
    [("1.22.1", False), ("1.24.0", False), ("1.25.0", False), ("1.25.1", True), ("1.26.3", True), ("1.30.2", True)],
)
def test_vm_https_listener_takes_the_http2_form_of_the_nginx_it_is_rendered_for(
    version: str, has_http2_directive: bool, certs: Path, tmp_path: Path
) -> None:
    env = edge_env(tmp_path, upstream_port=8000, settings=_vm(certs, EDGE_NGINX_VERSION=version))

    lines = _https_listen(edge_render("vm", tmp_path, env))

    listens = [line for line in lines if line.startswith("listen ")]
    assert listens
    if has_http2_directive:
        assert "http2 on;" in lines
        assert all(line.endswith(" ssl;") for line in listens), lines
    else:
        assert "http2 on;" not in lines
        assert all(line.endswith(" ssl http2;") for line in listens), lines


def test_render_asks_the_installed_nginx_which_http2_form_it_takes(certs: Path, tmp_path: Path) -> None:
    edge = edge_render("vm", tmp_path, edge_env(tmp_path, upstream_port=8000, settings=_vm(certs)))

    checked = nginx_check(edge)

    assert ("http2 on;" in _https_listen(edge)) == (_installed_nginx_version() >= (1, 25, 1))
    assert checked.returncode == 0, checked.stderr
    assert "deprecated" not in checked.stderr


def test_vm_target_requires_a_domain(tmp_path: Path) -> None:
    rendered = subprocess.run(
        [RENDER, "vm", tmp_path / "conf"],
        env=edge_env(tmp_path, upstream_port=8000),
        capture_output=True,
        text=True,
    )

    assert rendered.returncode != 0
    assert "EDGE_DOMAIN is required" in rendered.stderr


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda path: str(path.relative_to(REPO)))
def test_shell_script_passes_shellcheck(script: Path) -> None:
    checked = subprocess.run(["shellcheck", "--shell=sh", script], capture_output=True, text=True)

    assert checked.returncode == 0, checked.stdout


def test_cloudflare_ranges_file_holds_only_set_real_ip_from_networks() -> None:
    lines = [
        line
        for line in (REPO / "nginx" / "cloudflare" / "ips.conf").read_text().splitlines()
        if line and line[0] != "#"
    ]

    assert len(lines) > 10
    assert all(line.startswith("set_real_ip_from ") and line.endswith(";") and "/" in line for line in lines)
    assert any(":" in line for line in lines), "no IPv6 ranges"


@pytest.fixture
def published_lists(tmp_path: Path) -> Iterator[str]:
    """Cloudflare's two lists, served on loopback."""
    (tmp_path / "ips-v4").write_text("173.245.48.0/20\n103.21.244.0/22")
    (tmp_path / "ips-v6").write_text("2400:cb00::/32\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_update_ips_rewrites_the_ranges_from_the_published_lists(published_lists: str, tmp_path: Path) -> None:
    output = tmp_path / "ips.conf"

    subprocess.run(
        [UPDATE_IPS, output],
        env={"PATH": "/usr/bin:/bin", "CLOUDFLARE_IPS_BASE_URL": published_lists},
        check=True,
    )

    ranges = [line for line in output.read_text().splitlines() if not line.startswith("#")]
    assert ranges == [
        "set_real_ip_from 173.245.48.0/20;",
        "set_real_ip_from 103.21.244.0/22;",
        "set_real_ip_from 2400:cb00::/32;",
    ]


def test_update_ips_keeps_the_file_when_a_list_is_not_addresses(published_lists: str, tmp_path: Path) -> None:
    output = tmp_path / "ips.conf"
    output.write_text("kept\n")
    (tmp_path / "ips-v4").write_text("<html>error</html>\n")

    updated = subprocess.run(
        [UPDATE_IPS, output],
        env={"PATH": "/usr/bin:/bin", "CLOUDFLARE_IPS_BASE_URL": published_lists},
        capture_output=True,
        text=True,
    )

    assert updated.returncode != 0
    assert output.read_text() == "kept\n"
