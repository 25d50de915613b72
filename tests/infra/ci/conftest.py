"""Fixtures for the CI tests: the repository and a fixed build."""

from pathlib import Path

import pytest

from ci import pipelines
from tests.support.paths import REPO_ROOT

REPOSITORY = REPO_ROOT
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def repository() -> Path:
    return REPOSITORY


@pytest.fixture
def build() -> pipelines.Build:
    """A build of a fixed commit on main, outside GitHub Actions."""
    return pipelines.Build(root=REPOSITORY, commit=COMMIT, ref="refs/heads/main", env={})
