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
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from app.core.async_middleware import AsyncMiddleware
from app.core.problems import Problem
from app.core.signed_urls import without_secrets

logger = logging.getLogger(__name__)

INSTRUMENTATION_NAME = "app"
DEFAULT_SERVICE_NAME = "overengineered-backend"
# `<uuid:file_id>` and `<file_id>` in a Django route become `{file_id}`.
_ROUTE_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
# Where RouteMiddleware (or a route answered in front of Django) leaves the matched
# route template and the path as it may be recorded, for the server span and the
# HTTP server metrics (app/integrations/otel_server.py).
ROUTE_SCOPE_KEY = "app.route"
RECORDED_PATH_SCOPE_KEY = "app.recorded_path"

type Scope = MutableMapping[str, Any]
type ASGIReceive = Callable[[], Awaitable[dict[str, Any]]]
type ASGISend = Callable[[dict[str, Any]], Awaitable[None]]
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
    """The request path, with a signed URL's token replaced by `{token}` (matched route or not)."""
    return without_secrets(request.path)


def route_record(scope: Scope | None, *, route: str | None, path: str) -> None:
    """Leaves `route` in the scope, to name the server span and label the HTTP metrics.

    `path` is the request path as it may be recorded (see `loggable_path`):
    when it differs from the raw one (which then holds a signed token), the
    span records it instead, whether or not a route matched.
    """
    if scope is None:
        return
    if route is not None:
        scope[ROUTE_SCOPE_KEY] = route
    if path != scope.get("path", path):
        scope[RECORDED_PATH_SCOPE_KEY] = path


class RouteMiddleware(AsyncMiddleware):
    """Leaves the matched route in the scope, to name the server span (`GET /api/v1/files/{file_id}`) and label metrics.

    Async only, so it adds no thread hop. Installed only when telemetry is on.
    """

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = await self.get_response(request)
        route_record(getattr(request, "scope", None), route=route_template(request), path=loggable_path(request))
        return response
