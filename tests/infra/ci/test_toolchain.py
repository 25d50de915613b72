"""`python -m ci.toolchain`, the check the toolchain workflows run inside `nix develop`."""

import subprocess
import sys
from pathlib import Path

import pytest

from ci import checks, toolchain
from tests.infra.ci.conftest import REPOSITORY
from tests.infra.ci.test_workflows import locked_dagger_io_version


def test_the_shell_must_give_required_tools_and_the_pipelines_tools() -> None:
    linux, darwin = toolchain.expected_tools("linux"), toolchain.expected_tools("darwin")
    assert set(checks.required_tools()) <= set(linux)
    # cloud-init (the Swarm VM's user data) is required in CI, on Linux; nixpkgs has no macOS build.
    assert set(checks.required_tools()) - set(toolchain.LINUX_TOOLS) <= set(darwin)
    assert len(linux) == len(set(linux)), "each tool once"
    assert {"dagger", "terraform", "k6", "docker", "gcloud"} <= set(darwin)
    assert set(linux) - set(darwin) == {"chromium", "cloud-init"}


@pytest.mark.parametrize(
    ("output", "version"),
    [("dagger v0.21.7 (registry.dagger.io/engine:v0.21.7) linux/amd64\n", "0.21.7"), ("no version\n", None)],
)
def test_the_cli_version_is_read_from_dagger_version(output: str, version: str | None) -> None:
    assert toolchain.dagger_cli_version(output) == version


def _shell(tmp_path: Path, *, dagger_version: str, leave_out: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m ci.toolchain` on a PATH holding a stand-in for every expected tool."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in toolchain.expected_tools(sys.platform):
        if name != leave_out:
            tool = bin_dir / name
            tool.write_text(f"#!/bin/sh\necho 'dagger v{dagger_version} (engine) linux/amd64'\n")
            tool.chmod(0o755)
    return subprocess.run(
        [sys.executable, "-m", "ci.toolchain"],
        cwd=REPOSITORY,
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_a_complete_shell_passes(tmp_path: Path) -> None:
    result = _shell(tmp_path, dagger_version=locked_dagger_io_version())
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("toolchain ok: ")


def test_a_missing_tool_is_named(tmp_path: Path) -> None:
    result = _shell(tmp_path, dagger_version=locked_dagger_io_version(), leave_out="pebble-challtestsrv")
    assert result.returncode == 1
    assert "not in this shell: pebble-challtestsrv" in result.stderr


def test_a_dagger_cli_other_than_the_sdk_says_how_to_align_them(tmp_path: Path) -> None:
    result = _shell(tmp_path, dagger_version="0.1.0")
    assert result.returncode == 1
    sdk = locked_dagger_io_version()
    assert (
        f"the Dagger CLI is 0.1.0, the dagger-io SDK {sdk}: run `uv run python -m ci.bump_dagger {sdk}`"
        in result.stderr
    )
