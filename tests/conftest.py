"""Fixtures shared by the whole suite: users and their API clients, the GCS emulator, the live app."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.test.client import ClientHandler
from pytest_django import Settings

from app.accounts.models import User
from app.core.internals.request_threads import release_connections_only_when_requests_finish
from app.files.storage import storage
from app.integrations import gcs
from tests.plugin import postgres_cluster
from tests.support.api import bearer_client
from tests.support.flags import FlagSwitch, flag_file_write, flags_running, repo_flags
from tests.support.gcs import TEST_BUCKET, Emulator, emulator_start, signing_key_write
from tests.support.live_app import LiveApp, live_app, live_app_env


@pytest.fixture(scope="session", autouse=True)
def production_signal_wiring() -> Iterator[None]:
    """Keeps the app's request signal wiring under Django's in-process test client.

    Django's ClientHandler reconnects `close_old_connections` to
    `request_started` after every request, undoing what app.core.apps set up;
    this puts it back after each one. The rest of production's wiring cannot
    run in process: the test's transaction lives on the connection of the
    thread that runs the test (hence DATABASE_THREADS=0 in tests/plugin.py),
    which reused request threads, database threads and the async pool would
    never see. Tests that need all of it serve the app for real
    (tests.support.live_app).
    """
    original = ClientHandler.__call__

    def call(self: ClientHandler, environ: dict[str, Any]) -> Any:
        try:
            return original(self, environ)
        finally:
            release_connections_only_when_requests_finish()

    ClientHandler.__call__ = call
    yield
    ClientHandler.__call__ = original


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
def gcs_storage(settings: Settings, gcs_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app's storage switched to the emulator's bucket, URLs signed by a generated key; yields the bucket."""
    for name, value in gcs_env.items():
        monkeypatch.setenv(name, value)
    settings.GCS_BUCKET = gcs_env["GCS_BUCKET"]
    settings.GCS_SIGNING_KEY_FILE = gcs_env["GCS_SIGNING_KEY_FILE"]
    gcs.client.cache_clear()
    storage.cache_clear()
    yield gcs_env["GCS_BUCKET"]
    gcs.client.cache_clear()
    storage.cache_clear()


@pytest.fixture
def served_app() -> Iterator[LiveApp]:
    """The real app under uvicorn, embedded storage, its own database."""
    with live_app(live_app_env(postgres_cluster())) as app:
        yield app


@pytest.fixture(scope="session")
def embedded_pair() -> Iterator[tuple[LiveApp, LiveApp]]:
    """Two app processes serving one embedded-mode var/ (SQLite, local files), logging at DEBUG.

    As several workers or instances serve one deployment: whatever one process
    knows that the other must (a claimed upload, a rate limit) has to be shared.
    Tests share the pair: each reads only what it caused.
    """
    env = live_app_env(None, {"LOG_LEVEL": "DEBUG"})
    with live_app(env) as first, live_app(env) as second:
        yield first, second


@pytest.fixture
def flag_switch(tmp_path: Path) -> Iterator[FlagSwitch]:
    """This process's feature flags on a copy of the repo's flag file, which the test may change."""
    path = tmp_path / "flags.json"
    flag_file_write(path, repo_flags())
    with flags_running(path) as flag_file:
        yield FlagSwitch(flag_file)


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(email: str = "alice@example.com", **fields: Any) -> User:
        return User.objects.create_user(username=email, email=email, **fields)

    return make


@pytest.fixture
def alice(make_user: Callable[..., User]) -> User:
    return make_user("alice@example.com")


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob@example.com")


@pytest.fixture
def alice_api(alice: User) -> Client:
    return bearer_client(alice)


@pytest.fixture
def bob_api(bob: User) -> Client:
    return bearer_client(bob)
