"""What the app records: domain spans, and route names for spans, metrics and logs.

`settings.OTEL_ENABLED` decides (an OTLP endpoint is set and `OTEL_SDK_DISABLED` is not true);
then `app.config.asgi` calls `app.integrations.otel.instrument()` once per worker process, and
the SDK reads its own `OTEL_*` variables. While telemetry is off, `traced` and the metrics each
app records (app/files/metrics.py) hit the OpenTelemetry API's no-op providers, and no
middleware or export thread exists.
"""

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from app.core.async_middleware import AsyncMiddleware
from app.core.internals.asgi_route import scope_route_set
from app.core.problems import Problem

logger = logging.getLogger(__name__)

INSTRUMENTATION_NAME = "app"
DEFAULT_SERVICE_NAME = "overengineered-backend"
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


def traced[**P, R](
    name: str, *, on_problem: Callable[[Problem], None] | None = None
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Runs an async service inside a span `name`, recording its outcome.

    A `Problem` is a refusal, not an error: the span gets `app.outcome=rejected` and the
    problem code, and `on_problem` (if given) hears of it, to count refusals by reason.
    """

    def decorate(service: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(service)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with _tracer.start_as_current_span(name, record_exception=False, set_status_on_exception=False) as span:
                try:
                    result = await service(*args, **kwargs)
                except Problem as problem:
                    span.set_attributes({"app.outcome": "rejected", "app.reason": problem.code})
                    if on_problem is not None:
                        on_problem(problem)
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
            scope_route_set(scope, route)
        span = trace.get_current_span()
        if span.is_recording():
            span.update_name(f"{request.method} {route}")
            span.set_attribute("http.route", route)
            if _SECRET_PARAMETER in route:
                # The raw path holds the signed token: keep only the template.
                span.set_attributes({"http.target": route, "url.path": route, "http.url": route})
        return response
