"""The OpenTelemetry SDK: providers, OTLP/HTTP exporters, instrumentation and shutdown.

Imported by `app.config.asgi` only when `settings.OTEL_ENABLED`, so nothing of the SDK
is loaded (and no export thread starts) while telemetry is off. What the app records
goes through the API in `app.core.telemetry`.
"""

import asyncio
import atexit
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper


from app.core.middleware import access_logger
from app.core.telemetry import DEFAULT_SERVICE_NAME, INSTRUMENTATION_NAME, ASGIApp

logger = logging.getLogger(__name__)

# From this status on, an access line is exported whether its trace was sampled or not.
SERVER_ERROR = 500


# --- Logs --------------------------------------------------------------------


def _is_not_from_opentelemetry(record: logging.LogRecord) -> bool:
    # The SDK's own warnings (a dead collector) must not feed the exporter they are about.
    return not record.name.startswith("opentelemetry")


def _is_worth_exporting(record: logging.LogRecord) -> bool:
    """Every record but the access lines of requests whose trace is not sampled and did not fail.

    Stdout keeps every access line (Cloud Logging, the journal and Alloy's
    container logs read it); the OTLP copy is for going from a line to its trace,
    which only a sampled request has. Exporting each line cost about an eighth of
    the hottest endpoint's requests/s (README, Benchmark).
    """
    if record.name != access_logger.name or trace.get_current_span().get_span_context().trace_flags.sampled:
        return True
    status = getattr(record, "status", None)
    return isinstance(status, int) and status >= SERVER_ERROR


# --- Database pool -----------------------------------------------------------


def _pool_stats() -> dict[str, int] | None:
    """Django's psycopg pool statistics, or None on SQLite or without a pool."""
    wrapper: BaseDatabaseWrapper = connections["default"]
    if wrapper.vendor != "postgresql":
        return None
    # The pool is shared by the process (class-level in Django), so any thread may read it.
    pool: Any = getattr(wrapper, "pool", None)
    return None if pool is None else dict(pool.get_stats())


# --- Queries on SQLite (psycopg's instrumentation covers PostgreSQL) ---------------

_sqlite_tracer = trace.get_tracer(INSTRUMENTATION_NAME)


def _traced_query(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    if not is_instrumentation_enabled():  # an unsampled request (app/integrations/otel_server.py)
        return execute(sql, params, many, context)
    operation = sql.split(None, 1)[0].upper() if sql.strip() else "SQL"
    with _sqlite_tracer.start_as_current_span(
        operation,
        kind=trace.SpanKind.CLIENT,
        attributes={"db.system": "sqlite", "db.statement": sql, "db.operation.name": operation},
    ):
        return execute(sql, params, many, context)


def _trace_sqlite_queries(sender: object, connection: "BaseDatabaseWrapper", **kwargs: object) -> None:
    """Gives every query on a new SQLite connection a client span, as psycopg's instrumentation does on PostgreSQL."""
    if connection.vendor == "sqlite" and _traced_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(_traced_query)


# --- Set-up --------------------------------------------------------------------

# Without OTEL_TRACES_SAMPLER: a tenth of the traces that start here, and every
# trace whose caller sampled it (README, Observability). Measured (README, Benchmark):
# the hottest endpoint keeps about 0.85 of its requests/s at a tenth, 0.6 at full sampling.
DEFAULT_TRACES_SAMPLING_RATIO = 0.1


def _default_sampler() -> Any:
    """None (the SDK reads OTEL_TRACES_SAMPLER/_ARG) when the variable is set, else 10% parent-based."""
    if "OTEL_TRACES_SAMPLER" in os.environ:
        return None
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    return ParentBased(TraceIdRatioBased(DEFAULT_TRACES_SAMPLING_RATIO))


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
    from opentelemetry.instrumentation.logging.handler import LoggingHandler
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from app.core.logging import RequestContextFilter, SecretsFilter
    from app.integrations.otel_server import ServerTelemetry

    if _installed is not None:
        raise RuntimeError("telemetry is already set up in this process")
    resource = _resource()
    providers = _Providers(shutdowns=[])

    tracer_provider = TracerProvider(resource=resource, sampler=_default_sampler(), shutdown_on_exit=False)
    if _signal_on("traces"):
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    providers.shutdowns.append(tracer_provider.shutdown)

    readers = [PeriodicExportingMetricReader(OTLPMetricExporter())] if _signal_on("metrics") else []
    meter_provider = MeterProvider(resource=resource, metric_readers=readers, shutdown_on_exit=False)
    metrics.set_meter_provider(meter_provider)
    providers.shutdowns.append(meter_provider.shutdown)
    _pool_gauges(meter_provider.get_meter(INSTRUMENTATION_NAME))

    if _signal_on("logs"):
        logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
        logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
        set_logger_provider(logger_provider)
        handler = LoggingHandler(logger_provider=logger_provider)
        handler.addFilter(_is_worth_exporting)  # first: what it drops skips the other filters
        handler.addFilter(RequestContextFilter())
        handler.addFilter(SecretsFilter())
        handler.addFilter(_is_not_from_opentelemetry)
        logging.getLogger().addHandler(handler)
        providers.shutdowns.append(logger_provider.shutdown)
        providers.log_handler = handler

    # psycopg's spans cover Django's connections and the hot reads' async pool alike.
    PsycopgInstrumentor().instrument(tracer_provider=tracer_provider, skip_dep_check=True)  # pyright: ignore[reportUnknownMemberType]
    connection_created.connect(_trace_sqlite_queries, weak=False)
    # The GCS client talks HTTP through requests (the exporters suppress their own calls).
    # Spans only: an unsampled request skips client instrumentation, so its client
    # metrics would count only the sampled requests' calls.
    RequestsInstrumentor().instrument(  # pyright: ignore[reportUnknownMemberType]
        tracer_provider=tracer_provider, meter_provider=metrics.NoOpMeterProvider()
    )

    _installed = providers
    # For exits other than uvicorn's (which go through the lifespan shutdown).
    atexit.register(shutdown, in_threads=False)
    logger.info(
        "telemetry on",
        extra={"otel_signals": sorted({"traces", "metrics", "logs"} - settings.OTEL_DISABLED_SIGNALS)},
    )
    return FlushOnShutdown(ServerTelemetry(application, tracer_provider=tracer_provider, meter_provider=meter_provider))


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
