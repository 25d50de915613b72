"""Async-native middleware: none of these hop to a thread."""

import logging
import time
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control

from app.core.async_middleware import AsyncMiddleware
from app.core.problems import (
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    PROBLEM_CONTENT_TYPE,
    REQUEST_REFUSED,
    problem_code_for,
    problem_response,
)
from app.core.request_context import request_id_from_header, request_id_var
from app.core.signed_urls import SIGNED_URL_PREFIX
from app.core.telemetry import loggable_path

REQUEST_ID_HEADER = "X-Request-ID"

access_logger = logging.getLogger("app.access")

# Paths whose answers are for programs: the API, and embedded mode's signed URLs.
API_PATHS = ("/api/", SIGNED_URL_PREFIX)
# A text body short enough to be a reason (a guard's "Staff only.") is kept as the problem's detail.
_REASON_MAX_BYTES = 200
_DETAIL_FOR_STATUS = {HTTPStatus.NOT_FOUND: NOT_FOUND, HTTPStatus.BAD_REQUEST: REQUEST_REFUSED}


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
            access_log(request, status=response.status_code, started=started)
            return response
        finally:
            request_id_var.reset(token)


def access_log(request: HttpRequest, *, status: int, started: float) -> None:
    """The one access line of a request that began at `started` (`time.perf_counter()`)."""
    if access_logger.isEnabledFor(logging.INFO):
        access_logger.info(
            "request",
            extra={
                "method": request.method,
                # Never a signed token: such paths are logged with `{token}` in its place.
                "path": loggable_path(request),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "client_ip": request.META.get("REMOTE_ADDR"),
                "scheme": request.scheme,
                "host": request.META.get("HTTP_HOST"),
            },
        )


def _problem_detail(request: HttpRequest, response: HttpResponseBase) -> str:
    status = HTTPStatus(response.status_code)
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        return METHOD_NOT_ALLOWED.format(method=request.method, allowed=response.get("Allow", "none"))
    if (
        isinstance(response, HttpResponse)
        and response.get("Content-Type", "").startswith("text/plain")
        and 0 < len(response.content) <= _REASON_MAX_BYTES
    ):
        return response.content.decode(errors="replace")
    return _DETAIL_FOR_STATUS.get(status, f"{status.phrase}.")


class ProblemAnswersMiddleware(AsyncMiddleware):
    """Under the API paths every error is a problem, the framework's own too.

    Django's 404 for a path no route matches, its 400 for a Host header not in
    ALLOWED_HOSTS, ninja's 405 and a guard's text 403 come as HTML or text; they
    are answered as problem details instead, keeping the original's headers
    (`Allow`, the security headers) and cookies. Outside the API paths pages stay pages.
    """

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = await self.get_response(request)
        if (
            response.status_code < HTTPStatus.BAD_REQUEST
            or not request.path.startswith(API_PATHS)
            or response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)
        ):
            return response
        problem = problem_response(
            request,
            status=response.status_code,
            detail=_problem_detail(request, response),
            code=problem_code_for(response.status_code),
        )
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                problem[header] = value
        problem.cookies = response.cookies
        return problem


class NoStoreMiddleware(AsyncMiddleware):
    """`Cache-Control: no-store` on every answer that is private: no shared cache may keep it.

    Private are the API's answers (a user's data, an upload URL, a new token's
    secret, and its errors) and those of the signed URLs, and any answer to a
    request that carried credentials (a bearer token or the session cookie).
    """

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = await self.get_response(request)
        is_private = (
            request.path.startswith(API_PATHS)
            or "HTTP_AUTHORIZATION" in request.META
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        )
        if is_private and "no-store" not in response.get("Cache-Control", ""):
            patch_cache_control(response, private=True, no_store=True)
        return response
