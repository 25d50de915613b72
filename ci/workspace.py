"""The repository as a Dagger directory, and the CI environment `.ci/run` builds, in a container."""

from typing import Final

import dagger
from dagger import dag

from ci import checks

# Pinned by tag and digest, mirrored in ci/images.Dockerfile where dependabot bumps them.
# Its uv is checks.UV_VERSION (tests/infra/ci/test_images.py keeps the two in step).
PYTHON_IMAGE: Final = (
    "ghcr.io/astral-sh/uv:0.9.30-python3.12-bookworm-slim"
    "@sha256:e5b65587bce7de595f299855d7385fe7fca39b8a74baa261ba1b7147afa78e58"
)

# The Docker CLI alone (no engine): a machine tool in the check container, and the client
# swarm-deploy drives.
DOCKER_CLI_IMAGE: Final = "docker:28.5.2-cli@sha256:625d9431a9f54c5a2bc90f24f0e1c3d55b1349fd857dd85035f98c2c9acbdd4d"
DOCKER_CLI_PATH: Final = "/usr/local/bin/docker"
TERRAFORM_IMAGE: Final = (
    "hashicorp/terraform:1.11.3@sha256:c2c17884347f9b5f3d71067a3ef1fb736f748979f89b35a2e4b5225735e7fe01"
)
# Node.js and npm for the npm projects (checks.NPM_PROJECTS), an LTS on the check image's Debian.
NODE_IMAGE: Final = "node:22.23.2-bookworm-slim@sha256:83f487e0a63425e5b4d146fb5e5be574bcbe1b7b843d3ebafdd95eaf7767a7e5"
# checks.MACHINE_TOOLS: the image each comes from in the container, and its path there.
MACHINE_TOOL_SOURCES: Final = {
    "docker": (DOCKER_CLI_IMAGE, DOCKER_CLI_PATH),
    "terraform": (TERRAFORM_IMAGE, "/bin/terraform"),
    "node": (NODE_IMAGE, "/usr/local/bin/node"),
}
# npm is a Node program, not one file: its package, from the same image, and a launcher.
NPM_PACKAGE_PATH: Final = "/usr/local/lib/node_modules/npm"
NPM_LAUNCHER: Final = f'#!/bin/sh\nexec node {NPM_PACKAGE_PATH}/bin/npm-cli.js "$@"\n'
NPM_CACHE_PATH: Final = "/root/.npm"
NPM_CACHE_VOLUME: Final = "npm-cache"

SOURCE_PATH: Final = "/src"
UV_CACHE_PATH: Final = "/root/.cache/uv"
UV_CACHE_VOLUME: Final = "uv-cache"
# pyright-python fetches its node runtime on first use; keep it between runs.
PYRIGHT_CACHE_PATH: Final = "/root/.cache/pyright-python"
PYRIGHT_CACHE_VOLUME: Final = "pyright-python-cache"
# Only what the container needs beyond checks.environment(): the cache volume is another
# filesystem (uv cannot hard-link from it), and `uv tool install` puts its tools on PATH.
CONTAINER_ENV: Final = {"UV_LINK_MODE": "copy", "UV_TOOL_BIN_DIR": "/usr/local/bin"}

# .gitignore decides what never leaves the host (keys, .env, var/, .venv, build/); .git
# is not ignored by git itself, so it is left out by name.
SOURCE_EXCLUDES: Final = [".git"]
LOCK_FILES: Final = ["pyproject.toml", "uv.lock", ".python-version"]


def repository(path: str = ".") -> dagger.Directory:
    """The checkout on the host, as git would commit it: .gitignore honoured."""
    return dag.host().directory(path, exclude=SOURCE_EXCLUDES, gitignore=True)


def machine_tool(name: str) -> dagger.File:
    """A checks.MACHINE_TOOLS executable, from its pinned image."""
    image, path = MACHINE_TOOL_SOURCES[name]
    return dag.container().from_(image).file(path)


def docker_cli() -> dagger.File:
    return machine_tool("docker")


def python_environment(source: dagger.Directory) -> dagger.Container:
    """What `.ci/run` sets up, from ci/checks.py: environment, Debian packages, pinned tools,
    then the source at /src with `uv sync --locked` (dependencies first, for layer reuse)."""
    container = dag.container().from_(PYTHON_IMAGE)
    for name, value in {**checks.environment(), **CONTAINER_ENV}.items():
        container = container.with_env_variable(name, value)
    container = (
        container.with_exec(["apt-get", "update", "--quiet"])
        .with_exec(
            [
                "apt-get",
                "install",
                "--yes",
                "--quiet",
                "--no-install-recommends",
                *checks.SYSTEM_PACKAGES,
            ]
        )
        .with_mounted_cache(UV_CACHE_PATH, dag.cache_volume(UV_CACHE_VOLUME))
        .with_mounted_cache(PYRIGHT_CACHE_PATH, dag.cache_volume(PYRIGHT_CACHE_VOLUME))
    )
    for spec in checks.uv_tool_specs():
        container = container.with_exec(list(checks.uv_tool_install(spec)))
    for tool in checks.MACHINE_TOOLS:
        if tool == "npm":
            npm = dag.container().from_(NODE_IMAGE).directory(NPM_PACKAGE_PATH)
            container = container.with_directory(NPM_PACKAGE_PATH, npm).with_new_file(
                "/usr/local/bin/npm", NPM_LAUNCHER, permissions=0o755
            )
        else:
            # Where machines of this kind have them.
            container = container.with_file(f"/usr/local/bin/{tool}", machine_tool(tool))
    container = (
        container.with_workdir(SOURCE_PATH)
        .with_directory(SOURCE_PATH, source, include=LOCK_FILES)
        .with_exec(["uv", "sync", "--locked", "--no-install-project"])
        .with_directory(SOURCE_PATH, source)
        .with_exec(list(checks.SETUP_COMMAND))
        .with_mounted_cache(NPM_CACHE_PATH, dag.cache_volume(NPM_CACHE_VOLUME))
    )
    for project in checks.NPM_PROJECTS:
        container = container.with_exec(list(checks.npm_install(project)))
    return container
