"""The `scan` pipeline (dependency audit, static analysis, IaC) and the image scan of `build`."""

from collections.abc import Sequence
from typing import Final

import dagger
from dagger import dag

from ci import checks

# Pinned by tag and digest, mirrored in ci/images.Dockerfile where dependabot bumps them.
# Checkov's tag is checks.CHECKOV_VERSION, the one `.ci/run` installs.
CHECKOV_IMAGE: Final = (
    "bridgecrew/checkov:3.3.26@sha256:8e63f217cb084f1c1a067326a9cf6e37d54bdc82e5822210d50ca4e2f647dd93"
)
TRIVY_IMAGE: Final = "aquasec/trivy:0.74.0@sha256:62b1e65e8869bc4b4c6aa4fa2b21595256c7c2f6018a9d9ad61caf87187c1969"

ALLOY_IMAGE: Final = "grafana/alloy:v1.20.1@sha256:2aa2099af76c0098d4af7a4d6e48f86cb66dc1a000222ad927a1c67c6542d13f"
# The Alloy configurations the repository ships (no Alloy binary runs on CI hosts).
ALLOY_CONFIGS: Final = ("config.alloy", "cloudrun/config.alloy")

TRIVY_CACHE_PATH: Final = "/root/.cache/trivy"
TRIVY_CACHE_VOLUME: Final = "trivy-cache"
IMAGE_TARBALL: Final = "/input/image.tar"
# Set to the run's id before a step whose answer changes with time (vulnerability
# databases), so that Dagger runs it again instead of serving yesterday's answer.
CACHE_BUSTER_ENV: Final = "CACHEBUSTER"
# pip-audit asks the advisory database: the lock file alone does not decide its answer.
TIME_SENSITIVE_SCANS: Final = frozenset({"pip-audit"})
CHECKOV_FRAMEWORKS: Final = ("terraform", "dockerfile", "github_actions")
# Fail only on what can be fixed now: an unfixed CVE in the base image blocks nobody usefully.
TRIVY_FAILING_SEVERITIES: Final = "CRITICAL,HIGH"


def static_scans(
    python: dagger.Container, *, shell_script_paths: Sequence[str], run_id: str
) -> dict[str, dagger.Container]:
    """pip-audit, bandit, hadolint, zizmor and shellcheck from the locked dev tools."""
    steps: dict[str, dagger.Container] = {}
    for name, command in checks.static_scan_commands(shell_script_paths=shell_script_paths).items():
        container = python
        if name in TIME_SENSITIVE_SCANS:
            container = container.with_env_variable(CACHE_BUSTER_ENV, run_id)
        steps[name] = container.with_exec(list(command))
    return steps


def checkov(source: dagger.Directory) -> dagger.Container:
    """Checkov over terraform/, the Dockerfile and the workflows."""
    return (
        dag.container()
        .from_(CHECKOV_IMAGE)
        .with_directory("/src", source)
        .with_workdir("/src")
        .with_exec(
            [
                "checkov",
                "--directory",
                ".",
                "--framework",
                *CHECKOV_FRAMEWORKS,
                "--skip-path",
                "ci/images.Dockerfile",  # a pin list for dependabot, never built
                "--skip-download",
                "--compact",
                "--quiet",
            ]
        )
    )


def alloy_configs(source: dagger.Directory) -> dagger.Container:
    """`alloy fmt` (unchanged formatting) and `alloy validate` over every shipped config."""
    container = dag.container().from_(ALLOY_IMAGE).with_directory("/src", source.directory("alloy"))
    for config in ALLOY_CONFIGS:
        path = f"/src/{config}"
        container = container.with_exec(["sh", "-c", f'alloy fmt "{path}" | diff -u "{path}" -']).with_exec(
            ["alloy", "validate", path]
        )
    return container


def image_vulnerabilities(tarball: dagger.File, *, run_id: str) -> dagger.Container:
    """Trivy over an image tarball with today's database; exits non-zero on fixable critical or high CVEs."""
    return (
        dag.container()
        .from_(TRIVY_IMAGE)
        .with_mounted_cache(TRIVY_CACHE_PATH, dag.cache_volume(TRIVY_CACHE_VOLUME))
        .with_mounted_file(IMAGE_TARBALL, tarball)
        .with_env_variable(CACHE_BUSTER_ENV, run_id)
        .with_exec(
            [
                "trivy",
                "image",
                "--cache-dir",
                TRIVY_CACHE_PATH,
                "--input",
                IMAGE_TARBALL,
                "--scanners",
                "vuln",
                "--severity",
                TRIVY_FAILING_SEVERITIES,
                "--ignore-unfixed",
                "--exit-code",
                "1",
                "--no-progress",
            ]
        )
    )


def scan(
    source: dagger.Directory,
    python: dagger.Container,
    *,
    shell_script_paths: Sequence[str],
    run_id: str,
) -> dict[str, dagger.Container]:
    """Every source scan step by name; they are independent and run side by side.

    The image is scanned where it is built and again before it is pushed, from its tarball.
    """
    return {
        **static_scans(python, shell_script_paths=shell_script_paths, run_id=run_id),
        "checkov": checkov(source),
        "alloy": alloy_configs(source),
    }
