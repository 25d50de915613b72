"""Starts the real services the suite runs against, before Django loads its settings.

Loaded with `-p tests.plugin` (see pyproject), so this module runs before
pytest-django reads the settings: it points DATABASE_URL at a throwaway
PostgreSQL cluster when the binaries exist (SQLite otherwise), and gives the
run its own var/ directory.
"""

import os
import shutil
import tempfile

import pytest

from tests.support.postgres import PostgresCluster, postgres_cluster_new
from tests.support.tools import required_tools_missing

# Set by .ci/run: the suite must not quietly fall back to SQLite there.
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"

_VAR_DIR = os.environ["APP_VAR_DIR"] = tempfile.mkdtemp(prefix="app-test-var-")
os.environ.setdefault("DJANGO_ENV", "embedded")
# The in-process test client's transaction lives on its own thread's
# connection; see app/core/db.py. Servers started by tests get the default.
os.environ["DATABASE_THREADS"] = "0"
for _variable in ("GCS_BUCKET", "STORAGE_EMULATOR_HOST", "CDN_BASE_URL", "DATABASE_URL"):
    os.environ.pop(_variable, None)

_cluster: PostgresCluster | None = None
_external = os.environ.get("TEST_DATABASE_URL")
if _external:
    os.environ["DATABASE_URL"] = _external
else:
    _cluster = postgres_cluster_new()
    if _cluster is not None:
        os.environ["DATABASE_URL"] = _cluster.url


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_POSTGRES and "DATABASE_URL" not in os.environ:
        raise pytest.UsageError("REQUIRE_POSTGRES=1 but no PostgreSQL binaries were found")
    if missing := required_tools_missing():
        # Their tests would skip; in CI a skip would hide a broken install.
        raise pytest.UsageError(f"REQUIRE_TOOLS names tools that are not installed: {', '.join(missing)}")
    if _cluster is not None:
        _cluster.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _cluster is not None:
        _cluster.stop()
    shutil.rmtree(_VAR_DIR, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    if _cluster is not None:
        return f"database: PostgreSQL ({_cluster.version()}, throwaway cluster on port {_cluster.port})"
    if _external:
        return "database: PostgreSQL (TEST_DATABASE_URL)"
    return "database: SQLite (no PostgreSQL binaries found)"


def postgres_cluster() -> PostgresCluster | None:
    """The run's cluster, for tests that need a database of their own."""
    return _cluster
