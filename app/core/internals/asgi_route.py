"""Handing the matched route to OpenTelemetry's ASGI middleware."""

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _ScopeRoute:
    path_format: str


def scope_route_set(scope: MutableMapping[str, Any], route: str) -> None:
    """Labels the request's HTTP server metrics with `route` rather than the raw path.

    opentelemetry-instrumentation-asgi reads `scope["route"].path_format` (the
    shape Starlette's routes have) for `http.route`; Django has no such object,
    so this puts one there.
    """
    scope["route"] = _ScopeRoute(route)
