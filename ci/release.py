"""Release decisions as plain Python: versions, image tags, registry targets, signing.

No Dagger import here, so every rule is unit-tested directly.
"""

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

IMAGE_NAME: Final = "overengineered-backend"
ARTIFACT_REGISTRY_USERNAME: Final = "oauth2accesstoken"  # the user for an OAuth access token
DOCKER_HUB_HOST: Final = "docker.io"

ERROR_COMMIT: Final = "not a git commit SHA: {commit!r}"
ERROR_NO_COMMIT: Final = "cannot tell the commit: set GITHUB_SHA or run inside a git checkout"
ERROR_LOCATION: Final = "not an Artifact Registry location: {location!r} (e.g. europe-west1)"
ERROR_PROJECT: Final = "not a Google Cloud project ID: {project!r}"
ERROR_NAME: Final = "not a valid repository or image name: {name!r}"
ERROR_PUBLISHED: Final = "not a pushed image reference with a digest: {published!r}"
ERROR_NO_OIDC: Final = (
    "running in GitHub Actions without an OIDC token: give the job `permissions: id-token: "
    "write` so cosign can sign keylessly"
)

_COMMIT = re.compile(r"[0-9a-f]{7,40}")
_RELEASE_TAG = re.compile(r"refs/tags/v(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)")
# A region (europe-west1) or a multi-region (us, europe, asia).
_LOCATION = re.compile(r"[a-z]+-[a-z]+\d+|us|europe|asia")
_PROJECT = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
# Lower-case path components separated by '/', as OCI distribution allows.
_REPOSITORY_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")


def commit_tag(commit: str) -> str:
    """The image tag for a commit: its first 12 hex digits."""
    if not _COMMIT.fullmatch(commit):
        raise ValueError(ERROR_COMMIT.format(commit=commit))
    return commit[:12]


def release_version(ref: str) -> str | None:
    """`1.2.3` for the git ref `refs/tags/v1.2.3`, None for anything else."""
    match = _RELEASE_TAG.fullmatch(ref)
    if match is None:
        return None
    return f"{match['major']}.{match['minor']}.{match['patch']}"


def app_version(*, commit: str, ref: str) -> str:
    """What the image reports as its version (`APP_VERSION`, shown by /healthz)."""
    return release_version(ref) or f"0.0.0+g{commit_tag(commit)}"


def image_tags(*, commit: str, ref: str) -> list[str]:
    """Every tag the published image gets: always the commit, plus x.y.z, x.y, x on a release."""
    tags = [commit_tag(commit)]
    version = release_version(ref)
    if version is not None:
        major, minor, _ = version.split(".")
        tags += [version, f"{major}.{minor}", major]
    return tags


def current_commit(env: Mapping[str, str], repository: Path) -> str:
    """GITHUB_SHA in Actions, else the checkout's HEAD."""
    if commit := env.get("GITHUB_SHA"):
        return commit
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607
            cwd=repository,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise RuntimeError(ERROR_NO_COMMIT) from error
    return result.stdout.strip()


def current_ref(env: Mapping[str, str]) -> str:
    return env.get("GITHUB_REF", "")


@dataclass(frozen=True)
class RegistryTarget:
    """Where `publish` pushes: `host/repository:tag`, logging in as `username`."""

    host: str
    repository: str
    username: str

    @property
    def address(self) -> str:
        return f"{self.host}/{self.repository}"

    def reference(self, tag: str) -> str:
        return f"{self.address}:{tag}"


def artifact_registry(*, location: str, project: str, repository: str, image: str = IMAGE_NAME) -> RegistryTarget:
    """A Google Artifact Registry Docker repository, authenticated with an access token."""
    if not _LOCATION.fullmatch(location):
        raise ValueError(ERROR_LOCATION.format(location=location))
    if not _PROJECT.fullmatch(project):
        raise ValueError(ERROR_PROJECT.format(project=project))
    _check_name(repository)
    _check_name(image)
    return RegistryTarget(
        host=f"{location}-docker.pkg.dev",
        repository=f"{project}/{repository}/{image}",
        username=ARTIFACT_REGISTRY_USERNAME,
    )


def docker_hub(*, namespace: str, username: str, image: str = IMAGE_NAME) -> RegistryTarget:
    _check_name(namespace)
    _check_name(image)
    return RegistryTarget(host=DOCKER_HUB_HOST, repository=f"{namespace}/{image}", username=username)


def _check_name(name: str) -> None:
    if not _REPOSITORY_NAME.fullmatch(name):
        raise ValueError(ERROR_NAME.format(name=name))


def signs_keylessly(env: Mapping[str, str]) -> bool:
    """Sign with cosign's keyless (OIDC) flow only in GitHub Actions, where an identity exists.

    A laptop has no workload identity to put in the certificate, so it publishes unsigned.
    """
    if env.get("GITHUB_ACTIONS") != "true":
        return False
    if not env.get("ACTIONS_ID_TOKEN_REQUEST_URL"):
        raise RuntimeError(ERROR_NO_OIDC)
    return True


def digest_reference(published: str) -> str:
    """`host/repo@sha256:…` from what a push returns (`host/repo:tag@sha256:…`).

    Signatures and deployments name the digest, never a tag that can move.
    """
    name, separator, digest = published.partition("@")
    if not separator or not digest.startswith("sha256:"):
        raise ValueError(ERROR_PUBLISHED.format(published=published))
    repository, _, tag = name.rpartition(":")
    # A colon followed by a path ('/') belongs to a registry port, not a tag.
    if not repository or "/" in tag:
        repository = name
    return f"{repository}@{digest}"
