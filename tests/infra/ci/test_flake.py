"""flake.nix: the pinned toolchain, parsed and (with a stub nixpkgs) evaluated offline."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ci import toolchain
from tests.infra.ci.conftest import REPOSITORY
from tests.infra.ci.test_workflows import locked_dagger_io_version
from tests.support.tools import system_tool

FLAKE = REPOSITORY / "flake.nix"
LOCK = REPOSITORY / "flake.lock"
STUB_NIXPKGS = Path(__file__).parent / "nix_stub"
# nixos-26.05 as pinned in the public flake.lock of github.com/mitchellh/nixos-config at
# d314004d9f51543f91a7a080ab2fe7f6f62b1280 (input nixpkgs_3, locked 2026-06-11).
NIXPKGS_RELEASE = "nixos-26.05"
NIXPKGS_REV = "a0374025a863d007d98e3297f6aa46cc3141c2f0"
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
    assert re.fullmatch(r"sha256-[A-Za-z0-9+/]{43}=", nixpkgs["locked"]["narHash"])
    assert nixpkgs["original"]["ref"] == NIXPKGS_RELEASE
    assert f'inputs.nixpkgs.url = "github:NixOS/nixpkgs/{NIXPKGS_RELEASE}"' in FLAKE.read_text()


def test_the_shell_takes_python_from_nix_and_packages_from_uv_lock() -> None:
    text = FLAKE.read_text()
    assert 'UV_PYTHON_DOWNLOADS = "never";' in text
    assert "UV_PYTHON = python.interpreter;" in text
    assert "uv sync --locked" in text


def _nix(nix: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """nix offline with nixpkgs replaced by the stub; flakes as `path:` so nix reads the files as they are."""
    return subprocess.run(
        [nix, *args, "--offline", "--no-write-lock-file", "--override-input", "nixpkgs", f"path:{STUB_NIXPKGS}"],
        capture_output=True,
        text=True,
        check=False,
        env=_nix_env(home),
        timeout=120,
    )


def _eval(nix: str, flake: Path, attribute: str, *extra: str) -> str:
    result = _nix(nix, flake.parent, "eval", f"path:{flake}#{attribute}", *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def flake(tmp_path: Path) -> Path:
    """The repository's flake and lock, alone in a directory."""
    directory = tmp_path / "flake"
    directory.mkdir()
    shutil.copy(FLAKE, directory)
    shutil.copy(LOCK, directory)
    return directory


@pytest.fixture
def nix() -> str:
    return system_tool("nix", NIX_INSTALL)


def test_flake_check_evaluates_every_output_against_a_stub_nixpkgs(nix: str, flake: Path) -> None:
    result = _nix(nix, flake.parent, "flake", "check", f"path:{flake}")
    assert result.returncode == 0, result.stderr
    shown = _nix(nix, flake.parent, "flake", "show", "--json", f"path:{flake}")
    assert shown.returncode == 0, shown.stderr
    outputs = json.loads(shown.stdout)
    for system in ("x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"):
        assert outputs["devShells"][system]["default"]["type"] == "derivation"


def test_flake_check_fails_when_a_tool_does_not_exist(nix: str, flake: Path) -> None:
    """The stub is strict: a misspelt package fails evaluation, as real nixpkgs would."""
    (flake / "flake.nix").write_text(FLAKE.read_text().replace("pkgs.checkov", "pkgs.checkovv"))
    result = _nix(nix, flake.parent, "flake", "check", f"path:{flake}")
    assert result.returncode != 0
    assert "checkovv" in result.stderr


@pytest.mark.parametrize("system", ["x86_64-linux", "aarch64-darwin"])
def test_the_dagger_cli_is_fetched_for_the_locked_version(nix: str, flake: Path, system: str) -> None:
    packages = f"devShells.{system}.default.packages"
    urls = json.loads(_eval(nix, flake, packages, "--json", "--apply", "map (p: p.src.url or null)"))
    version = locked_dagger_io_version()
    platform = {"x86_64-linux": "linux_amd64", "aarch64-darwin": "darwin_arm64"}[system]
    assert [url for url in urls if url] == [
        f"https://dl.dagger.io/dagger/releases/{version}/dagger_v{version}_{platform}.tar.gz"
    ]


@pytest.mark.parametrize(("system", "platform"), [("x86_64-linux", "linux"), ("aarch64-darwin", "darwin")])
def test_the_shell_gives_every_tool_ci_and_the_pipelines_call(
    nix: str, flake: Path, system: str, platform: str
) -> None:
    """REQUIRE_TOOLS from ci/checks.py and the pipelines' tools, each by a package of the shell."""
    shell = f"devShells.{system}.default"
    names = json.loads(_eval(nix, flake, f"{shell}.tools", "--json", "--apply", "builtins.attrNames"))
    assert sorted(names) == sorted(toolchain.expected_tools(platform)), "add the missing ones to `tools` in flake.nix"
    packages = json.loads(_eval(nix, flake, shell, "--json", "--apply", "s: map toString s.packages"))
    tools = json.loads(
        _eval(nix, flake, f"{shell}.tools", "--json", "--apply", "t: map toString (builtins.attrValues t)")
    )
    assert set(tools) <= set(packages), "a tool's package is not in the shell"


def test_the_shell_hook_says_which_tool_the_venv_shadows(nix: str, flake: Path, tmp_path: Path) -> None:
    """Run the shell hook as `nix develop` would, with a Nix-provided hadolint and python on
    PATH and uv.lock's hadolint in .venv: it names hadolint, and not python (the same file)."""
    hook = _eval(nix, flake, "devShells.x86_64-linux.default.shellHook", "--raw")
    outer, project = tmp_path / "nix-profile" / "bin", tmp_path / "project"
    venv_bin = project / ".venv" / "bin"
    outer.mkdir(parents=True)
    venv_bin.mkdir(parents=True)
    for tool in (outer / "hadolint", venv_bin / "hadolint", outer / "uv"):
        tool.write_text("#!/bin/sh\n")
        tool.chmod(0o755)
    (outer / "python").symlink_to(sys.executable)
    (venv_bin / "python").symlink_to(outer / "python")
    (venv_bin / "activate").write_text("")
    result = subprocess.run(
        ["bash", "-euc", hook],
        cwd=project,
        env={"PATH": f"{outer}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"nix develop: hadolint runs from .venv (uv.lock's version), not {outer / 'hadolint'}"
    ]
