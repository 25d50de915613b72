"""X-Accel-Redirect downloads on the VM, with nginx's workers as www-data, not root.

The app's state directory is set up as on the VM: the unit's StateDirectoryMode,
then deploy/vm/share-media.sh, as bootstrap.sh runs it when
FILES_LOCAL_ACCEL_REDIRECT_PREFIX is set. The real app stores the file; the real
nginx, its workers www-data, must send it, and read nothing else of the state.
"""

import grp
import os
import re
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from tests.infra.edge.conftest import EdgeApp, vm_settings
from tests.infra.edge.nginx_runner import Edge, edge_env, edge_render, edge_running
from tests.support.paths import REPO_ROOT

VM = REPO_ROOT / "deploy" / "vm"
UNIT = VM / "systemd" / "overengineered-backend.service"
NGINX_USER = "www-data"


def _unit_setting(name: str) -> str:
    found = re.search(rf"^{name}=(\S+)$", UNIT.read_text(), re.MULTILINE)
    assert found, f"{UNIT.name} sets no {name}"
    return found[1]


def _as_nginx_worker(*command: str) -> subprocess.CompletedProcess[str]:
    """A command with the credentials nginx gives its workers: the user, its group and supplementary groups."""
    setpriv = ["setpriv", "--reuid", NGINX_USER, "--regid", NGINX_USER, "--init-groups"]
    return subprocess.run([*setpriv, *command], capture_output=True, text=True, timeout=10, check=False)


@pytest.fixture(scope="module")
def www_data_site(edge_app: EdgeApp, edge_certs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    if os.geteuid() != 0:
        pytest.skip("needs root: nginx switches its workers to www-data")
    prefix = tmp_path_factory.mktemp("vm-site-www-data")
    settings = vm_settings(edge_certs, prefix / "acme") | {
        "FILES_LOCAL_ACCEL_REDIRECT_PREFIX": "/_protected",
        "APP_VAR_DIR": str(edge_app.var_dir),
        "EDGE_NGINX_USER": NGINX_USER,
    }
    env = edge_env(prefix, upstream_port=edge_app.app.port, settings=settings)
    with edge_running(edge_render("vm", prefix, env)) as edge:
        yield edge


def _download(edge: Edge, edge_app: EdgeApp, content: bytes) -> httpx.Response:
    """Stores content through the app, then fetches it through nginx."""
    auth = edge_app.auth
    stored = httpx.post(f"{edge_app.app.base_url}/api/v1/files", headers=auth, files={"file": ("a.txt", content)})
    assert stored.status_code == 201, stored.text
    with httpx.Client(verify=False, headers=auth, timeout=10) as client:  # noqa: S501  # TLS is tested elsewhere
        redirect = client.get(edge.https_url(f"/api/v1/files/{stored.json()['id']}/download"))
        assert redirect.status_code == 302, redirect.text
        return client.get(urljoin(edge.https_url("/"), redirect.headers["location"]))


def test_nginx_workers_send_local_downloads_once_bootstrap_shares_media(www_data_site: Edge, edge_app: EdgeApp) -> None:
    state = edge_app.var_dir
    # What systemd does at each start of the unit.
    state.chmod(int(_unit_setting("StateDirectoryMode"), 8))
    before = _download(www_data_site, edge_app, b"stored before\n")

    shared = subprocess.run(
        [VM / "share-media.sh"],
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "APP_VAR_DIR": str(state), "APP_USER": "root"},
        capture_output=True,
        text=True,
        check=False,
    )
    state.chmod(int(_unit_setting("StateDirectoryMode"), 8))
    after = _download(www_data_site, edge_app, b"stored after\n")
    again = httpx.get(before.url, verify=False)  # noqa: S501

    assert before.status_code == 403
    assert shared.returncode == 0, shared.stderr
    assert (after.status_code, after.content) == (200, b"stored after\n")
    # A file stored before the media directory was shared is served too.
    assert (again.status_code, again.content) == (200, b"stored before\n")
    # The app runs as root here, and Django gives root's files the media root's group
    # anyway; the app user cannot, so on the VM the setgid directories do it.
    nginx_gid = grp.getgrnam(NGINX_USER).gr_gid
    media = state / "media"
    for directory in [media, *(path for path in media.rglob("*") if path.is_dir())]:
        assert directory.stat().st_mode & stat.S_ISGID, directory
        assert directory.stat().st_gid == nginx_gid, directory


def test_nginx_workers_read_nothing_of_the_state_but_media(www_data_site: Edge, edge_app: EdgeApp) -> None:
    state = edge_app.var_dir
    secret_key = state / "secret_key"
    subprocess.run(
        [VM / "share-media.sh"],
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "APP_VAR_DIR": str(state), "APP_USER": "root"},
        check=True,
    )
    state.chmod(int(_unit_setting("StateDirectoryMode"), 8))

    assert _as_nginx_worker("ls", str(state)).returncode != 0
    assert _as_nginx_worker("ls", str(state / "media")).returncode == 0
    assert secret_key.exists()
    assert _as_nginx_worker("cat", str(secret_key)).returncode != 0
