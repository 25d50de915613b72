"""The app with the `perf` pipeline's settings (production, Postgres, the GCS emulator) under
uvicorn, and the k6 binary from the dev dependencies.

One worker, where the image runs two: the suite shares the machine, and a second worker's start
would cost more than the short runs here need.
"""

import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ci import loadtest
from tests.plugin import postgres_cluster
from tests.support.gcs import TEST_BUCKET, Emulator
from tests.support.live_app import LiveApp, live_app, live_app_env
from tests.support.tools import venv_tool

# The flows of ci/k6/slo.js: every request the scripts make is tagged with one of them.
FLOWS = frozenset(
    {"me", "list", "get", "download", "delete", "upload_small", "upload_start", "upload_put", "upload_complete"}
)
# Well above a short run's length; a hung k6 fails the test instead of the suite.
K6_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="session")
def perf_app(gcs_emulator: Emulator, gcs_signing_key: Path) -> Iterator[LiveApp]:
    environment = live_app_env(postgres_cluster())
    database_url = environment.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not database_url:
        pytest.skip("production settings need PostgreSQL")
    environment |= loadtest.app_environment(
        database_url=database_url,
        storage_emulator_host=gcs_emulator.url,
        bucket=TEST_BUCKET,
        signing_key_file=str(gcs_signing_key),
        allowed_host="127.0.0.1",
    )
    environment["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(64)
    with live_app(environment, user_email="perf@example.com") as app:
        yield app


@dataclass(frozen=True)
class K6Run:
    exit_code: int
    output: str
    seconds: float
    summary: Mapping[str, Any] | None


def k6_run(scenario: str, *, base_url: str, token: str, directory: Path, **env: str) -> K6Run:
    """The pipeline's own `k6 run` command, with the dev dependencies' k6 binary."""
    summary_path = directory / f"k6-{scenario}-summary.json"
    command = loadtest.run_command(
        str(loadtest.K6_DIR / loadtest.script(scenario)), summary_path=str(summary_path), k6=venv_tool("k6")
    )
    environment = {"PATH": os.environ["PATH"], "HOME": str(directory), "BASE_URL": base_url, "API_TOKEN": token, **env}
    started = time.monotonic()
    result = subprocess.run(
        command,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=K6_TIMEOUT_SECONDS,
        cwd=directory,
    )
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else None
    return K6Run(result.returncode, result.stdout + result.stderr, time.monotonic() - started, summary)
