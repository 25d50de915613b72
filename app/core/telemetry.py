"""OpenTelemetry: traces, metrics and logs over OTLP/HTTP, switched on by the standard variables.

`settings.OTEL_ENABLED` decides (an OTLP endpoint is set and `OTEL_SDK_DISABLED` is not true);
then `app.config.asgi` calls `instrument()` once per worker process. Endpoint, headers, timeout,
service name, resource attributes, sampler, batch sizes and export interval are the SDK's own
`OTEL_*` variables, read by the SDK. Nothing of the SDK is imported while telemetry is off: the
domain API below (`traced`, `upload_started`, ...) then hits the OpenTelemetry API's no-op
providers, and no middleware or export thread exists.
"""

import asyncio
import atexit
import functools
import logging
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.db import connections
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from opentelemetry import metrics, trace
from opentelemetry.trace import StatusCode

from app.core.problems import Problem

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

INSTRUMENTATION_NAME = "app"
DEFAULT_SERVICE_NAME = "overengineered-backend"
# Problem codes that mean "over quota" (also counted as quota refusals).
QUOTA_CODES = frozenset({"quota_exceeded"})
# Route parameters that carry a capability (signed local URLs): never recorded.
_SECRET_PARAMETER = "{token}"  # noqa: S105 - a route parameter name, not a secret
# `<uuid:file_id>` and `<file_id>` in a Django route become `{file_id}`.
_ROUTE_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
# Only these attributes label HTTP server metrics: the Host header and client
# ports would otherwise let any client create series at will.
_HTTP_METRIC_ATTRIBUTES = frozenset(
    {
        "http.method",
        "http.status_code",
        "http.target",  # the route template, never the raw path (see RouteMiddleware)
        "http.scheme",
        "http.flavor",
        "http.request.method",
        "http.response.status_code",
        "http.route",
        "error.type",
        "url.scheme",
        "network.protocol.version",
    }
)

type ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]
type AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]

_tracer = trace.get_tracer(INSTRUMENTATION_NAME)
_meter = metrics.get_meter(INSTRUMENTATION_NAME)

uploads_started = _meter.create_counter(
    "app.uploads.started", unit="{upload}", description="Uploads begun (small or direct)."
)
uploads_completed = _meter.create_counter(
    "app.uploads.completed", unit="{upload}", description="Uploads that became ready files."
)
uploads_rejected = _meter.create_counter(
    "app.uploads.rejected", unit="{upload}", description="Upload requests refused, by problem code."
)
bytes_stored = _meter.create_counter(
    "app.uploads.stored", unit="By", description="Bytes of uploads that became ready files."
)
quota_refusals = _meter.create_counter(
    "app.quota.refusals", unit="{refusal}", description="Uploads refused for exceeding a quota."
)


# --- Domain API (cheap no-ops while telemetry is off) ------------------------


def upload_started(*, kind: str, size: int) -> None:
    """Counts an upload attempt; `kind` is `small` (through the API) or `direct`."""
    uploads_started.add(1, {"kind": kind})
    trace.get_current_span().set_attribute("app.upload.size", size)


def upload_completed(*, kind: str, size: int) -> None:
    """Counts an upload that became a ready file, and its bytes."""
    uploads_completed.add(1, {"kind": kind})
    bytes_stored.add(size, {"kind": kind})
    trace.get_current_span().set_attribute("app.upload.size", size)


def upload_rejected(*, reason: str) -> None:
    uploads_rejected.add(1, {"reason": reason})
    if reason in QUOTA_CODES:
        quota_refusals.add(1)


def traced[**P, R](name: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Runs an async service inside a span `name`, recording its outcome.

    A `Problem` is a refusal, not an error: the span gets `app.outcome=rejected` and the
    problem code, and for `upload.*` spans the refusal is counted by reason.
    """
    is_upload = name.startswith("upload.")

    def decorate(service: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(service)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with _tracer.start_as_current_span(name, record_exception=False, set_status_on_exception=False) as span:
                try:
                    result = await service(*args, **kwargs)
                except Problem as problem:
                    span.set_attributes({"app.outcome": "rejected", "app.reason": problem.code})
                    if is_upload:
                        upload_rejected(reason=problem.code)
                    raise
                except Exception as error:
                    span.set_attribute("app.outcome", "error")
                    span.record_exception(error)
                    span.set_status(StatusCode.ERROR, type(error).__name__)
                    raise
                span.set_attribute("app.outcome", "ok")
                return result

        return wrapper

    return decorate


# --- Routes: span names, metric labels, and paths safe to log ----------------


@functools.lru_cache(maxsize=512)
def _template(django_route: str) -> str:
    return "/" + _ROUTE_PARAMETER.sub(r"{\1}", django_route)


def route_template(request: HttpRequest) -> str | None:
    """The matched route as a template (`/api/v1/files/{file_id}`), once Django has resolved it."""
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", None)
    return _template(route) if isinstance(route, str) else None


def loggable_path(request: HttpRequest) -> str:
    """The request path, or its route template when the path carries a signed token."""
    route = route_template(request)
    if route is not None and _SECRET_PARAMETER in route:
        return route
    return request.path


@dataclass(frozen=True)
class _ScopeRoute:
    # The ASGI instrumentation labels HTTP metrics with `scope["route"].path_format`.
    path_format: str


class RouteMiddleware:
    """Names the server span after the route (`GET /api/v1/files/{file_id}`) and labels metrics.

    Async-capable with no sync hooks, so it adds no thread hop. Installed only when telemetry
    is on.
    """

    async_capable = True
    sync_capable = False

    def __init__(self, get_response: AsyncGetResponse) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = await self.get_response(request)
        route = route_template(request)
        if route is None:
            return response
        scope: dict[str, Any] | None = getattr(request, "scope", None)
        if scope is not None:
            scope["route"] = _ScopeRoute(route)
        span = trace.get_current_span()
        if span.is_recording():
            span.update_name(f"{request.method} {route}")
            span.set_attribute("http.route", route)
            if _SECRET_PARAMETER in route:
                # The raw path holds the signed token: keep only the template.
                span.set_attributes({"http.target": route, "url.path": route, "http.url": route})
        return response


# --- Logs --------------------------------------------------------------------


def _is_not_from_opentelemetry(record: logging.LogRecord) -> bool:
    # The SDK's own warnings (a dead collector) must not feed the exporter they are about.
    return not record.name.startswith("opentelemetry")


# --- Database pool -----------------------------------------------------------


def _pool_stats() -> dict[str, int] | None:
    """Django's psycopg pool statistics, or None on SQLite or without a pool."""
    wrapper: BaseDatabaseWrapper = connections["default"]
    if wrapper.vendor != "postgresql":
        return None
    # The pool is shared by the process (class-level in Django), so any thread may read it.
    pool: Any = getattr(wrapper, "pool", None)
    return None if pool is None else dict(pool.get_stats())


# --- Set-up --------------------------------------------------------------------


@dataclass
class _Providers:
    shutdowns: list[Callable[[], object]]
    log_handler: logging.Handler | None = None


_installed: _Providers | None = None


def _resource() -> Any:
    from opentelemetry.sdk.resources import (
        SERVICE_INSTANCE_ID,
        SERVICE_NAME,
        SERVICE_VERSION,
        Resource,
    )

    # Reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; the build's version always wins.
    resource = Resource.create({SERVICE_VERSION: settings.APP_VERSION})
    defaults: dict[str, str] = {}
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        defaults[SERVICE_NAME] = DEFAULT_SERVICE_NAME
    if SERVICE_INSTANCE_ID not in resource.attributes:
        # One per worker process, so the workers' cumulative series never collide.
        defaults[SERVICE_INSTANCE_ID] = str(uuid.uuid4())
    return resource.merge(Resource(defaults)) if defaults else resource


def _pool_gauges(meter: metrics.Meter) -> None:
    pool_name = {"db.client.connection.pool.name": "default"}

    def connections_by_state(options: metrics.CallbackOptions) -> Iterable[metrics.Observation]:
        stats = _pool_stats()
        if stats is None:
            return []
        available = stats.get("pool_available", 0)
        used = stats.get("pool_size", 0) - available
        return [
            metrics.Observation(used, {**pool_name, "db.client.connection.state": "used"}),
            metrics.Observation(available, {**pool_name, "db.client.connection.state": "idle"}),
        ]

    def stat(key: str) -> Callable[[metrics.CallbackOptions], Iterable[metrics.Observation]]:
        def observe(options: metrics.CallbackOptions) -> Iterable[metrics.Observation]:
            stats = _pool_stats()
            return [] if stats is None else [metrics.Observation(stats.get(key, 0), pool_name)]

        return observe

    meter.create_observable_gauge(
        "db.client.connection.count",
        [connections_by_state],
        unit="{connection}",
        description="Connections in Django's psycopg pool, by state.",
    )
    meter.create_observable_gauge(
        "db.client.connection.max",
        [stat("pool_max")],
        unit="{connection}",
        description="Pool maximum size.",
    )
    meter.create_observable_gauge(
        "db.client.connection.pending_requests",
        [stat("requests_waiting")],
        unit="{request}",
        description="Requests waiting for a pooled connection.",
    )


def _signal_on(variable: str) -> bool:
    return variable not in settings.OTEL_DISABLED_SIGNALS


def instrument(application: ASGIApp) -> ASGIApp:
    """Builds the providers and exporters, instruments psycopg and requests, wraps the ASGI app.

    Call once per process (uvicorn imports the ASGI module in each worker).
    """
    global _installed
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.instrumentation.logging.handler import LoggingHandler
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.metrics.view import View
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from app.core.logging import RequestContextFilter

    if _installed is not None:
        raise RuntimeError("telemetry is already set up in this process")
    resource = _resource()
    providers = _Providers(shutdowns=[])

    # The sampler comes from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG.
    tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    if _signal_on("traces"):
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    providers.shutdowns.append(tracer_provider.shutdown)

    readers = [PeriodicExportingMetricReader(OTLPMetricExporter())] if _signal_on("metrics") else []
    meter_provider = MeterProvider(
        resource=resource,
        metric_readers=readers,
        views=[View(instrument_name="http.server.*", attribute_keys=set(_HTTP_METRIC_ATTRIBUTES))],
        shutdown_on_exit=False,
    )
    metrics.set_meter_provider(meter_provider)
    providers.shutdowns.append(meter_provider.shutdown)
    _pool_gauges(meter_provider.get_meter(INSTRUMENTATION_NAME))

    if _signal_on("logs"):
        logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
        logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
        set_logger_provider(logger_provider)
        handler = LoggingHandler(logger_provider=logger_provider)
        handler.addFilter(RequestContextFilter())
        handler.addFilter(_is_not_from_opentelemetry)
        logging.getLogger().addHandler(handler)
        providers.shutdowns.append(logger_provider.shutdown)
        providers.log_handler = handler

    PsycopgInstrumentor().instrument(tracer_provider=tracer_provider, skip_dep_check=True)  # pyright: ignore[reportUnknownMemberType]
    # The GCS client talks HTTP through requests (the exporters suppress their own calls).
    RequestsInstrumentor().instrument(  # pyright: ignore[reportUnknownMemberType]
        tracer_provider=tracer_provider, meter_provider=meter_provider
    )

    _installed = providers
    # For exits other than uvicorn's (which go through the lifespan shutdown).
    atexit.register(shutdown, in_threads=False)
    logger.info(
        "telemetry on",
        extra={"otel_signals": sorted({"traces", "metrics", "logs"} - settings.OTEL_DISABLED_SIGNALS)},
    )
    instrumented: ASGIApp = OpenTelemetryMiddleware(  # pyright: ignore[reportAssignmentType]
        application,
        default_span_details=_span_details,
        exclude_spans=["receive", "send"],
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
    )
    return FlushOnShutdown(instrumented)


class FlushOnShutdown:
    """Answers the ASGI lifespan protocol (Django does not) and flushes telemetry at shutdown.

    uvicorn ends a worker by re-raising SIGTERM after its graceful shutdown, so `atexit`
    never runs there; the lifespan shutdown event does, in every worker. `app serve`
    turns lifespan on only while telemetry is on.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(shutdown)
                await send({"type": "lifespan.shutdown.complete"})
                return


def _span_details(scope: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # The method alone until RouteMiddleware knows the route: the raw path may hold a token.
    return str(scope.get("method") or "HTTP"), {}


# At shutdown the signals get this long, together, to deliver what is buffered.
SHUTDOWN_TIMEOUT_SECONDS = 5.0


def shutdown(*, in_threads: bool = True) -> None:
    """Exports what is buffered and stops, within SHUTDOWN_TIMEOUT_SECONDS even with a dead collector.

    `in_threads=False` is for `atexit`, where Python starts no new thread (and the budget is the SDK's).
    """
    global _installed
    providers, _installed = _installed, None
    if providers is None:
        return
    if providers.log_handler is not None:
        logging.getLogger().removeHandler(providers.log_handler)
    if not in_threads:
        for stop in providers.shutdowns:
            stop()
        return
    # In parallel, each in a daemon thread: an unresponsive collector cannot hold the exit.
    stopping = [threading.Thread(target=stop, name="otel-shutdown", daemon=True) for stop in providers.shutdowns]
    for thread in stopping:
        thread.start()
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT_SECONDS
    for thread in stopping:
        thread.join(max(0.0, deadline - time.monotonic()))
