"""Fixtures shared by the whole suite: the GCS emulator and the live app."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugin import postgres_cluster
from tests.support.gcs import TEST_BUCKET, Emulator, emulator_start, signing_key_write
from tests.support.live_app import LiveApp, live_app, live_app_env


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[Emulator]:
    """One in-memory GCS emulator on loopback for the whole run."""
    emulator = emulator_start()
    yield emulator
    emulator.server.stop()


@pytest.fixture(scope="session")
def gcs_signing_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return signing_key_write(tmp_path_factory.mktemp("gcs") / "signer.json")


@pytest.fixture
def gcs_env(gcs_emulator: Emulator, gcs_signing_key: Path) -> dict[str, str]:
    """Environment variables that switch a (sub)process to the emulator's bucket."""
    return {
        "GCS_BUCKET": TEST_BUCKET,
        "STORAGE_EMULATOR_HOST": gcs_emulator.url,
        "GCS_SIGNING_KEY_FILE": str(gcs_signing_key),
    }


@pytest.fixture
def served_app() -> Iterator[LiveApp]:
    """The real app under uvicorn, embedded storage, its own database."""
    with live_app(live_app_env(postgres_cluster())) as app:
        yield app
