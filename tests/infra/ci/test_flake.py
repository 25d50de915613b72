"""flake.nix: the pinned toolchain, parsed and (with a stub nixpkgs) evaluated offline."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.ci.conftest import REPOSITORY
from tests.infra.ci.test_workflows import locked_dagger_io_version
from tests.support.tools import system_tool

FLAKE = REPOSITORY / "flake.nix"
LOCK = REPOSITORY / "flake.lock"
STUB_NIXPKGS = Path(__file__).parent / "nix_stub"
NIXPKGS_REV = "25f538306313eae3927264466c70d7001dcea1df"
TOOLS = (
    "python312", "uv", "terraform", "docker-client", "cloud-init", "k6", "postgresql_17", "nginx", "certbot",
    "google-cloud-sdk", "ruff", "pyright", "hadolint", "shellcheck", "zizmor",
)  # fmt: skip
NIX_INSTALL = "apt-get install nix-bin"


def _nix_env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / "cache"),
        "NIX_CONFIG": "experimental-features = nix-command flakes",
    }


def test_flake_parses() -> None:
    nix_instantiate = system_tool("nix-instantiate", NIX_INSTALL)
    result = subprocess.run([nix_instantiate, "--parse", str(FLAKE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_lock_pins_nixpkgs_to_a_revision_with_its_hash() -> None:
    lock = json.loads(LOCK.read_text())
    nixpkgs = lock["nodes"]["nixpkgs"]
    assert lock["nodes"]["root"]["inputs"] == {"nixpkgs": "nixpkgs"}
    assert nixpkgs["locked"]["rev"] == NIXPKGS_REV
    assert nixpkgs["locked"]["narHash"].startswith("sha256-")
    assert nixpkgs["original"]["ref"] == "nixos-25.11"
    assert 'inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11"' in FLAKE.read_text()


def test_the_shell_has_every_tool_and_the_dagger_cli_of_dagger_io() -> None:
    text = FLAKE.read_text()
    for tool in TOOLS:
        assert re.search(rf"\bpkgs\.{re.escape(tool)}\b", text), tool
    assert f'daggerVersion = "{locked_dagger_io_version()}";' in text
    assert "(daggerFor pkgs)" in text
    assert 'UV_PYTHON_DOWNLOADS = "never";' in text
    assert "UV_PYTHON = python.interpreter;" in text


def _flake(nix: str, command: str, flake: Path, home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`nix flake <command>` offline, nixpkgs replaced by the stub; `path:` so nix reads files as they are."""
    return subprocess.run(
        [nix, "flake", command, *extra, "--offline", "--no-write-lock-file",
         "--override-input", "nixpkgs", f"path:{STUB_NIXPKGS}", f"path:{flake}"],
        capture_output=True,
        text=True,
        check=False,
        env=_nix_env(home),
        timeout=120,
    )  # fmt: skip


def test_flake_check_evaluates_every_output_against_a_stub_nixpkgs(tmp_path: Path) -> None:
    nix = system_tool("nix", NIX_INSTALL)
    flake = tmp_path / "flake"
    flake.mkdir()
    shutil.copy(FLAKE, flake)
    shutil.copy(LOCK, flake)
    result = _flake(nix, "check", flake, tmp_path)
    assert result.returncode == 0, result.stderr
    shown = _flake(nix, "show", flake, tmp_path, "--json")
    assert shown.returncode == 0, shown.stderr
    outputs = json.loads(shown.stdout)
    for system in ("x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"):
        assert outputs["devShells"][system]["default"]["type"] == "derivation"


def test_flake_check_fails_when_a_tool_does_not_exist(tmp_path: Path) -> None:
    """The stub is strict: a misspelt package fails evaluation, as real nixpkgs would."""
    nix = system_tool("nix", NIX_INSTALL)
    flake = tmp_path / "flake"
    flake.mkdir()
    (flake / "flake.nix").write_text(FLAKE.read_text().replace("pkgs.zizmor", "pkgs.zizmore"))
    shutil.copy(LOCK, flake)
    result = _flake(nix, "check", flake, tmp_path)
    assert result.returncode != 0
    assert "zizmore" in result.stderr


@pytest.mark.parametrize("system", ["x86_64-linux", "aarch64-darwin"])
def test_the_dagger_cli_is_fetched_for_the_locked_version(tmp_path: Path, system: str) -> None:
    nix = system_tool("nix", NIX_INSTALL)
    flake = tmp_path / "flake"
    flake.mkdir()
    shutil.copy(FLAKE, flake)
    shutil.copy(LOCK, flake)
    result = subprocess.run(
        [nix, "eval", "--json", "--offline", "--no-write-lock-file",
         "--override-input", "nixpkgs", f"path:{STUB_NIXPKGS}",
         f"path:{flake}#devShells.{system}.default.packages",
         "--apply", "packages: map (p: p.src.url or null) packages"],
        capture_output=True,
        text=True,
        check=False,
        env=_nix_env(tmp_path),
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    urls = [url for url in json.loads(result.stdout) if url]
    version = locked_dagger_io_version()
    platform = {"x86_64-linux": "linux_amd64", "aarch64-darwin": "darwin_arm64"}[system]
    assert urls == [f"https://dl.dagger.io/dagger/releases/{version}/dagger_v{version}_{platform}.tar.gz"]
