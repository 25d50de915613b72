"""The fake cloud, a service on it, traffic from users, and the controller's command line."""

import itertools
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.infra.canary.fake_cloud import FakeCloud, Image
from tests.plugin import postgres_cluster
from tests.support.live_app import live_app_env

PROJECT = "canary-project"
REGION = "europe-west1"
ACCESS_TOKEN = "fake-access-token"
SMOKE_SECRET = "smoke-token"
REGISTRY = f"{REGION}-docker.pkg.dev/{PROJECT}/app/overengineered-backend"


FIRST = f"{REGISTRY}@sha256:{'1' * 64}"
NEXT_VERSION = "1.1.0"
SERVICE = "file-drop"
LADDER = "20,60,100"
FIRST_STEP = 20
BAKE_SECONDS = 0.7
LEASE_TTL_SECONDS = 2.0
_digests = itertools.count(2)


def pushed(fake: FakeCloud, fault: str = "", *, version: str = NEXT_VERSION) -> str:
    """A new image in the fake registry (a revision of it runs `fault`)."""
    reference = f"{REGISTRY}@sha256:{next(_digests):064x}"
    fake.images[reference] = Image(version, fault)
    return reference


@pytest.fixture(scope="session")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeCloud]:
    """Cloud Run, Monitoring and Secret Manager on loopback; the service's database migrated by a job
    run of the first image, and the smoke user's token in Secret Manager."""
    env = live_app_env(postgres_cluster())
    # Revisions start from compiled bytecode, as in the image: 1 s instead of 5 s on this machine.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.mktemp("pycache"))
    subprocess.run([sys.executable, "-m", "app", "migrate", "--noinput", "-v", "0"], env=env, check=True)
    issued = subprocess.run(
        [sys.executable, "-m", "app", "issue_token", "smoke@example.com", "--create-user"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    cloud = FakeCloud(project=PROJECT, region=REGION, token=ACCESS_TOKEN, app_env=env, images={FIRST: Image("1.0.0")})
    cloud.secrets[SMOKE_SECRET] = issued.stdout.strip()
    yield cloud
    cloud.close()


@pytest.fixture(scope="session")
def service(fake: FakeCloud) -> str:
    """The service, first deployed as Terraform leaves it (LATEST 100%), and its migrations job.

    Tests share it, as successive releases do: each starts from whatever revision serves it.
    """
    fake.create_service(SERVICE, FIRST)
    fake.create_job(f"{SERVICE}-migrate", FIRST)
    return SERVICE


def serving(fake: FakeCloud, service: str) -> str:
    """The one revision with all the traffic (every run must leave the service so)."""
    [(revision, percent)] = fake.routing(service).items()
    assert percent == 100
    return revision


def controller_args(fake: FakeCloud, service: str, image: str, *extra: str) -> list[str]:
    """The controller's command line against the fake, with bake times of a test."""
    return [
        *("--project", PROJECT, "--region", REGION, "--service", service),
        *("--migrations-job", f"{service}-migrate", "--image", image, "--expected-version", NEXT_VERSION),
        *("--smoke-token-secret", SMOKE_SECRET, "--ladder", LADDER),
        *("--bake-seconds", str(BAKE_SECONDS), "--metrics-delay-seconds", "0", "--min-requests", "4"),
        *("--max-error-rate", "0.05", "--max-latency-ratio", "2", "--latency-margin-ms", "200"),
        *("--lease-ttl-seconds", str(LEASE_TTL_SECONDS), "--poll-seconds", "0.05", "--retry-initial-seconds", "0.05"),
        *("--run-endpoint", fake.endpoint, "--secret-manager-endpoint", fake.endpoint),
        *("--monitoring-endpoint", fake.monitoring.endpoint),
        *extra,
    ]


@dataclass
class Users:
    """Signed-in users calling `GET /api/v1/me` on the service URL until stopped."""

    url: str
    token: str
    clients: int = 6
    answered: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._call, daemon=True) for _ in range(self.clients)]

    def _call(self) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {self.token}"}, timeout=10) as client:
            deadline = time.monotonic() + 120  # bounded, whatever happens to the test
            while not self._stop.is_set() and time.monotonic() < deadline:
                try:
                    client.get(f"{self.url}/api/v1/me")
                    self.answered += 1
                except httpx.TransportError:
                    time.sleep(0.05)

    def __enter__(self) -> "Users":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)


@pytest.fixture
def users(fake: FakeCloud, service: str) -> Iterator[Users]:
    with Users(fake.services[service].listener.url, fake.secrets[SMOKE_SECRET]) as running:  # type: ignore[union-attr]
        yield running
