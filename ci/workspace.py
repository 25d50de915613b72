"""The repository as a Dagger directory, and the locked Python environment built from it."""

from typing import Final

import dagger
from dagger import dag

from ci import checks

# Pinned by tag and digest, mirrored in ci/images.Dockerfile where dependabot bumps them.
PYTHON_IMAGE: Final = (
    "ghcr.io/astral-sh/uv:0.9.30-python3.12-bookworm-slim"
    "@sha256:e5b65587bce7de595f299855d7385fe7fca39b8a74baa261ba1b7147afa78e58"
)

SOURCE_PATH: Final = "/src"
UV_CACHE_PATH: Final = "/root/.cache/uv"
UV_CACHE_VOLUME: Final = "uv-cache"
# pyright-python fetches its node runtime on first use; keep it between runs.
PYRIGHT_CACHE_PATH: Final = "/root/.cache/pyright-python"
PYRIGHT_CACHE_VOLUME: Final = "pyright-python-cache"

# Never sent to the engine: local state, caches and build output.
SOURCE_EXCLUDES: Final = [
    ".venv",
    "var",
    "build",
    "**/__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".git",
    ".env",
]
LOCK_FILES: Final = ["pyproject.toml", "uv.lock", ".python-version"]


def repository(path: str = ".") -> dagger.Directory:
    """The checkout on the host, without local state."""
    return dag.host().directory(path, exclude=SOURCE_EXCLUDES)


def python_environment(source: dagger.Directory) -> dagger.Container:
    """The source at /src with `uv sync --locked` done: dependencies first, for layer reuse.

    The Debian packages the tests drive come first of all, as on a CI machine.
    """
    return (
        dag.container()
        .from_(PYTHON_IMAGE)
        .with_exec(["apt-get", "update", "--quiet"])
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
        .with_env_variable("UV_LINK_MODE", "copy")  # the cache is another filesystem
        .with_env_variable("UV_PYTHON_DOWNLOADS", "never")
        .with_env_variable("PYTHONDONTWRITEBYTECODE", "1")
        .with_mounted_cache(UV_CACHE_PATH, dag.cache_volume(UV_CACHE_VOLUME))
        .with_mounted_cache(PYRIGHT_CACHE_PATH, dag.cache_volume(PYRIGHT_CACHE_VOLUME))
        .with_workdir(SOURCE_PATH)
        .with_directory(SOURCE_PATH, source, include=LOCK_FILES)
        .with_exec(["uv", "sync", "--locked", "--no-install-project"])
        .with_directory(SOURCE_PATH, source)
        .with_exec(["uv", "sync", "--locked"])
    )
