"""What app/core/internals relies on in Django, asgiref, django-ninja and OpenTelemetry.

Each test is one assumption, named in its failure message: when an upgrade
breaks it, re-read the internals module it names before anything else.
"""

import asyncio
import logging
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.contrib.messages.storage.base import BaseStorage
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, reset_queries
from django.http import HttpRequest, HttpResponse
from django.middleware import csrf, security
from django.test import RequestFactory
from django.utils.log import log_response
from ninja.security import APIKeyCookie

from app.core.internals import middleware
from app.core.internals.asgi_request import headers_only_request
from app.core.internals.ninja_auth import SessionCookieKey, is_csrf_exempt
from app.core.internals.responses import mark_logged


def _broken(assumption: str) -> str:
    return f"UPGRADE CONTRACT BROKEN: {assumption}"


def test_django_runs_async_only_middleware_hooks_on_the_event_loop() -> None:
    ran_on: list[int] = []

    async def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    class Recording(middleware.SecurityMiddleware):
        def process_request(self, request: HttpRequest) -> Any:
            ran_on.append(threading.get_ident())
            return super().process_request(request)

    async def call() -> int:
        response = await Recording(view)(RequestFactory().get("/"))  # pyright: ignore[reportArgumentType, reportGeneralTypeIssues]
        assert response["X-Content-Type-Options"] == "nosniff"
        return threading.get_ident()

    loop_thread = asyncio.run(call())
    assert ran_on == [loop_thread], _broken(
        "MiddlewareMixin.__call__ hands an async-only middleware's request to its __acall__ "
        "(app/core/internals/middleware.py)"
    )


def test_the_middleware_hooks_we_call_directly_still_exist() -> None:
    for original in (security.SecurityMiddleware, csrf.CsrfViewMiddleware):
        assert callable(getattr(original, "process_request", None)), _broken(
            f"{original.__name__}.process_request exists (app/core/internals/middleware.py)"
        )
    assert callable(getattr(csrf.CsrfViewMiddleware, "process_view", None)), _broken(
        "CsrfViewMiddleware.process_view exists (app/core/internals/middleware.py)"
    )
    storage_attributes = {"used", "added_new"}
    assert storage_attributes <= set(vars(BaseStorage(RequestFactory().get("/")))), _broken(
        "message storage records `used` and `added_new` (app/core/internals/middleware.py MessageMiddleware)"
    )


def test_a_thread_sensitive_context_runs_sync_work_on_the_executor_it_was_given() -> None:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="given")

    async def run() -> str:
        async with ThreadSensitiveContext(executor=executor):  # pyright: ignore[reportCallIssue]
            return await sync_to_async(lambda: threading.current_thread().name)()

    try:
        assert asyncio.run(run()).startswith("given"), _broken(
            "ThreadSensitiveContext(executor=...) runs thread-sensitive work there "
            "(app/core/internals/request_threads.py)"
        )
    finally:
        executor.shutdown()


def test_django_connects_exactly_the_database_receivers_we_move_off_request_started() -> None:
    # A fresh interpreter: this process's app already moved them.
    probe = (
        "import django.db, django.core.signals as s\n"
        "print(sorted(r.__qualname__ for r in s.request_started._live_receivers(None)[0]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(sorted(["close_old_connections", "reset_queries"])), _broken(
        "django.db connects close_old_connections and reset_queries to request_started, and nothing else "
        f"(app/core/internals/request_threads.py); now: {out.strip()}"
    )
    receivers = request_started._live_receivers(None)[0]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
    assert close_old_connections not in receivers and reset_queries not in receivers
    assert reset_queries in request_finished._live_receivers(None)[0]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


def test_ninja_reads_cookie_keys_through_get_key_and_flags_csrf_exempt_operations() -> None:
    assert "_get_key" in vars(APIKeyCookie), _broken(
        "ninja's APIKeyCookie reads the cookie (and checks CSRF) in _get_key (app/core/internals/ninja_auth.py)"
    )
    request = RequestFactory().post("/", HTTP_COOKIE="sessionid=abc")

    class Key(SessionCookieKey):
        param_name = "sessionid"

        def authenticate(self, request: HttpRequest, key: str | None) -> None:
            return None

    assert Key()._get_key(request) == "abc"  # pyright: ignore[reportPrivateUsage]

    import ninja.operation

    source = open(ninja.operation.__file__).read()  # noqa: PTH123, SIM115
    assert "request._ninja_csrf_exempt = True" in source, _broken(
        "ninja marks requests to csrf_exempt operations with _ninja_csrf_exempt (app/core/internals/ninja_auth.py)"
    )
    request._ninja_csrf_exempt = True  # pyright: ignore[reportAttributeAccessIssue]
    assert is_csrf_exempt(request)


def test_django_does_not_log_a_response_flagged_logged(caplog: pytest.LogCaptureFixture) -> None:
    response = HttpResponse(status=503)
    mark_logged(response)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        log_response("%s", "x", response=response)
    assert not caplog.records, _broken(
        "django.utils.log.log_response skips responses flagged _has_been_logged (app/core/internals/responses.py)"
    )


def test_django_builds_a_request_from_a_scope_and_an_empty_body() -> None:
    scope = {
        "type": "http",
        "method": "PUT",
        "path": "/files/local/upload/x",
        "query_string": b"",
        "headers": [(b"host", b"localhost:8000"), (b"content-type", b"text/plain"), (b"content-length", b"6")],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 8000),
        "scheme": "http",
    }
    request = headers_only_request(scope)
    read = (request.method, request.path, request.get_host(), request.headers.get("Content-Length"), request.scheme)
    assert read == ("PUT", "/files/local/upload/x", "localhost:8000", "6", "http"), _broken(
        "ASGIRequest(scope, body_file) reads method, path, host, headers and scheme from the scope "
        "(app/core/internals/asgi_request.py)"
    )
