"""What is pushed and signed is what was built and scanned: commits, trees and digests.

No Dagger import here, so every rule is unit-tested directly.
"""

import hashlib
import json
import re
import subprocess
import tarfile
from pathlib import Path
from typing import Any, Final

REVISION_LABEL: Final = "org.opencontainers.image.revision"
DIRTY_SUFFIX: Final = "-dirty"
OCI_MANIFEST: Final = "application/vnd.oci.image.manifest.v1+json"

ERROR_DIRTY: Final = "refusing to publish from a working tree with changes (commit or stash them): {paths}"
ERROR_NOT_OCI: Final = "{path} is not a single-image OCI tarball: {reason}"
ERROR_EXPECTED: Final = "{path} holds {actual}, not {expected}: it is not the image the build made"
ERROR_REVISION: Final = (
    "the image says it was built from {label!r}, not from commit {commit}: run the build again from this checkout"
)
ERROR_PUSHED: Final = "the registry has {pushed}, but the scanned tarball is {scanned}: nothing was signed"

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def dirty_paths(root: Path) -> list[str]:
    """Tracked changes and untracked files that .gitignore does not cover; empty when clean."""
    result = subprocess.run(
        ["git", "status", "--porcelain=v1", "--untracked-files=all", "-z"],  # noqa: S607
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    entries = iter(result.stdout.split("\0"))
    paths: list[str] = []
    for entry in entries:
        if not entry:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":  # a rename or copy is followed by its source path
            next(entries, None)
    return sorted(paths)


def revision(commit: str, *, dirty: bool) -> str:
    """The image's revision label: the commit, marked when the tree had changes (like git describe)."""
    return commit + DIRTY_SUFFIX if dirty else commit


def require_clean(paths: list[str]) -> None:
    if paths:
        raise ValueError(ERROR_DIRTY.format(paths=", ".join(paths)))


def manifest_digest(tarball: Path) -> str:
    """The digest of the image manifest an OCI image tarball holds (its index.json's one entry).

    A registry that receives these layers and this config under that manifest reports the
    same digest: it names the image, whatever the tags.
    """
    try:
        with tarfile.open(tarball) as archive:
            digest = _single_manifest(json.loads(_member(archive, "index.json")))
            manifest = _member(archive, "blobs/sha256/" + digest.removeprefix("sha256:"))
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        raise ValueError(ERROR_NOT_OCI.format(path=tarball, reason=error)) from error
    if "sha256:" + hashlib.sha256(manifest).hexdigest() != digest:
        raise ValueError(ERROR_NOT_OCI.format(path=tarball, reason=f"the manifest's content is not {digest}"))
    return digest


def _single_manifest(index: dict[str, Any]) -> str:
    manifests: list[dict[str, Any]] = index.get("manifests", [])
    if len(manifests) != 1:
        raise ValueError(f"{len(manifests)} manifests in index.json")
    digest = str(manifests[0].get("digest"))
    if manifests[0].get("mediaType") != OCI_MANIFEST or not _DIGEST.fullmatch(digest):
        raise ValueError(f"unexpected descriptor {manifests[0]}")
    return digest


def _member(archive: tarfile.TarFile, name: str) -> bytes:
    member = archive.extractfile(name)  # KeyError when absent
    if member is None:
        raise KeyError(name)
    return member.read()


def require_expected(tarball: Path, digest: str, expected: str | None) -> None:
    """The artifact handed over from the build job is the image the build reported."""
    if expected is not None and digest != expected:
        raise ValueError(ERROR_EXPECTED.format(path=tarball, actual=digest, expected=expected))


def require_revision(label: str | None, commit: str) -> None:
    """The tarball was built from this commit, on a clean tree."""
    if label != commit:
        raise ValueError(ERROR_REVISION.format(label=label, commit=commit))


def require_pushed(reference: str, digest: str) -> None:
    """The pushed `host/repo@sha256:…` names the scanned tarball's manifest."""
    if reference.rpartition("@")[2] != digest:
        raise ValueError(ERROR_PUSHED.format(pushed=reference, scanned=digest))
