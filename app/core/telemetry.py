"""What the app records: domain spans and metrics, and route names for spans and logs.

`settings.OTEL_ENABLED` decides (an OTLP endpoint is set and `OTEL_SDK_DISABLED` is not true);
then `app.config.asgi` calls `app.integrations.otel.instrument()` once per worker process, and
the SDK reads its own `OTEL_*` variables. While telemetry is off the domain API below
(`traced`, `upload_started`, ...) hits the OpenTelemetry API's no-op providers, and no
middleware or export thread exists.
"""

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from opentelemetry import metrics, trace
from opentelemetry.trace import StatusCode

from app.core.async_middleware import AsyncMiddleware
from app.core.problems import Problem

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
HTTP_METRIC_ATTRIBUTES = frozenset(
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


class RouteMiddleware(AsyncMiddleware):
    """Names the server span after the route (`GET /api/v1/files/{file_id}`) and labels metrics.

    Async only, so it adds no thread hop. Installed only when telemetry is on.
    """

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
