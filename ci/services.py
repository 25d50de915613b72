"""Postgres and the GCS emulator as Dagger services, for pipelines that serve the app (perf, chaos)."""

from typing import Final

import dagger
from dagger import dag

# Pinned by tag and digest, mirrored in ci/images.Dockerfile where dependabot bumps them.
POSTGRES_IMAGE: Final = "postgres:17-alpine@sha256:742f40ea20b9ff2ff31db5458d127452988a2164df9e17441e191f3b72252193"

POSTGRES_ALIAS: Final = "postgres"
POSTGRES_PORT: Final = 5432
# A throwaway service reachable only from its peers in the pipeline: trust auth, no password.
DATABASE_URL: Final = f"postgres://postgres@{POSTGRES_ALIAS}:{POSTGRES_PORT}/app"
GCS_ALIAS: Final = "gcs"
GCS_PORT: Final = 9023
STORAGE_EMULATOR_HOST: Final = f"http://{GCS_ALIAS}:{GCS_PORT}"
# A service container is reached from its peers, not over its own loopback.
ALL_INTERFACES: Final = "0.0.0.0"  # noqa: S104  # nosec B104


def postgres_service() -> dagger.Service:
    # Durability settings off: the data lives as long as one pipeline run.
    return (
        dag.container()
        .from_(POSTGRES_IMAGE)
        .with_env_variable("POSTGRES_DB", "app")
        .with_env_variable("POSTGRES_HOST_AUTH_METHOD", "trust")
        .with_mounted_temp("/var/lib/postgresql/data")
        .with_exposed_port(POSTGRES_PORT)
        .as_service(
            args=["postgres", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            use_entrypoint=True,
        )
    )
