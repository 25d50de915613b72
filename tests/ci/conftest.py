"""Fixtures for the CI tests: the repository, a fixed build, and the real tool executables."""

import os
import shutil
import sys
from pathlib import Path

import pytest

from ci import pipelines

REPOSITORY = Path(__file__).resolve().parents[2]
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def repository() -> Path:
    return REPOSITORY


@pytest.fixture
def build() -> pipelines.Build:
    """A build of a fixed commit on main, outside GitHub Actions."""
    return pipelines.Build(root=REPOSITORY, commit=COMMIT, ref="refs/heads/main", env={})


def venv_tool(name: str) -> str:
    """A console script installed in this environment by `uv sync` (dev group)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(f"{name} is a dev dependency but is missing from {path.parent}: uv sync")
    return str(path)


def system_tool(name: str, install: str) -> str:
    """An executable that may be absent on a developer machine: skip, saying how to get it."""
    # `uv tool install` puts executables in ~/.local/bin, which PATH may lack.
    search = os.pathsep.join([os.environ.get("PATH", ""), str(Path.home() / ".local" / "bin")])
    path = shutil.which(name, path=search)
    if path is None:
        pytest.skip(f"{name} not installed ({install})")
    return path
