"""The `publish` pipeline: push the built tarball, then sign its digest and attest its SBOM keylessly."""

from typing import Final

import dagger
from dagger import dag

from ci import release, workspace

# Pinned by tag and digest, mirrored in ci/images.Dockerfile where dependabot bumps them.
COSIGN_IMAGE: Final = (
    "ghcr.io/sigstore/cosign/cosign:v3.1.3@sha256:9e5c2f2edc34351160407ca3416c61855bdf9403c3c5936e0f0be7fc261611b8"
)

# Names of environment variables, not values.
REGISTRY_PASSWORD_ENV: Final = "REGISTRY_PASSWORD"  # noqa: S105
# Set by GitHub Actions in a job granted `id-token: write`; cosign trades it for a certificate.
OIDC_REQUEST_URL_ENV: Final = "ACTIONS_ID_TOKEN_REQUEST_URL"
OIDC_REQUEST_TOKEN_ENV: Final = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"  # noqa: S105
SBOM_PATH: Final = "/input/sbom.spdx.json"
ERROR_DIGESTS: Final = "the tags were pushed as different images: {references}"
# The login lands on a tmpfs, so the credential never reaches a cached layer.
DOCKER_CONFIG_PATH: Final = "/run/docker"
SIGN_SCRIPT: Final = """\
printf '%s' "$REGISTRY_PASSWORD" \
  | cosign login "$REGISTRY" --username "$REGISTRY_USERNAME" --password-stdin
cosign sign --yes "$IMAGE"
cosign attest --yes --type spdxjson --predicate "$SBOM" "$IMAGE"
"""


def secret_from_env(name: str) -> dagger.Secret:
    """A secret the engine reads from this process's environment: its value never enters Python."""
    return dag.secret(f"env://{name}")


def imported(tarball: dagger.File) -> dagger.Container:
    """The image exactly as the build wrote it: its layers, config and so its digest."""
    return dag.container().import_(tarball)


def authenticated(image: dagger.Container, target: release.RegistryTarget, password: dagger.Secret) -> dagger.Container:
    return image.with_registry_auth(target.address, target.username, password)


async def push(authenticated_image: dagger.Container, target: release.RegistryTarget, *, tags: list[str]) -> str:
    """Push under every tag; returns the digest reference (`host/repo@sha256:…`)."""
    references = {release.digest_reference(await authenticated_image.publish(target.reference(tag))) for tag in tags}
    if len(references) != 1:
        raise RuntimeError(ERROR_DIGESTS.format(references=sorted(references)))
    return references.pop()


def signer(
    digest_reference: str,
    target: release.RegistryTarget,
    password: dagger.Secret,
    *,
    sbom: dagger.File,
    oidc_request_url: str,
    oidc_request_token: dagger.Secret,
) -> dagger.Container:
    """cosign signing the digest and attaching the SBOM as an attestation, keylessly."""
    cosign = dag.container().from_(COSIGN_IMAGE).file("/ko-app/cosign")
    return (
        # cosign's own image has no shell to pipe the password through.
        dag.container()
        .from_(workspace.PYTHON_IMAGE)
        .with_file("/usr/local/bin/cosign", cosign)
        .with_mounted_temp(DOCKER_CONFIG_PATH)
        .with_env_variable("DOCKER_CONFIG", DOCKER_CONFIG_PATH)
        .with_env_variable("REGISTRY", target.host)
        .with_env_variable("REGISTRY_USERNAME", target.username)
        .with_secret_variable(REGISTRY_PASSWORD_ENV, password)
        .with_env_variable(OIDC_REQUEST_URL_ENV, oidc_request_url)
        .with_secret_variable(OIDC_REQUEST_TOKEN_ENV, oidc_request_token)
        .with_mounted_file(SBOM_PATH, sbom)
        .with_env_variable("SBOM", SBOM_PATH)
        .with_env_variable("IMAGE", digest_reference)
        .with_exec(["sh", "-euc", SIGN_SCRIPT])
    )
