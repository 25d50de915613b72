"""Requests answered in front of Django (an ASGI route or guard), the way Django-served ones are.

Django's ASGI handler reads a request's whole body into a temporary file
before any middleware or view runs; whatever must be decided before that
(embedded mode's signed upload, a body over the limit) is answered here
instead, with what RequestContextMiddleware and NoStoreMiddleware give every
other answer: `X-Request-ID`, `Cache-Control: no-store`, one access line.
"""

import time
from types import TracebackType
from typing import Any, Self

from django.http import HttpRequest, HttpResponse

from app.core.internals.asgi_request import headers_only_request
from app.core.middleware import REQUEST_ID_HEADER, access_log
from app.core.request_context import request_id_from_header, request_id_var
from app.core.telemetry import ASGISend, Scope, loggable_path, route_record

# The status logged for a client that went away before its answer (nginx's convention).
CLIENT_CLOSED_REQUEST = 499


class OutsideDjango:
    """One request answered in front of Django; its request id is current inside `async with`.

    `request` reads the headers, host and scheme as Django would (the body is
    never read through it).
    """

    def __init__(self, scope: Scope, send: ASGISend) -> None:
        self.started = time.perf_counter()
        self.request: HttpRequest = headers_only_request(scope)
        self.request_id = request_id_from_header(self.request.headers.get(REQUEST_ID_HEADER))
        self._scope = scope
        self._send = send

    async def __aenter__(self) -> Self:
        self._reset = request_id_var.set(self.request_id)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        request_id_var.reset(self._reset)

    async def answer(self, response: HttpResponse | None, *, route: str | None = None) -> None:
        """Sends `response` (None: the client went away, nothing to send) and logs the request."""
        if response is not None:
            response[REQUEST_ID_HEADER] = self.request_id
            response["Cache-Control"] = "no-store"
            response["X-Content-Type-Options"] = "nosniff"
            body = response.content
            response["Content-Length"] = str(len(body))
            headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
            start: dict[str, Any] = {"type": "http.response.start", "status": response.status_code, "headers": headers}
            await self._send(start)
            await self._send({"type": "http.response.body", "body": body})
        path = loggable_path(self.request)
        route_record(self._scope, route=route, path=path)
        status = CLIENT_CLOSED_REQUEST if response is None else response.status_code
        access_log(self.request, status=status, started=self.started)
