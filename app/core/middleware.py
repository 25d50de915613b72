"""Async-native middleware: none of these hop to a thread."""

from collections.abc import Awaitable, Callable

from django.http import HttpRequest, HttpResponseBase

from app.core.request_context import request_id_from_header, request_id_var

REQUEST_ID_HEADER = "X-Request-ID"

type AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


class RequestIdMiddleware:
    """Takes the proxy's X-Request-ID (or makes one), logs with it, echoes it."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response: AsyncGetResponse) -> None:
        self.get_response = get_response

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_from_header(request.headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(request_id)
        try:
            response = await self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response
