"""The app with the `perf` pipeline's settings (production, Postgres, the GCS emulator) under
uvicorn, and a k6 scenario run against it: for tests/infra/perf and the k6 benchmark."""

import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ci import loadtest
from tests.support.gcs import TEST_BUCKET, Emulator
from tests.support.live_app import LiveApp, live_app, live_app_env
from tests.support.postgres import PostgresCluster

# Well above a short run's length; a hung k6 fails instead of hanging.
K6_TIMEOUT_SECONDS = 600
ERROR_NO_POSTGRES = "the production settings need PostgreSQL"


@contextmanager
def perf_app(
    cluster: PostgresCluster | None,
    emulator: Emulator,
    signing_key: Path,
    *,
    workers: int = 1,
    database_port: int | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[LiveApp]:
    """Served on a database of its own (or DATABASE_URL's without a cluster); raises LookupError
    when there is neither. With `database_port` (a proxy in front of the cluster) the app reaches
    its database there; `env` adds or overrides settings."""
    environment = live_app_env(cluster)
    database_url = environment.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not database_url:
        raise LookupError(ERROR_NO_POSTGRES)
    if database_port is not None and cluster is not None:
        database_url = database_url.replace(f":{cluster.port}/", f":{database_port}/")
    environment |= loadtest.app_environment(
        database_url=database_url,
        storage_emulator_host=emulator.url,
        bucket=TEST_BUCKET,
        signing_key_file=str(signing_key),
        allowed_host="127.0.0.1",
    )
    environment["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(64)
    environment |= env or {}
    with live_app(environment, workers=workers, user_email="perf@example.com") as app:
        yield app


@dataclass(frozen=True)
class K6Run:
    exit_code: int
    output: str
    seconds: float
    summary: Mapping[str, Any] | None


def k6_run(k6: str, scenario: str, *, app: LiveApp, directory: Path, token: str | None = None, **env: str) -> K6Run:
    """The pipeline's own `k6 run` command with the given k6 binary; its summary JSON goes to directory."""
    summary_path = directory / f"k6-{scenario}-summary.json"
    script = str(loadtest.K6_DIR / loadtest.script(scenario))
    command = loadtest.run_command(script, summary_path=str(summary_path), k6=k6)
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(directory),
        "BASE_URL": app.base_url,
        "API_TOKEN": app.token if token is None else token,
        **env,
    }
    started = time.monotonic()
    result = subprocess.run(
        command, env=environment, capture_output=True, text=True, check=False, timeout=K6_TIMEOUT_SECONDS
    )
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else None
    return K6Run(result.returncode, result.stdout + result.stderr, time.monotonic() - started, summary)
