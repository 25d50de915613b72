"""One Dagger version everywhere it is pinned, and one command to move them all."""

import base64
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagger._engine._version import CLI_VERSION

from ci import bump_dagger
from tests.infra.ci.conftest import REPOSITORY
from tests.support.loopback import QuietHandler, serving
from tests.support.tools import system_tool

PLATFORMS = ("linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64")
NEW = "0.22.0"


def _checksums(version: str) -> str:
    """checksums.txt as a Dagger release publishes it, for made-up archive contents."""
    lines = [
        f"{hashlib.sha256(platform.encode()).hexdigest()}  dagger_v{version}_{platform}.tar.gz"
        for platform in PLATFORMS
    ]
    lines.append(f"{hashlib.sha256(b'win').hexdigest()}  dagger_v{version}_windows_amd64.zip")
    return "\n".join(lines) + "\n"


def test_dagger_is_pinned_to_one_version_everywhere() -> None:
    pins = bump_dagger.pinned_versions(REPOSITORY)
    assert {"uv.lock", "flake.nix", ".github/workflows/ci.yml"} <= set(pins)
    locked = pins["uv.lock"]
    assert set(pins.values()) == {locked}, (
        f"Dagger pins disagree: {pins}. If dependabot moved dagger-io in uv.lock, run "
        f"`uv run python -m ci.bump_dagger {locked}` to move flake.nix and the workflows with it."
    )
    assert locked == CLI_VERSION, "the installed SDK is not uv.lock's: run `uv sync`"


def test_release_hashes_are_the_sri_form_of_the_published_checksums() -> None:
    hashes = bump_dagger.release_hashes(_checksums(NEW), NEW, PLATFORMS)
    expected = hashlib.sha256(b"linux_amd64").digest()
    assert hashes["linux_amd64"] == "sha256-" + base64.b64encode(expected).decode()
    assert set(hashes) == set(PLATFORMS)


def test_release_hashes_agree_with_nix() -> None:
    nix = system_tool("nix", "apt-get install nix-bin")
    hexdigest = hashlib.sha256(b"linux_arm64").hexdigest()
    result = subprocess.run(
        [nix, "--extra-experimental-features", "nix-command", "hash", "to-sri", "--type", "sha256", hexdigest],
        capture_output=True,
        text=True,
        check=True,
    )
    assert bump_dagger.release_hashes(_checksums(NEW), NEW, ["linux_arm64"])["linux_arm64"] == result.stdout.strip()


def test_a_platform_missing_from_the_release_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"lists no dagger_v0\.22\.0_linux_arm64\.tar\.gz"):
        bump_dagger.release_hashes(_checksums("0.21.0").replace("0.21.0", NEW, 1), NEW, PLATFORMS)


@pytest.fixture
def checksums_server() -> Iterator[str]:
    """checksums.txt served on loopback, as dl.dagger.io serves it."""

    class Releases(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler dispatches by the method name
            if self.path != f"/dagger/releases/{NEW}/checksums.txt":
                self.send_error(404)
                return
            body = _checksums(NEW).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serving(Releases) as port:
        yield f"http://127.0.0.1:{port}/dagger/releases/{{version}}/checksums.txt"


def test_bump_moves_the_flake_and_every_workflow(tmp_path: Path, checksums_server: str) -> None:
    for name in ("flake.nix", "uv.lock"):
        shutil.copy(REPOSITORY / name, tmp_path / name)
    shutil.copytree(REPOSITORY / ".github" / "workflows", tmp_path / ".github" / "workflows")
    checksums = bump_dagger.fetch_checksums(NEW, checksums_server)
    pins = bump_dagger.bump(tmp_path, NEW, checksums=checksums, lock=False)
    workflows = {
        f".github/workflows/{path.name}": NEW
        for path in sorted((REPOSITORY / ".github" / "workflows").glob("*.yml"))
        if "DAGGER_VERSION:" in path.read_text()
    }
    assert {".github/workflows/ci.yml", ".github/workflows/deploy.yml"} <= set(workflows)
    assert {where: pin for where, pin in pins.items() if where != "uv.lock"} == {"flake.nix": NEW, **workflows}
    flake = (tmp_path / "flake.nix").read_text()
    for hash_ in bump_dagger.release_hashes(checksums, NEW, PLATFORMS).values():
        assert f'hash = "{hash_}";' in flake
    nix_instantiate = system_tool("nix-instantiate", "apt-get install nix-bin")
    subprocess.run([nix_instantiate, "--parse", str(tmp_path / "flake.nix")], check=True, capture_output=True)


def test_a_version_that_is_not_a_release_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bump_dagger.main(["v0.22"])
    assert exit_info.value.code == 2
    assert "not a Dagger release version" in capsys.readouterr().err
