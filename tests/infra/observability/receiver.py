"""An OTLP/HTTP receiver on loopback that decodes what the app exports.

It answers `POST /v1/traces`, `/v1/metrics` and `/v1/logs` the way a collector
does (protobuf in, an empty protobuf response out) and keeps the decoded
records, so tests assert on what really went over the wire.
"""

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from tests.support.ports import free_port

SPAN_KIND_SERVER = 2
SPAN_KIND_CLIENT = 3
STATUS_CODE_ERROR = 2


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return getattr(value, kind)


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


@dataclass(frozen=True)
class SpanEvent:
    name: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class Span:
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    status_code: int
    attributes: dict[str, Any]
    resource: dict[str, Any]
    events: tuple[SpanEvent, ...] = ()


@dataclass(frozen=True)
class Point:
    """One data point: `value` for sums and gauges, `count`/`total` for histograms."""

    metric: str
    attributes: dict[str, Any]
    value: float | None
    count: int | None
    total: float | None
    resource: dict[str, Any]
    unit: str = ""
    # "counter" (monotonic sum), "updown" (other sums), "gauge" or "histogram".
    kind: str = ""


@dataclass(frozen=True)
class LogRecord:
    body: Any
    severity_text: str
    trace_id: str
    span_id: str
    attributes: dict[str, Any]
    resource: dict[str, Any]


@dataclass
class OtlpReceiver:
    url: str = ""
    decode: bool = True
    spans: list[Span] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=lambda: {"traces": 0, "metrics": 0, "logs": 0})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _traces(self, body: bytes) -> bytes:
        request = ExportTraceServiceRequest.FromString(body)
        found = [
            Span(
                name=span.name,
                kind=span.kind,
                trace_id=span.trace_id.hex(),
                span_id=span.span_id.hex(),
                parent_span_id=span.parent_span_id.hex(),
                status_code=span.status.code,
                attributes=_attributes(span.attributes),
                resource=_attributes(resource_spans.resource.attributes),
                events=tuple(SpanEvent(event.name, _attributes(event.attributes)) for event in span.events),
            )
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]
        with self.lock:
            self.spans.extend(found)
        return ExportTraceServiceResponse().SerializeToString()

    def _metrics(self, body: bytes) -> bytes:
        request = ExportMetricsServiceRequest.FromString(body)
        found: list[Point] = []
        for resource_metrics in request.resource_metrics:
            resource = _attributes(resource_metrics.resource.attributes)
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    kind = metric.WhichOneof("data")
                    if kind in ("sum", "gauge"):
                        shape = "gauge" if kind == "gauge" else "counter" if metric.sum.is_monotonic else "updown"
                        for point in getattr(metric, kind).data_points:
                            number = point.as_int if point.WhichOneof("value") == "as_int" else point.as_double
                            found.append(
                                Point(
                                    metric.name,
                                    _attributes(point.attributes),
                                    number,
                                    None,
                                    None,
                                    resource,
                                    metric.unit,
                                    shape,
                                )
                            )
                    elif kind == "histogram":
                        for point in metric.histogram.data_points:
                            found.append(
                                Point(
                                    metric.name,
                                    _attributes(point.attributes),
                                    None,
                                    point.count,
                                    point.sum,
                                    resource,
                                    metric.unit,
                                    "histogram",
                                )
                            )
        with self.lock:
            self.points.extend(found)
        return ExportMetricsServiceResponse().SerializeToString()

    def _logs(self, body: bytes) -> bytes:
        request = ExportLogsServiceRequest.FromString(body)
        found = [
            LogRecord(
                body=_value(record.body),
                severity_text=record.severity_text,
                trace_id=record.trace_id.hex(),
                span_id=record.span_id.hex(),
                attributes=_attributes(record.attributes),
                resource=_attributes(resource_logs.resource.attributes),
            )
            for resource_logs in request.resource_logs
            for scope_logs in resource_logs.scope_logs
            for record in scope_logs.log_records
        ]
        with self.lock:
            self.logs.extend(found)
        return ExportLogsServiceResponse().SerializeToString()

    def handle(self, path: str, body: bytes) -> bytes | None:
        signal = path.rstrip("/").rsplit("/", 1)[-1]
        handlers: dict[str, Callable[[bytes], bytes]] = {
            "traces": self._traces,
            "metrics": self._metrics,
            "logs": self._logs,
        }
        if not path.startswith("/v1/") or signal not in handlers:
            return None
        with self.lock:
            self.requests[signal] += 1
        return handlers[signal](body) if self.decode else b""

    def wait_for[T](self, probe: Callable[[], T | None], *, timeout: float = 15.0) -> T:
        """Polls `probe` until it returns something other than None/empty."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = probe()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing matched within {timeout}s; received {self.requests}")
            time.sleep(0.05)


def _handler_for(receiver: OtlpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.headers.get("Content-Type") != "application/x-protobuf":
                self.send_error(415)
                return
            answer = receiver.handle(self.path, body)
            if answer is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def otlp_receiver(*, decode: bool = True) -> Iterator[OtlpReceiver]:
    """A receiver listening on a free loopback port until the block ends."""
    receiver = OtlpReceiver(decode=decode)
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _handler_for(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="otlp-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
