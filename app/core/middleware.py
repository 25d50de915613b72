"""Async-native middleware: none of these hop to a thread."""

import logging
import time

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from app.core.async_middleware import AsyncMiddleware
from app.core.request_context import request_id_from_header, request_id_var
from app.core.telemetry import loggable_path

REQUEST_ID_HEADER = "X-Request-ID"

access_logger = logging.getLogger("app.access")


class RequestContextMiddleware(AsyncMiddleware):
    """Takes the proxy's X-Request-ID (or makes one), echoes it, and logs one access line.

    The client address and scheme are what uvicorn made of X-Forwarded-For/Proto,
    which it trusts only from `--forwarded-allow-ips`.
    """

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        request_id = request_id_from_header(request.headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(request_id)
        try:
            response = await self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            if access_logger.isEnabledFor(logging.INFO):
                access_logger.info(
                    "request",
                    extra={
                        "method": request.method,
                        # Never a signed token: such paths are logged as their route.
                        "path": loggable_path(request),
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "client_ip": request.META.get("REMOTE_ADDR"),
                        "scheme": request.scheme,
                        "host": request.META.get("HTTP_HOST"),
                    },
                )
            return response
        finally:
            request_id_var.reset(token)
