"""Embedded mode's signed upload URL, answered in front of Django.

Django's ASGI handler reads a whole request body into a temporary file before
any view runs, so a PUT to a signed URL would reach the disk (and again on its
way into storage) before anyone looked at its token. This ASGI route takes the
requests under LOCAL_UPLOAD_PREFIX instead: it checks the Host header, the
token, and the headers the URL was signed with (the length among them) before
it reads a byte of the body, then streams the body once into storage, hashed
on the way (`services.upload_receive`). It answers as the app does elsewhere:
problem details, `X-Request-ID`, `Cache-Control: no-store`, and one access
line with `{token}` in place of the token.
"""

import logging
from collections.abc import AsyncIterator

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

from app.core.asgi_answers import OutsideDjango
from app.core.problems import (
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    REQUEST_REFUSED,
    NotFound,
    Problem,
    ProblemCode,
    problem_answer,
    problem_response,
)
from app.core.signed_urls import TOKEN_PLACEHOLDER
from app.core.telemetry import ASGIApp, ASGIReceive, ASGISend, Scope
from app.files import services
from app.files.selectors import FILE_NOT_FOUND
from app.files.storage import storage
from app.files.storage.local import LOCAL_UPLOAD_PREFIX, LocalStorage, upload_grant_load

logger = logging.getLogger(__name__)

HEADER_MISMATCH = "The {header} header must be {expected!r}, as the signed URL says."
BODY_LONGER_THAN_SIGNED = "The body is longer than the {size} bytes the signed URL allows."

LOCAL_UPLOAD_ROUTE = LOCAL_UPLOAD_PREFIX + TOKEN_PLACEHOLDER


class ClientDisconnected(Exception):
    """The client went away before sending the whole body."""


class LocalUploadRoute:
    """ASGI middleware that answers the requests to embedded mode's signed upload URLs before Django sees them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: ASGIReceive, send: ASGISend) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(LOCAL_UPLOAD_PREFIX):
            await self.app(scope, receive, send)
            return
        async with OutsideDjango(scope, send) as exchange:
            await exchange.answer(await _answer(exchange.request, receive), route=LOCAL_UPLOAD_ROUTE)


async def _answer(request: HttpRequest, receive: ASGIReceive) -> HttpResponse | None:
    """The answer to a request under the upload prefix; None when the client went away."""
    try:
        request.get_host()
        if request.method != "PUT":
            detail = METHOD_NOT_ALLOWED.format(method=request.method, allowed="PUT")
            response = problem_response(request, status=405, detail=detail, code=ProblemCode.METHOD_NOT_ALLOWED)
            response["Allow"] = "PUT"
            return response
        await _receive(request, receive)
    except Problem as problem:
        return problem_answer(request, problem)
    except DisallowedHost:
        return problem_response(request, status=400, detail=REQUEST_REFUSED, code=ProblemCode.BAD_REQUEST)
    except ClientDisconnected:
        return None
    except Exception:
        logger.exception("unhandled error in a signed upload")
        return problem_response(request, status=500, detail=INTERNAL_ERROR, code=ProblemCode.INTERNAL_ERROR)
    return HttpResponse(status=200)


async def _receive(request: HttpRequest, receive: ASGIReceive) -> None:
    """Checks the token and the signed headers, then stores the body as it arrives."""
    grant = upload_grant_load(request.path.removeprefix(LOCAL_UPLOAD_PREFIX))
    _expect_header(request, "Content-Type", grant.content_type)
    _expect_header(request, "Content-Length", str(grant.size))
    if grant.md5_b64:
        _expect_header(request, "Content-MD5", grant.md5_b64)
    if not isinstance(storage(), LocalStorage):
        # A token from an earlier embedded-mode run: this app now uses GCS.
        raise NotFound(FILE_NOT_FOUND)
    await services.upload_receive(key=grant.key, chunks=_body(receive, grant.size))


def _expect_header(request: HttpRequest, header: str, expected: str) -> None:
    if request.headers.get(header, "") != expected:
        raise Problem(
            HEADER_MISMATCH.format(header=header, expected=expected),
            code=ProblemCode.SIGNED_HEADERS_MISMATCH,
            status=403,
        )


async def _body(receive: ASGIReceive, size: int) -> AsyncIterator[bytes]:
    """The body's chunks as they arrive, never more than the signed `size`."""
    received = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk: bytes = message.get("body", b"")
        received += len(chunk)
        if received > size:
            # uvicorn holds a body to its Content-Length, which was checked against `size`.
            raise Problem(
                BODY_LONGER_THAN_SIGNED.format(size=size), code=ProblemCode.SIGNED_HEADERS_MISMATCH, status=403
            )
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return
