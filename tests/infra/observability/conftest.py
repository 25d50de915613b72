"""Fixtures for telemetry tests: an OTLP receiver and the real app exporting to it."""

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager

import pytest

from tests.infra.observability.receiver import OtlpReceiver, otlp_receiver
from tests.plugin import postgres_cluster
from tests.support.live_app import LiveApp, live_app, live_app_env

# What the app reports as its build version in these tests.
TEST_VERSION = "9.8.7-test"


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with otlp_receiver() as found:
        yield found


def otel_env(endpoint: str, **extra: str) -> dict[str, str]:
    """Telemetry on, exporting quickly to `endpoint`, through the standard variables only."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_SERVICE_NAME": "file-drop-test",
        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=test",
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_BLRP_SCHEDULE_DELAY": "100",
        "OTEL_METRIC_EXPORT_INTERVAL": "300",
        "APP_VERSION": TEST_VERSION,
        **extra,
    }


def serve(environment: Mapping[str, str]) -> AbstractContextManager[LiveApp]:
    """The real app under uvicorn on the run's PostgreSQL with `environment` added."""
    return live_app(live_app_env(postgres_cluster(), environment))


@pytest.fixture
def traced_app(receiver: OtlpReceiver) -> Iterator[LiveApp]:
    """The app with every signal exported to `receiver`."""
    with serve(otel_env(receiver.url)) as app:
        yield app
