"""The server span and HTTP metrics middleware, on the real SDK with in-memory readers."""

import asyncio
from typing import Any

import pytest
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, Sampler
from opentelemetry.trace import StatusCode

from app.core.telemetry import ROUTE_SCOPE_KEY
from app.integrations.otel_server import HTTP_SERVER_DURATION, ServerTelemetry


class Telemetry:
    def __init__(self, sampler: Sampler) -> None:
        self.spans = InMemorySpanExporter()
        tracer_provider = TracerProvider(sampler=sampler)
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.metrics = InMemoryMetricReader()
        self.tracer_provider, self.meter_provider = tracer_provider, MeterProvider(metric_readers=[self.metrics])
        self.instrumented_inside: list[bool] = []

    def serve(self, *, fail: bool = False) -> None:
        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            self.instrumented_inside.append(is_instrumentation_enabled())
            scope[ROUTE_SCOPE_KEY] = "/api/v1/files/{file_id}"
            if fail:
                raise RuntimeError("boom")
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        async def send(message: dict[str, Any]) -> None:
            pass

        middleware = ServerTelemetry(app, tracer_provider=self.tracer_provider, meter_provider=self.meter_provider)
        scope = {"type": "http", "method": "GET", "scheme": "http", "http_version": "1.1", "path": "/api/v1/files/1"}
        scope |= {"headers": [], "query_string": b"", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 5000)}
        asyncio.run(middleware(scope, None, send))

    def durations(self) -> list[HistogramDataPoint]:
        data = self.metrics.get_metrics_data()
        assert data is not None
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == HTTP_SERVER_DURATION
            for point in metric.data.data_points
            if isinstance(point, HistogramDataPoint)
        ]


def test_an_unsampled_request_is_measured_but_its_instrumentations_are_suppressed() -> None:
    telemetry = Telemetry(ALWAYS_OFF)
    telemetry.serve()
    assert telemetry.spans.get_finished_spans() == ()
    assert telemetry.instrumented_inside == [False]
    (point,) = telemetry.durations()
    assert point.count == 1
    assert point.attributes == {
        "http.method": "GET",
        "http.scheme": "http",
        "http.flavor": "1.1",
        "http.status_code": 200,
        "http.target": "/api/v1/files/{file_id}",
    }


def test_a_sampled_request_gets_a_span_named_by_route_and_its_queries_are_instrumented() -> None:
    telemetry = Telemetry(ALWAYS_ON)
    telemetry.serve()
    (span,) = telemetry.spans.get_finished_spans()
    assert span.name == "GET /api/v1/files/{file_id}"
    assert span.attributes is not None
    assert span.attributes["http.route"] == "/api/v1/files/{file_id}"
    assert span.attributes["http.status_code"] == 200
    assert telemetry.instrumented_inside == [True]


def test_a_request_that_raises_counts_as_a_500_and_its_span_records_the_error() -> None:
    telemetry = Telemetry(ALWAYS_ON)
    with pytest.raises(RuntimeError):
        telemetry.serve(fail=True)
    (span,) = telemetry.spans.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]
    (point,) = telemetry.durations()
    assert point.attributes is not None
    assert point.attributes["http.status_code"] == 500
