"""The `build` pipeline: the image from the Dockerfile, labelled by commit, and its SBOM."""

from typing import Final

import dagger
from dagger import dag

from ci import provenance

# Pinned by tag and digest, mirrored in ci/images.Dockerfile where dependabot bumps them.
SYFT_IMAGE: Final = "anchore/syft:v1.51.0@sha256:678bfa565b60f747aac0f8e964fe5588a24445b8d0a480e91f6efd70020dfbb0"

IMAGE_TARBALL: Final = "/input/image.tar"
SBOM_PATH: Final = "/output/sbom.spdx.json"
SCRATCH_PATH: Final = "/scratch"


def build(source: dagger.Directory, *, revision: str, version: str) -> dagger.Container:
    """The Dockerfile's image, with APP_VERSION and OCI labels naming the commit."""
    return (
        source.docker_build(build_args=[dagger.BuildArg(name="APP_VERSION", value=version)])
        .with_label(provenance.REVISION_LABEL, revision)
        .with_label("org.opencontainers.image.version", version)
        .with_label("org.opencontainers.image.title", "overengineered-backend")
    )


def sbom(tarball: dagger.File) -> dagger.File:
    """An SPDX JSON SBOM of the image in an OCI tarball, by syft (no registry needed)."""
    return (
        dag.container()
        .from_(SYFT_IMAGE)
        .with_env_variable("SYFT_CHECK_FOR_APP_UPDATE", "false")
        # The scratch image has no writable temporary directory of its own.
        .with_mounted_temp(SCRATCH_PATH)
        .with_env_variable("TMPDIR", SCRATCH_PATH)
        .with_directory("/output", dag.directory())
        .with_mounted_file(IMAGE_TARBALL, tarball)
        .with_exec(["/syft", "scan", f"oci-archive:{IMAGE_TARBALL}", "--output", f"spdx-json={SBOM_PATH}"])
        .file(SBOM_PATH)
    )
