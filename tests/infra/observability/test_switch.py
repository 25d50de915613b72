"""Telemetry is switched by the standard OTEL_* variables; off means nothing at all runs."""

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from app.flags.flag_file import THREAD_NAME as FLAG_FILE_THREAD
from tests.infra.observability.receiver import OtlpReceiver

# Imports the ASGI app the way a uvicorn worker does, then reports what exists.
_INSPECT = """
import json, sys, threading
import app.config.asgi as asgi
from django.conf import settings
print(json.dumps({
    "threads": sorted(t.name for t in threading.enumerate()),
    "sdk_imported": any(name.startswith("opentelemetry.sdk") for name in sys.modules),
    "middleware": settings.MIDDLEWARE,
    "application": type(asgi.application).__name__,
}))
"""

EXPORT_THREADS = {
    "OtelBatchSpanRecordProcessor",
    "OtelBatchLogRecordProcessor",
    "OtelPeriodicExportingMetricReader",
}


def _inspect(**variables: str) -> dict[str, Any]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    environment.pop("DATABASE_URL", None)
    environment.update(variables)
    out = subprocess.run(
        [sys.executable, "-c", _INSPECT], env=environment, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_telemetry_off_runs_no_exporter_thread_and_no_middleware() -> None:
    found = _inspect()
    # The feature flag file's watch is the only thread besides the main one.
    assert found["threads"] == sorted(["MainThread", FLAG_FILE_THREAD])
    assert found["sdk_imported"] is False
    assert "app.core.telemetry.RouteMiddleware" not in found["middleware"]
    assert found["application"] == "ServeStaticASGI"


def test_telemetry_on_starts_the_exporters(receiver: OtlpReceiver) -> None:
    found = _inspect(OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url)
    assert set(found["threads"]) >= EXPORT_THREADS
    assert found["middleware"][0] == "app.core.telemetry.RouteMiddleware"
    assert found["application"] == "FlushOnShutdown"


def test_sdk_disabled_wins_over_an_endpoint(receiver: OtlpReceiver) -> None:
    found = _inspect(OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url, OTEL_SDK_DISABLED="true")
    assert found["threads"] == sorted(["MainThread", FLAG_FILE_THREAD])
    assert found["sdk_imported"] is False


def test_one_signal_can_be_switched_off(receiver: OtlpReceiver) -> None:
    found = _inspect(OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url, OTEL_LOGS_EXPORTER="none")
    threads = set(found["threads"])
    assert "OtelBatchLogRecordProcessor" not in threads
    assert "OtelBatchSpanRecordProcessor" in threads


@pytest.mark.parametrize("variable", ["OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"])
def test_an_unknown_exporter_stops_start_up_naming_the_variable(variable: str) -> None:
    with pytest.raises(subprocess.CalledProcessError) as failure:
        subprocess.run(
            [sys.executable, "-c", _INSPECT],
            env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", variable: "zipkin"},
            capture_output=True,
            text=True,
            check=True,
        )
    assert variable in failure.value.stderr
