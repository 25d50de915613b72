"""Move every Dagger pin to one version: `uv run python -m ci.bump_dagger X.Y.Z`.

The pins: dagger-io in pyproject.toml and uv.lock (through `uv add --dev`), the CLI in
flake.nix (its version, and each platform's hash from the release's checksums.txt), and
DAGGER_VERSION in the workflows. Completes a dependabot bump of dagger-io in one step.
No Dagger import.
"""

import argparse
import base64
import re
import subprocess
import sys
import tomllib
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
CHECKSUMS_URL: Final = "https://dl.dagger.io/dagger/releases/{version}/checksums.txt"
FLAKE: Final = "flake.nix"
LOCK: Final = "uv.lock"
WORKFLOWS: Final = ".github/workflows"

ERROR_VERSION: Final = "not a Dagger release version: {version!r} (e.g. 0.21.7)"
ERROR_CHECKSUM: Final = "checksums.txt of {version} lists no {archive}"
ERROR_FLAKE: Final = "flake.nix has no {what} to rewrite"

_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?")
_FLAKE_VERSION = re.compile(r'(daggerVersion = ")([^"]+)(";)')
# `platform = "linux_amd64";` followed by that platform's `hash = "sha256-...";`
_FLAKE_HASH = re.compile(r'(platform = "(?P<platform>\w+)";\s*hash = ")(?P<hash>[^"]*)(";)')
_WORKFLOW_VERSION = re.compile(r'^(\s*DAGGER_VERSION:\s*")([^"]+)(")', re.MULTILINE)


def pinned_versions(root: Path) -> dict[str, str]:
    """Each place Dagger is pinned, by file, with the version it names."""
    lock = tomllib.loads((root / LOCK).read_text())
    pins = {LOCK: next(p["version"] for p in lock["package"] if p["name"] == "dagger-io")}
    if match := _FLAKE_VERSION.search((root / FLAKE).read_text()):
        pins[FLAKE] = match[2]
    for workflow in sorted((root / WORKFLOWS).glob("*.yml")):
        if match := _WORKFLOW_VERSION.search(workflow.read_text()):
            pins[workflow.relative_to(root).as_posix()] = match[2]
    return pins


def release_hashes(checksums: str, version: str, platforms: Sequence[str]) -> dict[str, str]:
    """Each platform's archive hash in the SRI form fetchurl takes, from checksums.txt (hex)."""
    listed = {name: digest for digest, name in (line.split() for line in checksums.splitlines() if line.strip())}
    hashes: dict[str, str] = {}
    for platform in platforms:
        archive = f"dagger_v{version}_{platform}.tar.gz"
        if archive not in listed:
            raise ValueError(ERROR_CHECKSUM.format(version=version, archive=archive))
        hashes[platform] = "sha256-" + base64.b64encode(bytes.fromhex(listed[archive])).decode()
    return hashes


def flake_platforms(flake: str) -> list[str]:
    return [match["platform"] for match in _FLAKE_HASH.finditer(flake)]


def flake_with(flake: str, version: str, hashes: dict[str, str]) -> str:
    if not _FLAKE_VERSION.search(flake) or not _FLAKE_HASH.search(flake):
        raise ValueError(ERROR_FLAKE.format(what="daggerVersion and per-platform hashes"))
    flake = _FLAKE_VERSION.sub(lambda m: m[1] + version + m[3], flake)
    return _FLAKE_HASH.sub(lambda m: m[1] + hashes[m["platform"]] + m[4], flake)


def workflow_with(workflow: str, version: str) -> str:
    return _WORKFLOW_VERSION.sub(lambda m: m[1] + version + m[3], workflow)


def fetch_checksums(version: str, url: str = CHECKSUMS_URL) -> str:
    with urllib.request.urlopen(url.format(version=version), timeout=30) as response:  # noqa: S310
        return response.read().decode()


def bump(root: Path, version: str, *, checksums: str, lock: bool = True) -> dict[str, str]:
    """Rewrite every pin to version; returns the pins as they now read."""
    if not _VERSION.fullmatch(version):
        raise ValueError(ERROR_VERSION.format(version=version))
    flake = root / FLAKE
    text = flake.read_text()
    flake.write_text(flake_with(text, version, release_hashes(checksums, version, flake_platforms(text))))
    for workflow in sorted((root / WORKFLOWS).glob("*.yml")):
        workflow.write_text(workflow_with(workflow.read_text(), version))
    if lock:
        subprocess.run(["uv", "add", "--dev", f"dagger-io=={version}"], cwd=root, check=True)  # noqa: S603, S607
    return pinned_versions(root)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ci.bump_dagger", description="Pin Dagger to one version.")
    parser.add_argument("version", help="the Dagger release, e.g. 0.21.7")
    version = parser.parse_args(argv).version
    if not _VERSION.fullmatch(version):
        parser.error(ERROR_VERSION.format(version=version))
    for where, pinned in bump(ROOT, version, checksums=fetch_checksums(version)).items():
        print(f"{where}: {pinned}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
