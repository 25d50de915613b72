"""The base of the app's own middleware: async only, so Django never runs it in a thread."""

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from asgiref.sync import markcoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase

type AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


class AsyncMiddleware(ABC):
    async_capable = True
    sync_capable = False

    def __init__(self, get_response: AsyncGetResponse) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    @abstractmethod
    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        """Handles `request`, awaiting `self.get_response` for the rest of the chain."""
