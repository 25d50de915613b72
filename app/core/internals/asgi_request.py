"""Reading a request's headers as Django would, in front of Django's ASGI handler."""

import io

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest

from app.core.telemetry import Scope


def headers_only_request(scope: Scope) -> HttpRequest:
    """The request `scope` describes, with its headers, host, scheme and path as Django reads them.

    Its body is empty: whoever answers in front of Django reads the body from
    ASGI's `receive` itself, if at all. Django's `ASGIRequest(scope, body_file)`
    is how its own handler builds requests, after reading the whole body.
    """
    return ASGIRequest(scope, io.BytesIO())
