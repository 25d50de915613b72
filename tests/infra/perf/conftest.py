"""The app with the `perf` pipeline's settings, served once for the module's k6 runs.

One worker, where the image runs two: the suite shares the machine, and a second worker's start
would cost more than the short runs here need.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugin import postgres_cluster
from tests.support.gcs import Emulator
from tests.support.live_app import LiveApp
from tests.support.perf_app import K6Run, k6_run, perf_app
from tests.support.tools import venv_tool

# The flows of ci/k6/slo.js: every request the scripts make is tagged with one of them.
FLOWS = frozenset(
    {"me", "list", "get", "download", "delete", "upload_small", "upload_start", "upload_put", "upload_complete"}
)


@pytest.fixture(scope="session")
def served(gcs_emulator: Emulator, gcs_signing_key: Path) -> Iterator[LiveApp]:
    try:
        with perf_app(postgres_cluster(), gcs_emulator, gcs_signing_key) as app:
            yield app
    except LookupError as error:
        pytest.skip(str(error))


def run(scenario: str, app: LiveApp, directory: Path, *, token: str | None = None, **env: str) -> K6Run:
    """A scenario run by the dev dependencies' k6 binary."""
    return k6_run(venv_tool("k6"), scenario, app=app, directory=directory, token=token, **env)
