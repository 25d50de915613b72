"""Each HTTP request's server span and HTTP server metrics, cheap for the requests not sampled.

Replaces opentelemetry-instrumentation-asgi's middleware, which built the span's
dozen attributes and three sets of metric attributes for every request, sampled or
not, and ran each through the SDK's attribute checks: about a third of an unsampled
request's CPU on the hottest endpoint (README, Benchmark). Here a request whose
trace is not sampled pays for a sampling decision, a non-recording span in the
context, one histogram measurement whose attributes are built once per (method,
scheme, flavor, status, route), and a count in a dict; the instrumentations of
its queries and outgoing calls are suppressed, since their spans would be dropped.
A sampled request's span gets what the instrumentation gave it: the attributes of
its `collect_request_attributes` and `set_status_code`, set when the request ends,
with the route and the recordable path (app.core.telemetry).

The metrics are those the dashboard (alloy/dashboards) reads, with the
instrumentation's names, units and labels: `http.server.duration` (ms, by method,
scheme, flavor, status and route in `http.target`) and `http.server.active_requests`
(by method, scheme and flavor), the latter observed at each export.
"""

from collections.abc import Iterable, MutableMapping
from timeit import default_timer
from typing import Any

from opentelemetry import context, metrics, propagate, trace
from opentelemetry.instrumentation.asgi import (  # pyright: ignore[reportMissingTypeStubs]
    collect_request_attributes,  # pyright: ignore[reportUnknownVariableType]
    set_status_code,  # pyright: ignore[reportUnknownVariableType]
)
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.http import sanitize_method

from app.core.telemetry import (
    INSTRUMENTATION_NAME,
    RECORDED_PATH_SCOPE_KEY,
    ROUTE_SCOPE_KEY,
    ASGIApp,
    ASGISend,
    Scope,
)

HTTP_SERVER_DURATION = "http.server.duration"
HTTP_SERVER_ACTIVE_REQUESTS = "http.server.active_requests"
# What a client sees when the app raises instead of answering (uvicorn's answer).
INTERNAL_SERVER_ERROR = 500
_STANDARD_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})

type _ActiveKey = tuple[str, str, str]
type _DurationKey = tuple[str, str, str, int, str | None]


class ServerTelemetry:
    """ASGI middleware: a server span and the HTTP server metrics for each HTTP request."""

    def __init__(self, app: ASGIApp, *, tracer_provider: trace.TracerProvider, meter_provider: metrics.MeterProvider):
        self.app = app
        self._tracer = tracer_provider.get_tracer(INSTRUMENTATION_NAME)
        meter = meter_provider.get_meter(INSTRUMENTATION_NAME)
        self._duration = meter.create_histogram(
            HTTP_SERVER_DURATION, unit="ms", description="Measures the duration of inbound HTTP requests."
        )
        meter.create_observable_up_down_counter(
            HTTP_SERVER_ACTIVE_REQUESTS,
            [self._observe_active],
            unit="{request}",
            description="Number of active HTTP server requests.",
        )
        # Only the event loop's thread writes these; the export thread reads a copy.
        self._active: dict[_ActiveKey, int] = {}
        self._duration_attributes: dict[_DurationKey, dict[str, str | int]] = {}
        self._propagation_headers = frozenset(name.encode("latin-1") for name in propagate.get_global_textmap().fields)

    async def __call__(self, scope: Scope, receive: Any, send: ASGISend) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = default_timer()
        parent = self._parent(scope)
        method: str = scope["method"]
        span = self._tracer.start_span(method, context=parent, kind=SpanKind.SERVER)
        token = context.attach(trace.set_span_in_context(span, parent))
        active = (
            method if method in _STANDARD_METHODS else sanitize_method(method),
            scope.get("scheme") or "http",
            scope.get("http_version") or "",
        )
        self._active[active] = self._active.get(active, 0) + 1
        status = 0

        async def send_noting_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if span.is_recording():
                await self.app(scope, receive, send_noting_status)
            else:
                # Its queries' and outgoing calls' spans would be dropped with it: the
                # instrumentations (psycopg, requests) skip them altogether instead.
                with suppress_instrumentation():
                    await self.app(scope, receive, send_noting_status)
        except Exception as error:
            status = status or INTERNAL_SERVER_ERROR
            if span.is_recording():
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
            raise
        finally:
            self._active[active] -= 1
            route: str | None = scope.get(ROUTE_SCOPE_KEY)
            elapsed_ms = max(round((default_timer() - started) * 1000), 0)
            # Inside the span's context: a sampled request's measurement carries it as an exemplar.
            self._duration.record(elapsed_ms, self._duration_labels((*active, status, route)))
            if span.is_recording():
                _finish(span, scope, route, status)
            context.detach(token)

    def _parent(self, scope: Scope) -> context.Context | None:
        """The caller's trace context, when the request carries one."""
        headers: list[tuple[bytes, bytes]] = scope.get("headers") or []
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in headers
            if name in self._propagation_headers
        }
        return propagate.extract(carrier) if carrier else None

    def _duration_labels(self, key: _DurationKey) -> dict[str, str | int]:
        cached = self._duration_attributes.get(key)
        if cached is not None:
            return cached
        method, scheme, flavor, status, route = key
        labels: dict[str, str | int] = {"http.method": method, "http.scheme": scheme, "http.flavor": flavor}
        if status:
            labels["http.status_code"] = status
        if route is not None:
            labels["http.target"] = route
        # Bounded: standard methods, status codes and route templates only.
        self._duration_attributes[key] = labels
        return labels

    def _observe_active(self, options: metrics.CallbackOptions) -> Iterable[metrics.Observation]:
        counts = dict(self._active)  # one copy, made under the GIL
        return [
            metrics.Observation(count, {"http.method": method, "http.scheme": scheme, "http.flavor": flavor})
            for (method, scheme, flavor), count in counts.items()
        ]


def _finish(span: trace.Span, scope: MutableMapping[str, Any], route: str | None, status: int) -> None:
    attributes: dict[str, Any] = collect_request_attributes(scope)  # pyright: ignore[reportUnknownVariableType]
    path: str | None = scope.get(RECORDED_PATH_SCOPE_KEY)
    if path is not None:
        # The raw path holds a signed token: keep only what may be recorded.
        attributes.update({"http.target": path, "url.path": path, "http.url": path})
    if route is not None:
        span.update_name(f"{scope['method']} {route}")
        attributes["http.route"] = route
    span.set_attributes(attributes)
    if status:
        set_status_code(span, status)
    span.end()
