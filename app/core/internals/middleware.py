"""Django's own middleware, run on the event loop instead of in a thread.

Under ASGI, Django runs every `MiddlewareMixin` hook through `sync_to_async`:
a hop to a per-request thread for each `process_request` and
`process_response`, which measured here as most of a request's cost. These
subclasses keep Django's logic and call the hooks directly, because those
hooks only compute headers and read cookies. Where a hook may do I/O (saving
a modified session or stored messages, parsing a form body for its CSRF
token) it still goes to a thread, but only then.

`app.core.checks` makes sure they stand where Django's checks expect the originals.
"""

from typing import Any, cast

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware import clickjacking, common, csrf, security

# django-types lags Django 6.1: it has no django.middleware.csp.
from django.middleware.csp import ContentSecurityPolicyMiddleware as _DjangoCSPMiddleware  # pyright: ignore[reportMissingImports, reportUnknownVariableType]

from app.core.async_middleware import AsyncGetResponse


class InlineHooks:
    """Runs a `MiddlewareMixin` subclass's hooks directly on the event loop."""

    sync_capable = False
    async_capable = True

    def process_request_needs_thread(self, request: HttpRequest) -> bool:
        return False

    def process_response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        return False

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        process_request = getattr(self, "process_request", None)
        process_response = getattr(self, "process_response", None)
        response = None
        if process_request is not None:
            if self.process_request_needs_thread(request):
                response = await sync_to_async(process_request)(request)
            else:
                response = process_request(request)
        # MiddlewareMixin.__init__ sets get_response; in an async chain it returns an
        # awaitable. The cast names an alias: a type spelled out here is built per call.
        get_response = cast(AsyncGetResponse, self.get_response)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        response = response or await get_response(request)
        if process_response is not None:
            if self.process_response_needs_thread(request, response):
                response = await sync_to_async(process_response)(request, response)
            else:
                response = process_response(request, response)
        return response


class SecurityMiddleware(InlineHooks, security.SecurityMiddleware):
    pass


class CommonMiddleware(InlineHooks, common.CommonMiddleware):
    pass


class XFrameOptionsMiddleware(InlineHooks, clickjacking.XFrameOptionsMiddleware):
    pass


class ContentSecurityPolicyMiddleware(InlineHooks, _DjangoCSPMiddleware):  # pyright: ignore[reportUntypedBaseClass]
    pass


class SessionMiddleware(InlineHooks, sessions.SessionMiddleware):
    def process_response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        session = getattr(request, "session", None)
        return session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


class MessageMiddleware(InlineHooks, messages.MessageMiddleware):
    def process_response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        storage = getattr(request, "_messages", None)
        return storage is not None and (storage.used or storage.added_new)


class CsrfViewMiddleware(InlineHooks, csrf.CsrfViewMiddleware):
    # With CSRF_USE_SESSIONS the secret lives in the session store: every hook may do I/O.
    def process_request_needs_thread(self, request: HttpRequest) -> bool:
        return settings.CSRF_USE_SESSIONS

    def process_response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        return settings.CSRF_USE_SESSIONS

    async def process_view(  # pyright: ignore[reportIncompatibleMethodOverride] - Django awaits async hooks
        self, request: HttpRequest, callback: Any, callback_args: Any, callback_kwargs: Any
    ) -> HttpResponseBase | None:
        # An unsafe request to a protected view may make Django read the form
        # body (file uploads spool to disk): that one goes to a thread.
        needs_body = request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and not getattr(
            callback, "csrf_exempt", False
        )
        if needs_body or settings.CSRF_USE_SESSIONS:
            return await sync_to_async(super().process_view)(request, callback, callback_args, callback_kwargs)
        return super().process_view(request, callback, callback_args, callback_kwargs)


class AuthenticationMiddleware(InlineHooks, auth.AuthenticationMiddleware):
    pass
