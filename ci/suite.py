"""The `check` pipeline: lint and the test suite, against Postgres and the GCS emulator."""

from typing import Final

import dagger
from dagger import dag

from ci import checks

# Pinned by tag and digest, mirrored in ci/images.Dockerfile where dependabot bumps them.
POSTGRES_IMAGE: Final = "postgres:17-alpine@sha256:742f40ea20b9ff2ff31db5458d127452988a2164df9e17441e191f3b72252193"

POSTGRES_ALIAS: Final = "postgres"
POSTGRES_PORT: Final = 5432
# A throwaway service reachable only from the test container: trust auth, no password.
TEST_DATABASE_URL: Final = f"postgres://postgres@{POSTGRES_ALIAS}:{POSTGRES_PORT}/app"
GCS_ALIAS: Final = "gcs"
GCS_PORT: Final = 9023
STORAGE_EMULATOR_HOST: Final = f"http://{GCS_ALIAS}:{GCS_PORT}"
# A service container is reached from its peers, not over its own loopback.
ALL_INTERFACES: Final = "0.0.0.0"  # noqa: S104  # nosec B104


def postgres_service() -> dagger.Service:
    # Durability settings off: the data lives as long as one test run.
    return (
        dag.container()
        .from_(POSTGRES_IMAGE)
        .with_env_variable("POSTGRES_DB", "app")
        .with_env_variable("POSTGRES_HOST_AUTH_METHOD", "trust")
        .with_mounted_temp("/var/lib/postgresql/data")
        .with_exposed_port(POSTGRES_PORT)
        .as_service(
            args=[
                "postgres",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ],
            use_entrypoint=True,
        )
    )


def gcs_emulator_service(python: dagger.Container) -> dagger.Service:
    """The same emulator the suite starts in-process, as a service of its own."""
    command = ("gcp-storage-emulator", "start", "--in-memory", "--port", str(GCS_PORT))
    return python.with_exposed_port(GCS_PORT).as_service(args=[*checks.uv_run(command), "--host", ALL_INTERFACES])


def lint(python: dagger.Container) -> dagger.Container:
    container = python
    for command in checks.lint_commands():
        container = container.with_exec(list(command))
    return container


def test(python: dagger.Container) -> dagger.Container:
    return (
        python.with_service_binding(POSTGRES_ALIAS, postgres_service())
        .with_service_binding(GCS_ALIAS, gcs_emulator_service(python))
        .with_env_variable("TEST_DATABASE_URL", TEST_DATABASE_URL)
        .with_env_variable("REQUIRE_POSTGRES", "1")
        .with_env_variable("STORAGE_EMULATOR_HOST", STORAGE_EMULATOR_HOST)
        .with_exec(list(checks.test_command()))
    )


def check(python: dagger.Container) -> dict[str, dagger.Container]:
    """The check steps by name; lint and tests are independent, so they run side by side."""
    return {"lint": lint(python), "test": test(python)}
